package mnistclf

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/tensorfile"
)

// documentedAccuracy is the held-out accuracy stated in the package doc,
// printed by the training command and recorded in the shipped file.
const documentedAccuracy = 0.9765

// dataDir is mnist10k relative to this package's directory.
const dataDir = "../../../shared/data/mnist10k"

var mnist = sync.OnceValues(func() (*data.Images, error) { return data.LoadMNIST(dataDir) })

// realDigits returns mnist10k or skips the test if it is absent.
func realDigits(t testing.TB) *data.Images {
	t.Helper()
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("skipping: real digits not found at %s (the mnist10k directory of the shared data): %v", dataDir, err)
	}
	m, err := mnist()
	if err != nil {
		t.Fatal(err)
	}
	if m.N != TrainSize+HeldOutSize {
		t.Fatalf("mnist10k has %d digits, want %d", m.N, TrainSize+HeldOutSize)
	}
	return m
}

// floats returns m's pixels as values in [-1, 1].
func floats(t testing.TB, m *data.Images) []float32 {
	t.Helper()
	f, err := m.Floats(0, m.N)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func load(t testing.TB) *Classifier {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// uniformNoise returns n images of pixels uniform in [-1, 1].
func uniformNoise(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	out := make([]float32, n*InputSize)
	for i := range out {
		out[i] = float32(2*rng.Float64() - 1)
	}
	return out
}

func TestLoad(t *testing.T) {
	c := load(t)
	c2 := load(t)
	if c != c2 {
		t.Error("Load decoded the embedded file twice")
	}
	m := c.Meta()
	if m.Format != FileFormat || m.Architecture != Architecture {
		t.Errorf("format %q architecture %q", m.Format, m.Architecture)
	}
	if m.TrainSize != TrainSize || m.HeldOutSize != HeldOutSize || m.Data != "mnist10k" {
		t.Errorf("split %d/%d of %q", m.TrainSize, m.HeldOutSize, m.Data)
	}
	if m.HeldOutAccuracy != documentedAccuracy {
		t.Errorf("file records held-out accuracy %v, the doc %v", m.HeldOutAccuracy, documentedAccuracy)
	}
	if m.Seed != 1 || m.Epochs != 30 || len(m.TrainLoss) != m.Epochs {
		t.Errorf("seed %d, epochs %d, %d losses", m.Seed, m.Epochs, len(m.TrainLoss))
	}
	if want := "go run ./cmd/trainclassifier -epochs 30 -batch 50 -lr 0.001 -shift 2 -seed 1"; m.Command != want {
		t.Errorf("command %q, want %q", m.Command, want)
	}
	if len(shipped) > 1500<<10 {
		t.Errorf("weights file is %d bytes, want at most 1.5 MiB", len(shipped))
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := tensorfile.Read(bytes.NewReader(shipped))
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *tensorfile.File {
		f := &tensorfile.File{Meta: append(json.RawMessage(nil), good.Meta...)}
		for _, tn := range good.Tensors {
			d := append([]float32(nil), tn.Data.([]float32)...)
			f.Tensors = append(f.Tensors, tensorfile.Tensor{Name: tn.Name, Shape: append([]int(nil), tn.Shape...), Data: d})
		}
		return f
	}
	cases := []struct {
		name, want string
		edit       func(f *tensorfile.File)
	}{
		{"format", "format", func(f *tensorfile.File) {
			f.Meta = json.RawMessage(`{"format":"other","architecture":"` + Architecture + `"}`)
		}},
		{"architecture", "architecture", func(f *tensorfile.File) {
			f.Meta = json.RawMessage(`{"format":"` + FileFormat + `","architecture":"cnn"}`)
		}},
		{"meta", "metadata", func(f *tensorfile.File) { f.Meta = nil }},
		{"missing", `"out/b"`, func(f *tensorfile.File) { f.Tensors = f.Tensors[:5] }},
		{"shape", "shape", func(f *tensorfile.File) { f.Tensors[2].Shape = []int{FeatureSize, HiddenSize} }},
		{"dtype", "dtype", func(f *tensorfile.File) {
			f.Tensors[1].Data = make([]float64, HiddenSize)
		}},
		{"nan", "NaN", func(f *tensorfile.File) { f.Tensors[4].Data.([]float32)[7] = float32(math.NaN()) }},
	}
	if _, err := Decode(clone()); err != nil {
		t.Fatalf("clone of the shipped file: %v", err)
	}
	for _, tc := range cases {
		f := clone()
		tc.edit(f)
		_, err := Decode(f)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "mnistclf: ") {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := Decode(nil); err == nil {
		t.Error("Decode(nil) succeeded")
	}
	if _, err := LoadFile(t.TempDir() + "/absent.gogan"); err == nil || !strings.HasPrefix(err.Error(), "mnistclf: ") {
		t.Errorf("LoadFile of a missing file: %v", err)
	}
}

func TestLoadFileRoundTrip(t *testing.T) {
	path := t.TempDir() + "/c.gogan"
	if err := os.WriteFile(path, shipped, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x := uniformNoise(3, 9)
	a, _ := c.Logits(x, 3)
	b, _ := load(t).Logits(x, 3)
	for i := range a {
		for k := range a[i] {
			if a[i][k] != b[i][k] {
				t.Fatalf("logits differ at %d,%d", i, k)
			}
		}
	}
	b2 := append([]byte(nil), shipped...)
	b2[len(b2)/2] ^= 1
	if err := os.WriteFile(path, b2, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); !errors.Is(err, tensorfile.ErrChecksum) {
		t.Errorf("damaged file: %v, want a checksum error", err)
	}
}

func TestInputErrors(t *testing.T) {
	c := load(t)
	x := make([]float32, 2*InputSize)
	for _, tc := range []struct {
		images []float32
		n      int
		want   string
	}{
		{x, 3, "length 1568, want n·784 = 2352 for n = 3"},
		{x[:InputSize+5], 1, "length 789"},
		{x, -1, "negative"},
		{nil, 1, "length 0"},
	} {
		for name, f := range map[string]func([]float32, int) error{
			"Predict":        func(im []float32, n int) error { _, err := c.Predict(im, n); return err },
			"Features":       func(im []float32, n int) error { _, err := c.Features(im, n); return err },
			"Logits":         func(im []float32, n int) error { _, err := c.Logits(im, n); return err },
			"ClassHistogram": func(im []float32, n int) error { _, err := c.ClassHistogram(im, n); return err },
		} {
			err := f(tc.images, tc.n)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "mnistclf: ") {
				t.Errorf("%s(len %d, n %d): error %v, want one containing %q", name, len(tc.images), tc.n, err, tc.want)
			}
		}
	}
	bad := make([]float32, 2*InputSize)
	bad[InputSize+30] = float32(math.Inf(1))
	if _, err := c.Predict(bad, 2); err == nil || !strings.Contains(err.Error(), "image 1, pixel 30 is +Inf") {
		t.Errorf("infinite pixel: %v", err)
	}
	bad[InputSize+30] = float32(math.NaN())
	if _, err := c.Features(bad, 2); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN pixel: %v", err)
	}
	if _, err := c.ClassHistogram(nil, 0); err == nil {
		t.Error("class histogram of no images succeeded")
	}
	if _, err := c.FrechetDistance(x, x[:InputSize], 2, 1); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("Fréchet distance of one generated image: %v", err)
	}
	if _, err := c.FrechetDistance(x, x, 2, 3); err == nil || !strings.Contains(err.Error(), "generated images") {
		t.Errorf("Fréchet distance with a wrong count: %v", err)
	}
	if _, err := c.Accuracy(x, []uint8{1}, 2); err == nil {
		t.Error("accuracy with too few labels succeeded")
	}

	// Valid constructed inputs: blank (all background), all ink, noise.
	blank := make([]float32, 3*InputSize)
	for i := range blank {
		blank[i] = -1
	}
	for i := InputSize; i < 2*InputSize; i++ {
		blank[i] = 1
	}
	copy(blank[2*InputSize:], uniformNoise(1, 3))
	pred, err := c.Predict(blank, 3)
	if err != nil || len(pred) != 3 {
		t.Fatalf("Predict: %v, %v", pred, err)
	}
	for _, p := range pred {
		if p < 0 || p >= NumClasses {
			t.Errorf("prediction %d out of range", p)
		}
	}
	feat, err := c.Features(blank, 3)
	if err != nil || len(feat) != 3 || len(feat[0]) != FeatureSize {
		t.Fatalf("Features: %d vectors, %v", len(feat), err)
	}
	for _, f := range feat {
		for _, v := range f {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("feature %v, want a finite ReLU output", v)
			}
		}
	}
	if p, err := c.Predict(nil, 0); err != nil || len(p) != 0 {
		t.Errorf("Predict of no images: %v, %v", p, err)
	}
}

// The plain-Go forward pass that Predict and Features use matches the
// Gorgonia graph the classifier was trained with.
func TestPlainForwardMatchesGraph(t *testing.T) {
	c := load(t)
	n := 16
	x := uniformNoise(n, 5)
	if _, err := os.Stat(dataDir); err == nil {
		m := realDigits(t)
		copy(x, floats(t, m)[TrainSize*InputSize:(TrainSize+n/2)*InputSize]) // half real digits, half noise
	}
	gl, gf, err := graphForward(c, x, n)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := c.Logits(x, n)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := c.Features(x, n)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := c.Predict(x, n)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := 0; i < n; i++ {
		if g := argmax(gl[i*NumClasses : (i+1)*NumClasses]); g != pred[i] {
			t.Errorf("image %d: graph predicts %d, Predict %d", i, g, pred[i])
		}
		for k := 0; k < NumClasses; k++ {
			worst = math.Max(worst, math.Abs(float64(gl[i*NumClasses+k])-pl[i][k]))
		}
		for k := 0; k < FeatureSize; k++ {
			worst = math.Max(worst, math.Abs(float64(gf[i*FeatureSize+k])-pf[i][k]))
		}
	}
	t.Logf("largest difference between graph and plain forward: %.3g", worst)
	if worst > 1e-5 {
		t.Errorf("graph and plain forward differ by %.3g, want ≤ 1e-5", worst)
	}
}

// The training loss and its gradient with respect to the logits' bias
// agree with the softmax cross-entropy computed directly.
func TestCrossEntropyGradient(t *testing.T) {
	c := load(t)
	const batch = 4
	nt, err := netFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := newTrainGraph(nt, batch)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.vm.Close()
	x := uniformNoise(batch, 11)
	for i := InputSize; i < 2*InputSize; i++ {
		x[i] = -1
	}
	labels := []int{3, 0, 9, 7}
	copy(tg.x.Data().([]float32), x)
	ys := tg.y.Data().([]float32)
	for i, l := range labels {
		ys[i*NumClasses+l] = 1
	}
	if err := tg.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	logits, err := c.Logits(x, batch)
	if err != nil {
		t.Fatal(err)
	}
	wantLoss := 0.0
	wantGrad := make([]float64, NumClasses)
	for i, z := range logits {
		m := z[0]
		for _, v := range z {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(v - m)
		}
		wantLoss += (math.Log(s) + m - z[labels[i]]) / batch
		for k, v := range z {
			p := math.Exp(v-m) / s
			if k == labels[i] {
				p--
			}
			wantGrad[k] += p / batch
		}
	}
	if got := float64(tg.loss.Data().(float32)); math.Abs(got-wantLoss) > 1e-4*math.Max(1, wantLoss) {
		t.Errorf("loss %v, want %v", got, wantLoss)
	}
	got := tg.grads[5].Data().([]float32) // out/b
	for k := range wantGrad {
		if math.Abs(float64(got[k])-wantGrad[k]) > 1e-5 {
			t.Errorf("d loss / d out/b[%d] = %v, want %v", k, got[k], wantGrad[k])
		}
	}
}

func TestHeldOutAccuracy(t *testing.T) {
	m := realDigits(t)
	c := load(t)
	acc, err := c.Accuracy(floats(t, m)[TrainSize*InputSize:], m.Labels[TrainSize:], HeldOutSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out accuracy %.4f (documented %.4f)", acc, documentedAccuracy)
	if acc < documentedAccuracy-0.005 {
		t.Errorf("held-out accuracy %.4f, documented %.4f", acc, documentedAccuracy)
	}
}

func TestClassHistogramOfRealDigits(t *testing.T) {
	m := realDigits(t)
	c := load(t)
	hist, err := c.ClassHistogram(floats(t, m)[TrainSize*InputSize:], HeldOutSize)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, NumClasses)
	for _, l := range m.Labels[TrainSize:] {
		want[l] += 1.0 / HeldOutSize
	}
	sum := 0.0
	for k := range hist {
		sum += hist[k]
		if math.Abs(hist[k]-want[k]) > 0.02 {
			t.Errorf("digit %d: share %.4f, true %.4f", k, hist[k], want[k])
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares sum to %v", sum)
	}
}

func TestFrechetDistance(t *testing.T) {
	m := realDigits(t)
	c := load(t)
	const n = HeldOutSize
	pixels := floats(t, m)
	held := pixels[TrainSize*InputSize:]
	train := pixels[:n*InputSize] // the first 2,000 training digits
	noise := uniformNoise(n, 7)
	collapsed := make([]float32, n*InputSize) // one digit, repeated
	for i := 0; i < n; i++ {
		copy(collapsed[i*InputSize:], held[:InputSize])
	}
	// A generator that makes only ones: every held-out "1", cycled.
	var ones []float32
	for i := 0; len(ones) < n*InputSize; i = (i + 1) % HeldOutSize {
		if m.Labels[TrainSize+i] == 1 {
			ones = append(ones, held[i*InputSize:(i+1)*InputSize]...)
		}
	}

	fd := func(gen []float32) float64 {
		d, err := c.FrechetDistance(held, gen, n, n)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	self := fd(held)
	same := fd(train)
	dNoise := fd(noise)
	dCollapsed := fd(collapsed)
	dOnes := fd(ones)
	t.Logf("FD(held-out, ·): itself %.3g, train digits %.4g, uniform noise %.4g, one digit repeated %.4g, only ones %.4g",
		self, same, dNoise, dCollapsed, dOnes)
	if self > 1e-6 {
		t.Errorf("FD(x, x) = %g, want ≈ 0", self)
	}
	if !(same > 0) || same > 0.05*math.Min(dNoise, math.Min(dCollapsed, dOnes)) {
		t.Errorf("FD to other real digits %.4g should be positive and under 5%% of the others", same)
	}
	// Rough magnitudes (as shipped: about 2.4 between the real sets and
	// 440 to 630 from the real digits to the degenerate ones).
	if same > 10 || dNoise < 100 || dCollapsed < 100 || dOnes < 100 {
		t.Errorf("magnitudes: real %.4g (want < 10), noise %.4g, collapsed %.4g, ones %.4g (want > 100)", same, dNoise, dCollapsed, dOnes)
	}
	if !(dCollapsed > same && dOnes > same && dNoise > same) {
		t.Errorf("ordering: real %.4g, noise %.4g, collapsed %.4g, ones %.4g", same, dNoise, dCollapsed, dOnes)
	}
}

func TestTrainValidates(t *testing.T) {
	small, err := data.NewImages(1, 28, 28, make([]uint8, 3*InputSize), []uint8{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		images *data.Images
		cfg    TrainConfig
		want   string
	}{
		{nil, TrainConfig{}, "nil images"},
		{small, TrainConfig{}, "want 10000 labelled digits"},
		{&data.Images{N: 10000, C: 1, H: 14, W: 56}, TrainConfig{}, "want 1×28×28"},
	} {
		if _, _, err := Train(tc.images, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Train: %v, want an error containing %q", err, tc.want)
		}
	}
	big := &data.Images{N: 10000, C: 1, H: 28, W: 28, Bytes: make([]uint8, 10000*InputSize), Labels: make([]uint8, 10000)}
	if _, _, err := Train(big, TrainConfig{BatchSize: -1}); err == nil || !strings.Contains(err.Error(), "bad configuration") {
		t.Errorf("negative batch size: %v", err)
	}
	big.Labels[5] = 10
	if _, _, err := Train(big, TrainConfig{}); err == nil || !strings.Contains(err.Error(), "label 5 is 10") {
		t.Errorf("label 10: %v", err)
	}
}

// One epoch of training twice with the same seed gives the same file,
// byte for byte, and a classifier well above chance.
func TestTrainReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping training in -short mode")
	}
	m := realDigits(t)
	run := func() ([]byte, float64) {
		f, c, err := Train(m, TrainConfig{Epochs: 1, Seed: 3, Shift: 1})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tensorfile.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(f); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), c.Meta().HeldOutAccuracy
	}
	a, acc := run()
	b, _ := run()
	if !bytes.Equal(a, b) {
		t.Error("two runs with the same seed wrote different files")
	}
	if acc < 0.7 {
		t.Errorf("held-out accuracy after one epoch %.3f, want > 0.7", acc)
	}
}
