package data

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewImagesScaling(t *testing.T) {
	m, err := NewImages(1, 1, 3, []uint8{0, 255, 51, 128, 1, 2}, []uint8{7, 200})
	require.NoError(t, err)
	require.Equal(t, 2, m.Len())
	require.Equal(t, []int{1, 1, 3}, m.Shape())
	want := []float32{-1, 1, 51/127.5 - 1, 128/127.5 - 1, 1/127.5 - 1, 2/127.5 - 1}
	require.Equal(t, []uint8{0, 255, 51, 128, 1, 2}, m.Bytes)
	f, err := m.Floats(0, 2)
	require.NoError(t, err)
	require.Equal(t, want, f)
	require.Equal(t, []uint8{7, 200}, m.Labels)
	dst := make([]float32, 3)
	m.At(1, dst)
	require.Equal(t, want[3:], dst)
	f, err = m.Floats(1, 2)
	require.NoError(t, err)
	require.Equal(t, want[3:], f)
	_, err = m.Floats(1, 3)
	require.EqualError(t, err, "data: images [1, 3) out of range [0, 2]")
	require.Panics(t, func() { m.At(2, dst) })

	_, err = NewImages(1, 2, 2, make([]uint8, 7), nil)
	require.EqualError(t, err, "data: 7 pixel bytes are not a whole number of 1×2×2 images")
	_, err = NewImages(1, 1, 1, make([]uint8, 3), []uint8{1})
	require.EqualError(t, err, "data: 3 images but 1 labels")
	_, err = NewImages(0, 1, 1, nil, nil)
	require.EqualError(t, err, "data: bad image shape 0×1×1")
}

func TestToByte(t *testing.T) {
	for p := 0; p < 256; p++ {
		require.Equal(t, uint8(p), ToByte(float32(p)/127.5-1), "byte %d", p)
	}
	require.Equal(t, uint8(255), ToByte(1.5))
	require.Equal(t, uint8(0), ToByte(-3))
	require.Equal(t, uint8(0), ToByte(float32(math.NaN())))
	require.Equal(t, uint8(255), ToByte(float32(math.Inf(1))))
	require.Equal(t, uint8(128), ToByte(0)) // 127.5 rounds half away from zero
}

func TestImagesImage(t *testing.T) {
	gray, err := NewImages(1, 2, 3, []uint8{0, 10, 20, 30, 40, 255}, nil)
	require.NoError(t, err)
	img, err := gray.Image(0)
	require.NoError(t, err)
	g, ok := img.(*image.Gray)
	require.True(t, ok)
	require.Equal(t, image.Rect(0, 0, 3, 2), g.Bounds())
	require.Equal(t, []uint8{0, 10, 20, 30, 40, 255}, g.Pix)

	// Two 2×1 RGB images, channel-major.
	rgb, err := NewImages(3, 1, 2, []uint8{
		1, 2, 3, 4, 5, 6,
		10, 20, 30, 40, 50, 60,
	}, nil)
	require.NoError(t, err)
	img, err = rgb.Image(1)
	require.NoError(t, err)
	n, ok := img.(*image.NRGBA)
	require.True(t, ok)
	require.Equal(t, []uint8{10, 30, 50, 255, 20, 40, 60, 255}, n.Pix)

	_, err = rgb.Image(2)
	require.EqualError(t, err, "data: image 2 out of range [0, 2)")
	two := &Images{N: 1, C: 2, H: 1, W: 1, Bytes: []uint8{0, 0}}
	_, err = two.Image(0)
	require.EqualError(t, err, "data: cannot make an image of 2 channels (want 1 or 3)")
}

// writeMNIST writes n images of h×w (pixel j of image i is i+j) and, unless
// labels is false, labels i%10, under the given names in dir.
func writeMNIST(t *testing.T, dir, imgName, labName string, n, h, w int) {
	t.Helper()
	pix := make([]uint8, n*h*w)
	for i := 0; i < n; i++ {
		for j := 0; j < h*w; j++ {
			pix[i*h*w+j] = uint8(i + j)
		}
	}
	x, err := NewIDXUint8(pix, n, h, w)
	require.NoError(t, err)
	require.NoError(t, WriteIDXFile(filepath.Join(dir, imgName), x))
	if labName != "" {
		lab := make([]uint8, n)
		for i := range lab {
			lab[i] = uint8(i % 10)
		}
		l, err := NewIDXUint8(lab, n)
		require.NoError(t, err)
		require.NoError(t, WriteIDXFile(filepath.Join(dir, labName), l))
	}
}

func TestReadImagesIDX(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "i.gz", "l", 3, 2, 2)
	m, err := ReadImagesIDX(filepath.Join(dir, "i.gz"), filepath.Join(dir, "l"))
	require.NoError(t, err)
	require.Equal(t, 3, m.N)
	require.Equal(t, []int{1, 2, 2}, m.Shape())
	require.Equal(t, []uint8{0, 1, 2}, m.Labels)
	require.Equal(t, uint8(4), m.Bytes[4+3]) // image 1, pixel 3 = 1+3
	m, err = ReadImagesIDX(filepath.Join(dir, "i.gz"), "")
	require.NoError(t, err)
	require.Nil(t, m.Labels)

	writeMNIST(t, dir, "j", "k", 4, 2, 2)
	_, err = ReadImagesIDX(filepath.Join(dir, "i.gz"), filepath.Join(dir, "k"))
	require.EqualError(t, err, "data: "+filepath.Join(dir, "i.gz")+" has 3 images but "+filepath.Join(dir, "k")+" has 4 labels")
	_, err = ReadImagesIDX(filepath.Join(dir, "k"), "")
	require.EqualError(t, err, "data: read "+filepath.Join(dir, "k")+": want an image file of ubyte with 3 dims, have ubyte with dims [4]")
	_, err = ReadImagesIDX(filepath.Join(dir, "i.gz"), filepath.Join(dir, "j"))
	require.EqualError(t, err, "data: read "+filepath.Join(dir, "j")+": want a label file of ubyte with 1 dim, have ubyte with dims [4 2 2]")
	_, err = ReadImagesIDX(filepath.Join(dir, "missing"), "")
	require.ErrorContains(t, err, "data: read "+filepath.Join(dir, "missing")+": open ")
}

func TestLoadMNISTFileChoice(t *testing.T) {
	t.Run("train preferred over t10k", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 2, 2, 2)
		writeMNIST(t, dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", 5, 2, 2)
		m, err := LoadMNIST(dir)
		require.NoError(t, err)
		require.Equal(t, 5, m.N)
	})
	t.Run("t10k", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 2, 2)
		writeMNIST(t, dir, "train-images-idx3-ubyte.gz", "", 5, 2, 2) // no train labels
		m, err := LoadFashionMNIST(dir)
		require.NoError(t, err)
		require.Equal(t, 2, m.N)
	})
	t.Run("other names", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, "mnist10k-images-idx3-ubyte.gz", "mnist10k-labels-idx1-ubyte.gz", 3, 2, 2)
		// A leftover temporary file is ignored.
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".mnist10k-images-idx3-ubyte.gz.tmp-1"), nil, 0o644))
		m, err := LoadMNIST(dir)
		require.NoError(t, err)
		require.Equal(t, 3, m.N)
		require.Equal(t, []uint8{0, 1, 2}, m.Labels)
	})
	t.Run("ambiguous", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, "a-images-idx3-ubyte", "a-labels-idx1-ubyte", 1, 1, 1)
		writeMNIST(t, dir, "b-images-idx3-ubyte", "", 1, 1, 1)
		_, err := LoadMNIST(dir)
		require.ErrorContains(t, err, "data: load MNIST from "+dir+": ambiguous: image files [a-images-idx3-ubyte b-images-idx3-ubyte], label files [a-labels-idx1-ubyte]")
	})
	t.Run("nothing", func(t *testing.T) {
		dir := t.TempDir()
		_, err := LoadMNIST(dir)
		require.EqualError(t, err, "data: load MNIST: no image and label files in "+dir+": looked for "+
			"train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, train-images-idx3-ubyte, train-labels-idx1-ubyte, "+
			"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "+
			"or one file each matching *images-idx3-ubyte* and *labels-idx1-ubyte* (found [] and [])")
		_, err = LoadFashionMNIST(filepath.Join(dir, "absent"))
		require.ErrorContains(t, err, "data: load Fashion-MNIST: no image and label files in "+filepath.Join(dir, "absent"))
	})
}

// checkDigits checks a loaded MNIST-like set of n 28×28 images labelled 0..9.
func checkDigits(t *testing.T, m *Images, n int) {
	t.Helper()
	require.Equal(t, n, m.Len())
	require.Equal(t, []int{1, 28, 28}, m.Shape())
	require.Len(t, m.Bytes, n*28*28)
	require.Len(t, m.Labels, n)
	var counts [10]int
	for _, l := range m.Labels {
		require.Less(t, l, uint8(10))
		counts[l]++
	}
	for d, c := range counts {
		require.Positive(t, c, "class %d", d)
	}
	lo, hi := uint8(255), uint8(0)
	for _, p := range m.Bytes {
		lo, hi = min(lo, p), max(hi, p)
	}
	require.Equal(t, uint8(0), lo)
	require.Equal(t, uint8(255), hi)
}

func TestLoadSharedMNIST10k(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "mnist10k")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared MNIST sample not available at %s (%v)", dir, err)
	}
	m, err := LoadMNIST(dir)
	require.NoError(t, err)
	checkDigits(t, m, 10000)
	// Class counts from the README of the shared data.
	var counts [10]int
	for _, l := range m.Labels {
		counts[l]++
	}
	require.Equal(t, [10]int{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}, counts)
}

func TestLoadDebianFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 47 MB of Fashion-MNIST; skipped in -short mode")
	}
	if _, err := os.Stat(filepath.Join(DefaultFashionMNISTDir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed at %s (apt-get install dataset-fashion-mnist): %v", DefaultFashionMNISTDir, err)
	}
	m, err := LoadFashionMNIST(DefaultFashionMNISTDir)
	require.NoError(t, err)
	checkDigits(t, m, 60000)
	var counts [10]int
	for _, l := range m.Labels {
		counts[l]++
	}
	require.Equal(t, [10]int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, counts)
}
