package main

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/tensorfile"
	"github.com/stretchr/testify/require"
)

// Child modes of the test binary, for TestHostileInputsUnderAddressLimit:
// with childEnv set, the binary runs one of them on the arguments in
// childArgsEnv (a JSON array) instead of the tests.
const (
	childEnv     = "GOGAN_MEMTEST_CHILD"
	childArgsEnv = "GOGAN_MEMTEST_ARGS"
)

func TestMain(m *testing.M) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		os.Exit(m.Run())
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(childArgsEnv)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	var err error
	switch mode {
	case "mnist": // the command itself
		os.Args = append([]string{"mnist"}, args...)
		main()
		os.Exit(0)
	case "loadimages":
		var m *data.Images
		m, err = data.LoadImageDir(args[0], data.ImageDirOptions{Size: 64,
			OnSkip: func(path string, err error) { fmt.Printf("skipped %s: %v\n", filepath.Base(path), err) }})
		if err == nil {
			fmt.Printf("loaded %d images\n", m.N)
		}
	case "loadmodel":
		_, _, _, err = models.Load(args[0])
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// exportChunk digits at a time are the digits of one Sample.
func TestExportChunksAreOneSample(t *testing.T) {
	trainer := func() *gan.Trainer {
		gen, disc, err := newModels(config{Model: "mlp", Seed: 4})
		require.NoError(t, err)
		loss, err := losses.ByName("nonsaturating")
		require.NoError(t, err)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Loss: loss, Seed: 4})
		require.NoError(t, err)
		return tr
	}
	old := exportChunk
	t.Cleanup(func() { exportChunk = old })
	exportChunk = 7
	path := filepath.Join(t.TempDir(), "gen-idx3-ubyte")
	require.NoError(t, exportIDX(trainer(), 30, path))
	got, err := data.ReadIDXFile(path)
	require.NoError(t, err)
	require.Equal(t, []int{30, 28, 28}, got.Dims)
	whole, err := trainer().Sample(30)
	require.NoError(t, err)
	want := make([]byte, 30*784)
	for i, v := range whole.Data().([]float32) {
		want[i] = data.ToByte(v)
	}
	require.True(t, bytes.Equal(want, got.Data), "chunked export differs from one Sample")
}

// -export and -batch too large for memory are refused before training,
// with errors that say what they need, and before -out is touched.
func TestExportAndBatchCheckedBeforeTraining(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	base := config{Data: sharedDigits, Model: "mlp", Steps: 1, Batch: 8, Loss: "nonsaturating", K: 1, LR: 2e-4, Seed: 1, LogEvery: 1}
	otherShape := t.TempDir()
	images, err := data.NewIDXUint8(make([]uint8, 10*32*32), 10, 32, 32)
	require.NoError(t, err)
	require.NoError(t, data.WriteIDXFile(filepath.Join(otherShape, "train-images-idx3-ubyte"), images))
	labels, err := data.NewIDXUint8(make([]uint8, 10), 10)
	require.NoError(t, err)
	require.NoError(t, data.WriteIDXFile(filepath.Join(otherShape, "train-labels-idx1-ubyte"), labels))
	for want, edit := range map[string]func(c *config){
		"-export 1000000000: the IDX file of 1000000000 samples of [1 28 28] needs 730.2 GiB, more than the data memory limit of 1 GiB": func(c *config) {
			c.Export = 1_000_000_000
		},
		"; the file must fit the limit to be read back (lower -export)":     func(c *config) { c.Export = 1_000_000_000 },
		"-export 5000000000: an IDX file holds at most 4294967295 samples":  func(c *config) { c.Export = 5_000_000_000 },
		"-batch 5000: gan: training with a batch of 5000 needs":             func(c *config) { c.Model, c.Batch = "dcgan", 5000 },
		"the data has 10000 digits, fewer than one batch of 100000000":      func(c *config) { c.Batch = 100_000_000 },
		"the data's images have shape [1 32 32], the mlp model's [1 28 28]": func(c *config) { c.Data = otherShape },
	} {
		c := base
		c.Out = filepath.Join(t.TempDir(), "out")
		edit(&c)
		err := run(context.Background(), c, io.Discard)
		require.ErrorContains(t, err, want)
		_, err = os.Stat(c.Out)
		require.True(t, os.IsNotExist(err), "%s: -out was touched", want)
	}
}

// deflateZeros returns a raw deflate stream of mib MiB of zero bytes: one
// compressed MiB, byte-aligned, repeated, then an empty final block.
func deflateZeros(t *testing.T, mib int) []byte {
	var blk bytes.Buffer
	w, err := flate.NewWriter(&blk, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 1<<20))
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	return append(bytes.Repeat(blk.Bytes(), mib), 0x03, 0x00)
}

// writeGzipIDX writes a gzip IDX ubyte file with the given dims whose data
// is mib MiB of zeros (so the dims must promise that much): an honest file
// of a few MB that expands to mib MiB.
func writeGzipIDX(t *testing.T, path string, dims []uint32, mib int) {
	hdr := []byte{0, 0, byte(data.IDXUint8), byte(len(dims))}
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, d)
	}
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	b.Write([]byte{0x00, byte(len(hdr)), 0, ^byte(len(hdr)), 0xff}) // the header as a stored block
	b.Write(hdr)
	b.Write(deflateZeros(t, mib))
	zero := make([]byte, 1<<20)
	crc := crc32.ChecksumIEEE(hdr)
	for i := 0; i < mib; i++ {
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, crc))
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr)+mib<<20)))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// addressLimitKB is the address-space limit of the issue, 3 GB; the Go
// runtime itself needs about 0.8 GB of it to start.
const addressLimitKB = 3_000_000

// runLimited runs the test binary in child mode under the address-space
// limit and returns its exit code and output.
func runLimited(t *testing.T, mode string, args ...string) (int, string) {
	t.Helper()
	js, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command("bash", "-c", fmt.Sprintf(`ulimit -v %d && exec "$0"`, addressLimitKB), os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childArgsEnv+"="+string(js), "GOGAN_MAX_DATA_BYTES=")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, string(out)
}

// Every input of issue 17's defect 4 ends, under a 3 GB address-space
// limit, in a clear error (or, for the large image, in success), never in
// Go's fatal out-of-memory crash: a 2 GiB gzip bomb of 2 MB, a 3 GB sparse
// file named .png, an 8192×8192 PNG, a model whose spec asks for a
// 100,000×100,000 layer, -batch and -export beyond memory.
func TestHostileInputsUnderAddressLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command under ulimit -v; skipped in -short mode")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash for ulimit")
	}
	if code, out := runLimited(t, "mnist", "-h"); code != 0 {
		t.Skipf("the test binary does not start under ulimit -v %d here: %d %s", addressLimitKB, code, out)
	}
	dir := t.TempDir()

	bomb := filepath.Join(dir, "bomb")
	require.NoError(t, os.Mkdir(bomb, 0o755))
	writeGzipIDX(t, filepath.Join(bomb, "train-images-idx3-ubyte.gz"), []uint32{2048, 1024, 1024}, 2048)
	writeGzipIDX(t, filepath.Join(bomb, "train-labels-idx1-ubyte.gz"), []uint32{1 << 20}, 1)

	imgs := filepath.Join(dir, "images")
	require.NoError(t, os.Mkdir(imgs, 0o755))
	f, err := os.Create(filepath.Join(imgs, "huge.png"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(3_000_000_000))
	require.NoError(t, f.Close())
	var big bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	require.NoError(t, enc.Encode(&big, image.NewGray(image.Rect(0, 0, 8192, 8192))))
	require.NoError(t, os.WriteFile(filepath.Join(imgs, "big-8192.png"), big.Bytes(), 0o644))
	big = bytes.Buffer{}

	model := filepath.Join(dir, "model.gogan")
	gcfg, dcfg := models.ReferenceMLP()
	gen, err := models.NewMLPGenerator(gcfg, 1)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(dcfg, 1)
	require.NoError(t, err)
	require.NoError(t, gan.SaveModel(model, gen, disc, gan.ModelInfo{}))
	tf, err := tensorfile.ReadFile(model)
	require.NoError(t, err)
	tf.Meta = bytes.Replace(tf.Meta, []byte(`"hidden":[256,512]`), []byte(`"hidden":[100000,100000]`), 1)
	require.Contains(t, string(tf.Meta), "100000,100000")
	require.NoError(t, tensorfile.WriteFile(model, tf))

	type tc struct {
		mode string
		args []string
		code int
		want []string
	}
	cases := []tc{
		{"mnist", []string{"-data", bomb, "-out", filepath.Join(dir, "o1")}, 1,
			[]string{"IDX ubyte [2048 1024 1024] needs 2 GiB, more than the data memory limit of 1 GiB", "GOGAN_MAX_DATA_BYTES="}},
		{"loadimages", []string{imgs}, 0,
			[]string{"skipped huge.png: not a readable PNG or JPEG image", "loaded 1 images"}},
		{"loadmodel", []string{model}, 1,
			[]string{"generator: the spec describes a mlp-generator of 1.009e+10 values (37.58 GiB), but the file holds 559632 for it"}},
	}
	if _, err := os.Stat(sharedDigits); err == nil {
		cases = append(cases,
			tc{"mnist", []string{"-data", sharedDigits, "-batch", "100000000", "-out", filepath.Join(dir, "o2")}, 1,
				[]string{"fewer than one batch of 100000000"}},
			tc{"mnist", []string{"-data", sharedDigits, "-model", "dcgan", "-batch", "10000", "-out", filepath.Join(dir, "o3")}, 1,
				[]string{"-batch 10000: gan: training with a batch of 10000 needs"}},
			tc{"mnist", []string{"-data", sharedDigits, "-steps", "1", "-export", "1000000000", "-out", filepath.Join(dir, "o4")}, 1,
				[]string{"-export 1000000000: the IDX file of 1000000000 samples of [1 28 28] needs 730.2 GiB"}})
	}
	for _, c := range cases {
		code, out := runLimited(t, c.mode, c.args...)
		t.Logf("%s %v: exit %d\n%s", c.mode, c.args, code, lastLines(out, 4))
		require.NotContains(t, out, "fatal error", "%s %v", c.mode, c.args)
		require.Equal(t, c.code, code, "%s %v: %s", c.mode, c.args, out)
		for _, w := range c.want {
			require.Contains(t, out, w, "%s %v", c.mode, c.args)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// With -conditional, the chunked export is one SampleClasses of the
// classes 0, 1, …, 9, 0, … and the labels file holds those classes.
func TestConditionalExportChunksAreOneSample(t *testing.T) {
	trainer := func() *gan.Trainer {
		gen, disc, err := newConditionalModels(config{Model: "mlp", Conditional: "projection", Seed: 4})
		require.NoError(t, err)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Seed: 4})
		require.NoError(t, err)
		return tr
	}
	old := exportChunk
	t.Cleanup(func() { exportChunk = old })
	exportChunk = 7
	dir := t.TempDir()
	require.NoError(t, exportClasses(trainer(), 30, dir))
	got, err := data.ReadImagesIDX(filepath.Join(dir, "generated-images-idx3-ubyte"), filepath.Join(dir, "generated-labels-idx1-ubyte"))
	require.NoError(t, err)
	classes := make([]int, 30)
	for i := range classes {
		classes[i] = i % 10
		require.Equal(t, uint8(i%10), got.Labels[i])
	}
	whole, err := trainer().SampleClasses(classes)
	require.NoError(t, err)
	want := make([]byte, 30*784)
	for i, v := range whole.Data().([]float32) {
		want[i] = data.ToByte(v)
	}
	require.True(t, bytes.Equal(want, got.Bytes), "chunked conditional export differs from one SampleClasses")
}
