package data

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// setMaxBytes sets MaxBytes for the test and restores it after.
func setMaxBytes(t *testing.T, n int64) {
	t.Helper()
	old := MaxBytes
	MaxBytes = n
	t.Cleanup(func() { MaxBytes = old })
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestMemoryLimitSources(t *testing.T) {
	setMaxBytes(t, 0)
	t.Setenv(MaxBytesEnv, "")
	n, err := MemoryLimit()
	require.NoError(t, err)
	require.Equal(t, int64(DefaultMaxBytes), n)
	for in, want := range map[string]int64{
		"123": 123, "4e9": 4e9, "4G": 4e9, "4gb": 4e9, "3.5GiB": 3.5 * (1 << 30), " 2k ": 2000, "1Ki": 1024, "7b": 7, "1TiB": 1 << 40,
	} {
		t.Setenv(MaxBytesEnv, in)
		n, err := MemoryLimit()
		require.NoError(t, err, in)
		require.Equal(t, want, n, in)
	}
	for _, bad := range []string{"lots", "-5", "0", "1e30", "G", "5X", "0.2"} {
		t.Setenv(MaxBytesEnv, bad)
		_, err := MemoryLimit()
		require.ErrorContains(t, err, "data: "+MaxBytesEnv+"=", bad)
		require.Error(t, CheckBytes("x", 1), bad)
	}
	t.Setenv(MaxBytesEnv, "lots")
	MaxBytes = 99 // set in the program: the environment is not read
	n, err = MemoryLimit()
	require.NoError(t, err)
	require.Equal(t, int64(99), n)
}

func TestCheckBytes(t *testing.T) {
	setMaxBytes(t, 1000)
	require.NoError(t, CheckBytes("x", 1000))
	err := CheckBytes("IDX ubyte [1001]", 1001)
	require.ErrorIs(t, err, ErrTooLarge)
	var se *SizeError
	require.True(t, errors.As(err, &se))
	require.Equal(t, SizeError{What: "IDX ubyte [1001]", Need: 1001, Limit: 1000}, *se)
	require.EqualError(t, err, "IDX ubyte [1001] needs 1001 B, more than the data memory limit of 1000 B (raise it with the environment variable GOGAN_MAX_DATA_BYTES, e.g. GOGAN_MAX_DATA_BYTES=1100, or data.MaxBytes)")
	require.ErrorIs(t, CheckBytes("x", -1), ErrTooLarge) // overflowed
	require.ErrorIs(t, CheckCount("x", 1<<62, 4), ErrTooLarge)
	require.NoError(t, CheckCount("x", 250, 4))
	require.ErrorIs(t, CheckCount("x", 251, 4), ErrTooLarge)
	require.ErrorContains(t, CheckCount("x", -1, 4), "negative size")

	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 1<<30 - 1: "1024 MiB", 2 << 30: "2 GiB", 784e9: "730.2 GiB"} {
		require.Equal(t, want, FormatBytes(n), n)
	}
	for n, want := range map[int64]int64{1: 1, 99: 99, 100: 100, 101: 110, 2147483648: 2200000000, 784000000000: 790000000000} {
		require.Equal(t, want, roundUpBytes(n), n)
	}
}

// deflateZeros returns a raw deflate stream of n MiB of zero bytes, made of
// one compressed MiB repeated: a zip bomb built in microseconds.
func deflateZeros(t testing.TB, mib int) []byte {
	t.Helper()
	var blk bytes.Buffer
	w, err := flate.NewWriter(&blk, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 1<<20))
	require.NoError(t, err)
	require.NoError(t, w.Flush()) // byte-aligned, not final
	one := blk.Bytes()
	out := bytes.Repeat(one, mib)
	return append(out, 0x03, 0x00) // an empty final block
}

// gzipIDXBomb returns a gzip file holding an IDX ubyte header with dims
// followed by zero bytes, mib MiB of them, with a correct trailer.
func gzipIDXBomb(t testing.TB, dims []uint32, mib int) []byte {
	t.Helper()
	hdr := rawIDX(IDXUint8, dims, nil)
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	// The header as a stored block, then the zeros.
	b.Write([]byte{0x00, byte(len(hdr)), 0, ^byte(len(hdr)), 0xff})
	b.Write(hdr)
	b.Write(deflateZeros(t, mib))
	zero := make([]byte, 1<<20)
	crc := crc32.ChecksumIEEE(hdr)
	for i := 0; i < mib; i++ {
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, crc))
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr)+mib<<20)))
	return b.Bytes()
}

func TestGzipIDXBombHelper(t *testing.T) {
	x, err := ReadIDX(bytes.NewReader(gzipIDXBomb(t, []uint32{3, 1 << 20}, 3)))
	require.NoError(t, err)
	require.Equal(t, []int{3, 1 << 20}, x.Dims)
	require.Equal(t, make([]byte, 3<<20), x.Data)
}

// A gzip IDX that truly expands to more than the limit is refused from its
// header, before anything is decompressed or allocated; so is a raw one.
func TestReadIDXRefusesOverLimit(t *testing.T) {
	setMaxBytes(t, 2<<20)
	bomb := gzipIDXBomb(t, []uint32{4, 1 << 20}, 4) // 4 MiB, honest
	require.Less(t, len(bomb), 20_000)
	raw := rawIDX(IDXUint8, []uint32{4, 1 << 20}, make([]byte, 4<<20))
	dir := t.TempDir()
	path := filepath.Join(dir, "bomb-images-idx3-ubyte.gz")
	require.NoError(t, os.WriteFile(path, bomb, 0o644))
	for name, read := range map[string]func() error{
		"gzip":          func() error { _, err := ReadIDX(bytes.NewReader(bomb)); return err },
		"gzip file":     func() error { _, err := ReadIDXFile(path); return err },
		"raw":           func() error { _, err := ReadIDX(bytes.NewReader(raw)); return err },
		"raw, no size":  func() error { _, err := ReadIDX(onlyReader{bytes.NewReader(raw)}); return err },
		"images":        func() error { _, err := ReadImagesIDX(path, ""); return err },
		"images+labels": func() error { _, err := ReadImagesIDX(path, path); return err },
	} {
		var err error
		n := allocated(func() { err = read() })
		require.ErrorIs(t, err, ErrTooLarge, name)
		require.ErrorContains(t, err, "IDX ubyte [4 1048576] needs 4 MiB, more than the data memory limit of 2 MiB", name)
		require.ErrorContains(t, err, "GOGAN_MAX_DATA_BYTES=4200000", name)
		require.Less(t, n, uint64(1<<20), name)
	}
	setMaxBytes(t, 4<<20) // exactly enough
	x, err := ReadIDXFile(path)
	require.NoError(t, err)
	require.Len(t, x.Data, 4<<20)
	setMaxBytes(t, 1<<20)
	_, err = x.Float64s()
	require.ErrorContains(t, err, "data: float64 copy of IDX ubyte [4 1048576] needs 32 MiB")
}

// An honest gzip IDX of unknown size is read with little more memory than
// its data: the chunks are not all kept and joined at the end.
func TestReadIDXGzipPeak(t *testing.T) {
	bomb := gzipIDXBomb(t, []uint32{32, 1 << 20}, 32)
	var x *IDX
	var err error
	n := allocated(func() { x, err = ReadIDX(bytes.NewReader(bomb)) })
	require.NoError(t, err)
	require.Len(t, x.Data, 32<<20)
	require.Less(t, n, uint64(32<<20+32<<20/4), "allocated %d bytes for 32 MiB", n) // joined chunks took 2×
}

func TestImagesFloatsLimit(t *testing.T) {
	m, err := NewImages(1, 10, 10, make([]uint8, 1000), nil)
	require.NoError(t, err)
	setMaxBytes(t, 4000)
	f, err := m.Floats(0, 10)
	require.NoError(t, err)
	require.Len(t, f, 1000)
	setMaxBytes(t, 3999)
	_, err = m.Floats(0, 10)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "data: float32 copy of 10 images of 1×10×10 needs 3.906 KiB")
}

// At gives ByteValue of every byte, bit for bit the value p/127.5 - 1
// computed in float64 that the images used to be stored as.
func TestByteValues(t *testing.T) {
	pix := make([]uint8, 256)
	for p := range pix {
		pix[p] = uint8(p)
	}
	m, err := NewImages(1, 16, 16, pix, nil)
	require.NoError(t, err)
	dst := make([]float32, 256)
	m.At(0, dst)
	for p := range pix {
		require.Equal(t, float32(float64(p)/127.5-1), dst[p], "byte %d", p)
		require.Equal(t, uint8(p), ToByte(dst[p]))
	}
	require.Equal(t, float32(-1), ByteValue(0))
	require.Equal(t, float32(1), ByteValue(255))
}

// A folder whose images do not fit in the limit is refused with an error
// that says how much it needs, once the images loaded reach the limit; the
// pixels are allocated once, never more than the limit.
func TestLoadImageDirLimit(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", "b.png", "c.png"} {
		writeImageFile(t, filepath.Join(dir, n), grayRamp(8, 8), false)
	}
	setMaxBytes(t, 2*3*8*8)
	m, err := LoadImageDir(dir, ImageDirOptions{Size: 8, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, 2, m.N)
	_, err = LoadImageDir(dir, ImageDirOptions{Size: 8})
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "data: load images from "+dir+": loading 3 images of 3×8×8 needs 576 B, more than the data memory limit of 384 B")
	require.ErrorContains(t, err, "or load fewer images (ImageDirOptions.Limit)")
	setMaxBytes(t, 100)
	_, err = LoadImageDir(dir, ImageDirOptions{Size: 8})
	require.ErrorContains(t, err, "one 3×8×8 image needs 192 B")
	m, err = LoadImageDir(dir, ImageDirOptions{Size: 8, Gray: true, Limit: 1})
	require.NoError(t, err)
	require.Len(t, m.Bytes, 64)
}

// A 3 GB sparse file named like an image is skipped after a look at its
// header: it is never read whole.
func TestLoadImageDirHugeFakeImage(t *testing.T) {
	dir := t.TempDir()
	writeImageFile(t, filepath.Join(dir, "a.png"), grayRamp(8, 8), false)
	f, err := os.Create(filepath.Join(dir, "b-huge.png"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(3<<30))
	require.NoError(t, f.Close())
	// The same size with a real PNG header in front.
	var hdr bytes.Buffer
	require.NoError(t, png.Encode(&hdr, image.NewGray(image.Rect(0, 0, 8000, 8000))))
	g, err := os.Create(filepath.Join(dir, "c-huge.png"))
	require.NoError(t, err)
	_, err = g.Write(hdr.Bytes()[:33]) // signature and IHDR
	require.NoError(t, err)
	require.NoError(t, g.Truncate(3<<30))
	require.NoError(t, g.Close())
	var skipped []string
	var m *Images
	n := allocated(func() {
		m, err = LoadImageDir(dir, ImageDirOptions{Size: 8, OnSkip: func(p string, err error) { skipped = append(skipped, filepath.Base(p)+": "+err.Error()) }})
	})
	require.NoError(t, err)
	require.Equal(t, 1, m.N)
	require.Len(t, skipped, 2)
	require.Contains(t, skipped[0], "b-huge.png: not a readable PNG or JPEG image")
	require.Contains(t, skipped[1], "c-huge.png: corrupt png image")
	require.Less(t, n, uint64(8000*8000+(8<<20)), "allocated %d bytes", n) // the gray image, not the file
}

// A large image is resized a row at a time: loading it takes the decoded
// image and a few rows, not a float64 copy of every pixel.
func TestLoadImageDirLargeImageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a 4096×4096 PNG")
	}
	dir := t.TempDir()
	const side = 4096
	img := image.NewGray(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		img.SetGray(y, y, color.Gray{Y: 255}) // a diagonal line
	}
	f, err := os.Create(filepath.Join(dir, "big.png"))
	require.NoError(t, err)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	require.NoError(t, enc.Encode(f, img))
	require.NoError(t, f.Close())
	var m *Images
	n := allocated(func() { m, err = LoadImageDir(dir, ImageDirOptions{Size: 16, Gray: true}) })
	require.NoError(t, err)
	require.Equal(t, 1, m.N)
	// Each output pixel on the diagonal averages 256×256 pixels, of
	// which 256 are white: 255/256, rounded to 1.
	require.Equal(t, uint8(1), m.Bytes[0])
	require.Equal(t, uint8(0), m.Bytes[1])
	require.Less(t, n, uint64(side*side+(16<<20)), "allocated %d bytes for a %d-pixel gray image", n, side*side)
}

// FuzzLoadImage decodes arbitrary bytes as an image file with the pixel
// limit in force (lowered, so that a made-up header is cheap): it must
// return an error or fill the output, never panic or allocate past the
// decoded image's limit.
func FuzzLoadImage(f *testing.F) {
	for _, img := range []image.Image{grayRamp(5, 3), solid(4, 6, color.NRGBA{R: 9, G: 200, B: 30, A: 100})} {
		var p, j bytes.Buffer
		require.NoError(f, png.Encode(&p, img))
		f.Add(p.Bytes())
		require.NoError(f, jpeg.Encode(&j, img, nil))
		f.Add(j.Bytes())
	}
	var big bytes.Buffer
	require.NoError(f, png.Encode(&big, image.NewGray(image.Rect(0, 0, 5000, 5000))))
	f.Add(big.Bytes()[:33])            // a header promising 25 million pixels, and nothing
	f.Add([]byte("\x89PNG\r\n\x1a\n")) // a signature alone
	f.Add([]byte{0xff, 0xd8, 0xff})
	old := maxImagePixels
	maxImagePixels = 1 << 16
	f.Cleanup(func() { maxImagePixels = old })
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, gray := range []bool{false, true} {
			c := 3
			if gray {
				c = 1
			}
			dst := make([]uint8, c*4*4)
			var err error
			n := allocated(func() { err = loadImage(bytes.NewReader(in), true, 4, gray, dst) })
			if err != nil {
				continue
			}
			// At most 8 bytes a pixel of the decoded image, plus slack
			// for the decoder's tables and the rows.
			require.Less(t, n, uint64(8<<16+4<<20))
			cfg, _, err := image.DecodeConfig(bytes.NewReader(in))
			require.NoError(t, err)
			require.LessOrEqual(t, int64(cfg.Width)*int64(cfg.Height), int64(1<<16))
		}
	})
}

// The row converter's shortcut for gray images gives what the general
// path gives for the same pixels stored as NRGBA, in gray and in RGB, when
// downscaling and when upscaling.
func TestGrayRowsMatchGeneralPath(t *testing.T) {
	g := grayRamp(7, 5)
	n := image.NewNRGBA(g.Bounds())
	for y := 0; y < 5; y++ {
		for x := 0; x < 7; x++ {
			n.Set(x, y, g.At(x, y))
		}
	}
	for _, size := range []int{3, 9} {
		for _, gray := range []bool{false, true} {
			c := 3
			if gray {
				c = 1
			}
			a, b := make([]uint8, c*size*size), make([]uint8, c*size*size)
			resizeInto(g, size, gray, a)
			resizeInto(n, size, gray, b)
			require.Equal(t, b, a, "size %d gray %v", size, gray)
		}
	}
}

// A data set of many tiny samples whose shuffled order (8 bytes a sample)
// does not fit the limit gets a Loader whose Next says so.
func TestLoaderOrderLimit(t *testing.T) {
	m, err := NewImages(1, 1, 1, make([]uint8, 1000), nil)
	require.NoError(t, err)
	setMaxBytes(t, 8000)
	require.NoError(t, NewLoader(m, 1).Next(make([]float32, 10)))
	setMaxBytes(t, 7999)
	err = NewLoader(m, 1).Next(make([]float32, 10))
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "data: the shuffled order of 1000 samples needs 7.812 KiB")
}

// A file whose header is sound but whose data is corrupt is counted, then
// skipped when it fails to decode; with Limit, the next file takes its
// place, and the images are those of the old single pass.
func TestLoadImageDirHeaderThenCorrupt(t *testing.T) {
	dir := t.TempDir()
	writeImageFile(t, filepath.Join(dir, "a.png"), grayRamp(8, 8), false)
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, grayRamp(8, 8)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.png"), b.Bytes()[:40], 0o644)) // IHDR, then nothing
	writeImageFile(t, filepath.Join(dir, "c.png"), grayRamp(8, 8), false)
	for _, limit := range []int{0, 2} {
		var skipped []string
		m, err := LoadImageDir(dir, ImageDirOptions{Size: 8, Gray: true, Limit: limit,
			OnSkip: func(p string, err error) { skipped = append(skipped, filepath.Base(p)+": "+err.Error()) }})
		require.NoError(t, err)
		require.Equal(t, 2, m.N)
		require.Equal(t, []string{"b.png: corrupt png image: unexpected EOF"}, skipped)
		require.Equal(t, grayRamp(8, 8).Pix, m.Bytes[:64])
		require.Equal(t, grayRamp(8, 8).Pix, m.Bytes[64:])
		// Room for the sound headers (3, or the first 2 with Limit 2),
		// allocated once.
		require.Equal(t, map[int]int{0: 3 * 64, 2: 2 * 64}[limit], cap(m.Bytes))
	}
	_, err := LoadImageDir(dir, ImageDirOptions{Size: 8, Gray: true, Strict: true})
	require.ErrorContains(t, err, "b.png: corrupt png image: unexpected EOF")
}
