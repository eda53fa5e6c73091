package data

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultFashionMNISTDir is where the Debian package dataset-fashion-mnist
// installs the Fashion-MNIST files (train-images-idx3-ubyte.gz and so on).
// Their gzip headers are normalised by Debian, so the .gz files differ from
// the upstream downloads byte for byte, but the decompressed IDX data is the
// same.
const DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// Images is a set of N images of C channels of H×W pixels, a Dataset whose
// samples have shape [C, H, W]. The pixels are kept as the bytes they were
// stored as, a quarter of the memory of float32; At and Floats convert
// them, a batch at a time, to values in [-1, 1].
type Images struct {
	N, C, H, W int
	// Bytes holds the images one after the other, each channel-major
	// (C planes of H rows of W pixels), one byte p per pixel, which stands
	// for the value p/127.5 - 1 in [-1, 1] (see ByteValue).
	Bytes []uint8
	// Labels holds one label per image, or is nil if there are none.
	Labels []uint8
}

// byteValues holds ByteValue of every byte, so that At converts by lookup.
var byteValues = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(float64(p)/127.5 - 1)
	}
	return t
}()

// ByteValue returns the value in [-1, 1] a pixel byte p stands for,
// float32(p/127.5 - 1) computed in float64: -1 for 0, 1 for 255. ToByte is
// its inverse.
func ByteValue(p uint8) float32 { return byteValues[p] }

// NewImages returns the images held in pixels, bytes laid out like
// Images.Bytes (copied), with optional labels (nil for none; otherwise one
// per image). The number of images is len(pixels)/(c*h*w).
func NewImages(c, h, w int, pixels, labels []uint8) (*Images, error) {
	m, err := newImages(c, h, w, pixels, labels)
	if err != nil {
		return nil, err
	}
	m.Bytes = append([]uint8{}, pixels...)
	if labels != nil {
		m.Labels = append([]uint8{}, labels...)
	}
	return m, nil
}

// newImages is NewImages without the copies: m holds pixels and labels.
func newImages(c, h, w int, pixels, labels []uint8) (*Images, error) {
	if c <= 0 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("data: bad image shape %d×%d×%d", c, h, w)
	}
	s := c * h * w
	if s/c/h != w || len(pixels)%s != 0 {
		return nil, fmt.Errorf("data: %d pixel bytes are not a whole number of %d×%d×%d images", len(pixels), c, h, w)
	}
	n := len(pixels) / s
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("data: %d images but %d labels", n, len(labels))
	}
	return &Images{N: n, C: c, H: h, W: w, Bytes: pixels, Labels: labels}, nil
}

// Len returns the number of images, N.
func (m *Images) Len() int { return m.N }

// Shape returns [C, H, W].
func (m *Images) Shape() []int { return []int{m.C, m.H, m.W} }

// At writes image i into dst as values in [-1, 1] (ByteValue of each byte).
// Like slice indexing, it panics if i is out of range or dst does not have
// length C*H*W.
func (m *Images) At(i int, dst []float32) {
	s := m.C * m.H * m.W
	if i < 0 || i >= m.N || len(dst) != s {
		panic(fmt.Sprintf("data: Images.At(%d, len %d) on %d images of size %d", i, len(dst), m.N, s))
	}
	for k, p := range m.Bytes[i*s : (i+1)*s] {
		dst[k] = byteValues[p]
	}
}

// Floats returns images from to to-1 as values in [-1, 1], one image after
// the other, laid out like Bytes. The float32 copy takes four times the
// memory of the bytes, so it is checked against the memory limit (see
// MemoryLimit) first.
func (m *Images) Floats(from, to int) ([]float32, error) {
	if from < 0 || to < from || to > m.N {
		return nil, fmt.Errorf("data: images [%d, %d) out of range [0, %d]", from, to, m.N)
	}
	s := m.C * m.H * m.W
	if len(m.Bytes) < m.N*s {
		return nil, fmt.Errorf("data: %d pixel bytes are too few for %d images of %d×%d×%d", len(m.Bytes), m.N, m.C, m.H, m.W)
	}
	if err := CheckCount(fmt.Sprintf("data: float32 copy of %d images of %d×%d×%d", to-from, m.C, m.H, m.W), int64(to-from)*int64(s), 4); err != nil {
		return nil, err
	}
	out := make([]float32, (to-from)*s)
	for k, p := range m.Bytes[from*s : to*s] {
		out[k] = byteValues[p]
	}
	return out, nil
}

// Image returns image i as an *image.Gray (C = 1) or *image.NRGBA (C = 3,
// opaque).
func (m *Images) Image(i int) (image.Image, error) {
	if i < 0 || i >= m.N {
		return nil, fmt.Errorf("data: image %d out of range [0, %d)", i, m.N)
	}
	s := m.C * m.H * m.W
	if len(m.Bytes) < m.N*s {
		return nil, fmt.Errorf("data: %d pixel bytes are too few for %d images of %d×%d×%d", len(m.Bytes), m.N, m.C, m.H, m.W)
	}
	px := m.Bytes[i*s : (i+1)*s]
	plane := m.H * m.W
	switch m.C {
	case 1:
		img := image.NewGray(image.Rect(0, 0, m.W, m.H))
		copy(img.Pix, px)
		return img, nil
	case 3:
		img := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				o := y*m.W + x
				img.SetNRGBA(x, y, color.NRGBA{R: px[o], G: px[plane+o], B: px[2*plane+o], A: 255})
			}
		}
		return img, nil
	}
	return nil, fmt.Errorf("data: cannot make an image of %d channels (want 1 or 3)", m.C)
}

// ToByte maps a pixel value in [-1, 1] back to 0..255, the inverse of
// p/127.5 - 1, rounding to nearest and clamping values outside the range
// (NaN maps to 0).
func ToByte(v float32) uint8 {
	f := math.Round((float64(v) + 1) * 127.5)
	switch {
	case f >= 255:
		return 255
	case f > 0:
		return uint8(f)
	}
	return 0
}

// ReadImagesIDX reads images from an IDX file of unsigned bytes with dims
// [N, H, W], and, unless labelsPath is "", their labels from an IDX file of
// unsigned bytes with dims [N]. Labels can be any byte values.
func ReadImagesIDX(imagesPath, labelsPath string) (*Images, error) {
	x, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	if x.Type != IDXUint8 || len(x.Dims) != 3 {
		return nil, fmt.Errorf("data: read %s: want an image file of ubyte with 3 dims, have %v with dims %v", imagesPath, x.Type, x.Dims)
	}
	var labels []uint8
	if labelsPath != "" {
		l, err := ReadIDXFile(labelsPath)
		if err != nil {
			return nil, err
		}
		if l.Type != IDXUint8 || len(l.Dims) != 1 {
			return nil, fmt.Errorf("data: read %s: want a label file of ubyte with 1 dim, have %v with dims %v", labelsPath, l.Type, l.Dims)
		}
		if l.Dims[0] != x.Dims[0] {
			return nil, fmt.Errorf("data: %s has %d images but %s has %d labels", imagesPath, x.Dims[0], labelsPath, l.Dims[0])
		}
		labels = l.Data
	}
	if x.Dims[1] == 0 || x.Dims[2] == 0 {
		return nil, fmt.Errorf("data: read %s: empty images of %d×%d", imagesPath, x.Dims[1], x.Dims[2])
	}
	m, err := newImages(1, x.Dims[1], x.Dims[2], x.Data, labels) // the bytes as read, not copied
	if err != nil {
		return nil, fmt.Errorf("data: read %s: %w", imagesPath, err)
	}
	return m, nil
}

// LoadMNIST loads MNIST-style images and labels from dir. It takes, in this
// order of preference, train-images-idx3-ubyte[.gz] with
// train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] with
// t10k-labels-idx1-ubyte[.gz], or else the only file matching
// *images-idx3-ubyte* with the only file matching *labels-idx1-ubyte*.
// Files whose names start with "." are ignored.
func LoadMNIST(dir string) (*Images, error) { return loadIDXDir("MNIST", dir) }

// LoadFashionMNIST loads Fashion-MNIST from dir, which names its files as
// MNIST does; see LoadMNIST. DefaultFashionMNISTDir is where Debian installs
// it.
func LoadFashionMNIST(dir string) (*Images, error) { return loadIDXDir("Fashion-MNIST", dir) }

func loadIDXDir(what, dir string) (*Images, error) {
	images, labels, err := findIDXPair(what, dir)
	if err != nil {
		return nil, err
	}
	return ReadImagesIDX(images, labels)
}

// findIDXPair finds the image and label files in dir; see LoadMNIST.
func findIDXPair(what, dir string) (images, labels string, err error) {
	var looked []string
	exists := func(name string) bool {
		fi, err := os.Stat(filepath.Join(dir, name))
		return err == nil && !fi.IsDir()
	}
	for _, prefix := range []string{"train", "t10k"} {
		var img, lab string
		for _, ext := range []string{".gz", ""} {
			for _, kind := range []string{"-images-idx3-ubyte", "-labels-idx1-ubyte"} {
				looked = append(looked, prefix+kind+ext)
			}
		}
		for _, ext := range []string{".gz", ""} {
			if n := prefix + "-images-idx3-ubyte" + ext; img == "" && exists(n) {
				img = n
			}
			if n := prefix + "-labels-idx1-ubyte" + ext; lab == "" && exists(n) {
				lab = n
			}
		}
		if img != "" && lab != "" {
			return filepath.Join(dir, img), filepath.Join(dir, lab), nil
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("data: load %s: %w", what, err)
	}
	match := func(pattern string) []string {
		var out []string
		for _, e := range entries {
			n := e.Name()
			if ok, _ := filepath.Match(pattern, n); ok && !strings.HasPrefix(n, ".") && !e.IsDir() {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	imgs, labs := match("*images-idx3-ubyte*"), match("*labels-idx1-ubyte*")
	if len(imgs) == 1 && len(labs) == 1 {
		return filepath.Join(dir, imgs[0]), filepath.Join(dir, labs[0]), nil
	}
	if len(imgs) > 1 || len(labs) > 1 {
		return "", "", fmt.Errorf("data: load %s from %s: ambiguous: image files %v, label files %v; keep one of each or use the names %s",
			what, dir, imgs, labs, strings.Join(looked, ", "))
	}
	return "", "", fmt.Errorf("data: load %s: no image and label files in %s: looked for %s, or one file each matching *images-idx3-ubyte* and *labels-idx1-ubyte* (found %v and %v)",
		what, dir, strings.Join(looked, ", "), imgs, labs)
}
