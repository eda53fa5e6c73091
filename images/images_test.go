package images

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"
)

func TestToByte(t *testing.T) {
	cases := []struct {
		v    float32
		want uint8
	}{
		{-1, 0}, {0, 128}, {1, 255}, // 0 ↦ 127.5, rounded half away from zero
		{1.5, 255}, {-3, 0}, {2, 255}, {-1.0001, 0},
		{float32(math.Inf(1)), 255}, {float32(math.Inf(-1)), 0}, {float32(math.NaN()), 0},
		{-0.5, 64}, // 63.75
		{0.5, 191}, // 191.25
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ToByte(c.v), "ToByte(%v)", c.v)
	}
	// Every byte value k is hit exactly by k/127.5 − 1.
	for k := 0; k <= 255; k++ {
		require.Equal(t, uint8(k), ToByte(float32(k)/127.5-1), "k=%d", k)
	}
	// Monotone over [-1, 1].
	prev := uint8(0)
	for i := 0; i <= 20000; i++ {
		b := ToByte(float32(i)/10000 - 1)
		require.GreaterOrEqual(t, b, prev)
		prev = b
	}
}

func TestFromFloatsGray(t *testing.T) {
	// 2 rows, 3 columns.
	data := []float32{-1, 0, 1, 1.5, -3, 0.5}
	img, err := FromFloats(data, 1, 2, 3)
	require.NoError(t, err)
	g, ok := img.(*image.Gray)
	require.True(t, ok, "%T", img)
	require.Equal(t, image.Rect(0, 0, 3, 2), g.Bounds())
	assert.Equal(t, uint8(0), g.GrayAt(0, 0).Y)
	assert.Equal(t, uint8(128), g.GrayAt(1, 0).Y)
	assert.Equal(t, uint8(255), g.GrayAt(2, 0).Y)
	assert.Equal(t, uint8(255), g.GrayAt(0, 1).Y, "1.5 clamps to 255")
	assert.Equal(t, uint8(0), g.GrayAt(1, 1).Y, "-3 clamps to 0")
	assert.Equal(t, uint8(191), g.GrayAt(2, 1).Y)
}

func TestFromFloatsRGB(t *testing.T) {
	// CHW, 1 row × 2 columns: R plane, G plane, B plane.
	data := []float32{
		-1, 1, // R
		0, -1, // G
		1, 0, // B
	}
	img, err := FromFloats(data, 3, 1, 2)
	require.NoError(t, err)
	n, ok := img.(*image.NRGBA)
	require.True(t, ok, "%T", img)
	assert.Equal(t, color.NRGBA{0, 128, 255, 255}, n.NRGBAAt(0, 0))
	assert.Equal(t, color.NRGBA{255, 0, 128, 255}, n.NRGBAAt(1, 0))
}

func TestFromFloatsErrors(t *testing.T) {
	for _, c := range []struct {
		n, c, h, w int
		want       string
	}{
		{4, 2, 1, 2, "2 channels"},
		{8, 4, 1, 2, "4 channels"},
		{0, 0, 1, 2, "0 channels"},
		{0, 1, 0, 2, "not positive"},
		{0, 1, 2, -1, "not positive"},
		{5, 1, 2, 3, "got 5 values, want c·h·w = 1·2·3 = 6"},
		{7, 3, 1, 2, "got 7 values"},
		{0, 1, math.MaxInt32, math.MaxInt32, "exceeds"},
	} {
		img, err := FromFloats(make([]float32, c.n), c.c, c.h, c.w)
		require.Nil(t, img)
		require.ErrorContains(t, err, "images: FromFloats: ")
		require.ErrorContains(t, err, c.want)
	}
}

func TestBatchToImages(t *testing.T) {
	data := []float32{-1, 1, 1, -1, 0, 0}
	imgs, err := BatchToImages(data, 3, 1, 1, 2)
	require.NoError(t, err)
	require.Len(t, imgs, 3)
	assert.Equal(t, []uint8{0, 255}, imgs[0].(*image.Gray).Pix)
	assert.Equal(t, []uint8{255, 0}, imgs[1].(*image.Gray).Pix)
	assert.Equal(t, []uint8{128, 128}, imgs[2].(*image.Gray).Pix)

	imgs, err = BatchToImages(nil, 0, 3, 4, 4)
	require.NoError(t, err)
	require.Empty(t, imgs)

	_, err = BatchToImages(data, 2, 1, 1, 2)
	require.ErrorContains(t, err, "images: BatchToImages: got 6 values, want n·c·h·w = 2·1·1·2")
	_, err = BatchToImages(data, -1, 1, 1, 2)
	require.ErrorContains(t, err, "negative batch size")
	_, err = BatchToImages(data, 1, 2, 1, 3)
	require.ErrorContains(t, err, "2 channels")
	_, err = BatchToImages(data, math.MaxInt/2, 3, 2, 2)
	require.ErrorContains(t, err, "got 6 values")
}

func TestFromTensor(t *testing.T) {
	// [n H W] float64: one channel.
	gray := tensor.New(tensor.WithShape(2, 1, 2), tensor.WithBacking([]float64{-1, 1, 0, 0.5}))
	imgs, err := FromTensor(gray)
	require.NoError(t, err)
	require.Len(t, imgs, 2)
	assert.Equal(t, []uint8{0, 255}, imgs[0].(*image.Gray).Pix)
	assert.Equal(t, []uint8{128, 191}, imgs[1].(*image.Gray).Pix)

	// [n C H W] float32, three channels: planes R, G, B.
	rgb := tensor.New(tensor.WithShape(1, 3, 1, 1), tensor.WithBacking([]float32{1, -1, 0}))
	imgs, err = FromTensor(rgb)
	require.NoError(t, err)
	require.Len(t, imgs, 1)
	assert.Equal(t, []uint8{255, 0, 128, 255}, imgs[0].(*image.NRGBA).Pix)

	// The same values as BatchToImages gives.
	want, err := BatchToImages([]float32{-1, 1, 0, 0.5}, 2, 1, 1, 2)
	require.NoError(t, err)
	imgs, err = FromTensor(tensor.New(tensor.WithShape(2, 1, 1, 2), tensor.WithBacking([]float32{-1, 1, 0, 0.5})))
	require.NoError(t, err)
	assert.Equal(t, want, imgs)

	_, err = FromTensor(tensor.New(tensor.WithShape(4), tensor.WithBacking([]float32{1, 2, 3, 4})))
	require.EqualError(t, err, "images: FromTensor: samples of shape (4) are not images (want [n C H W] or [n H W])")
	_, err = FromTensor(tensor.New(tensor.WithShape(1, 2, 1, 1), tensor.WithBacking([]float32{1, 2})))
	require.EqualError(t, err, "images: FromTensor: 2 channels: only 1 (gray) and 3 (RGB) can be shown")
	_, err = FromTensor(tensor.New(tensor.WithShape(1, 1, 1), tensor.WithBacking([]int{1})))
	require.ErrorContains(t, err, "want float32 or float64")
	_, err = FromTensor(nil)
	require.ErrorContains(t, err, "nil tensor")
}

// grayFill returns a w×h Gray image whose every pixel is v.
func grayFill(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

func TestGridGray(t *testing.T) {
	// Five 3×2 images in 3 columns with 1 pixel of padding: 2 rows.
	var imgs []image.Image
	for i := 0; i < 5; i++ {
		g := grayFill(3, 2, uint8(10*(i+1)))
		g.SetGray(2, 1, color.Gray{Y: uint8(200 + i)}) // bottom-right corner marker
		imgs = append(imgs, g)
	}
	img, err := Grid(imgs, 3, 1)
	require.NoError(t, err)
	g, ok := img.(*image.Gray)
	require.True(t, ok, "%T", img)
	require.Equal(t, image.Rect(0, 0, 3*3+4*1, 2*2+3*1), g.Bounds())

	for i := 0; i < 5; i++ {
		x0, y0 := 1+(i%3)*4, 1+(i/3)*3
		assert.Equal(t, uint8(10*(i+1)), g.GrayAt(x0, y0).Y, "top-left of image %d", i)
		assert.Equal(t, uint8(200+i), g.GrayAt(x0+2, y0+1).Y, "bottom-right of image %d", i)
		assert.Equal(t, uint8(0), g.GrayAt(x0-1, y0).Y, "padding left of image %d", i)
		assert.Equal(t, uint8(0), g.GrayAt(x0+3, y0+1).Y, "padding right of image %d", i)
		assert.Equal(t, uint8(0), g.GrayAt(x0, y0-1).Y, "padding above image %d", i)
	}
	// Corners of the grid are padding; the sixth cell is empty.
	for _, p := range []image.Point{{0, 0}, {12, 0}, {0, 6}, {12, 6}, {9, 4}, {11, 5}} {
		assert.Equal(t, uint8(0), g.GrayAt(p.X, p.Y).Y, "%v", p)
	}
}

func TestGridSizeFormula(t *testing.T) {
	for _, c := range []struct {
		n, cols, pad, w, h int
		wantW, wantH       int
	}{
		{1, 1, 0, 28, 28, 28, 28},
		{64, 8, 2, 28, 28, 8*28 + 9*2, 8*28 + 9*2},
		{10, 8, 2, 28, 28, 8*28 + 9*2, 2*28 + 3*2},
		{3, 8, 2, 5, 4, 3*5 + 4*2, 4 + 2*2}, // fewer images than columns
		{7, 3, 0, 2, 3, 6, 9},
		{4, 1, 5, 2, 2, 2 + 10, 4*2 + 5*5},
	} {
		imgs := make([]image.Image, c.n)
		for i := range imgs {
			imgs[i] = image.NewNRGBA(image.Rect(0, 0, c.w, c.h))
		}
		img, err := Grid(imgs, c.cols, c.pad)
		require.NoError(t, err)
		require.Equal(t, image.Pt(c.wantW, c.wantH), img.Bounds().Size(), "%+v", c)
		require.IsType(t, &image.NRGBA{}, img)
	}
}

func TestGridMixedIsNRGBA(t *testing.T) {
	gray := grayFill(2, 2, 100)
	rgb := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	rgb.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 255})
	rgb.SetNRGBA(1, 1, color.NRGBA{200, 100, 50, 128}) // semi-transparent: kept exactly
	// A sub-image whose bounds do not start at (0, 0).
	big := grayFill(4, 4, 7)
	big.SetGray(2, 2, color.Gray{Y: 99})
	sub := big.SubImage(image.Rect(2, 2, 4, 4))
	rgba := image.NewRGBA(image.Rect(0, 0, 2, 2))
	rgba.SetRGBA(1, 0, color.RGBA{10, 20, 30, 255})

	img, err := Grid([]image.Image{gray, rgb, sub, rgba}, 2, 1)
	require.NoError(t, err)
	n, ok := img.(*image.NRGBA)
	require.True(t, ok, "%T", img)
	require.Equal(t, image.Rect(0, 0, 7, 7), n.Bounds())
	assert.Equal(t, color.NRGBA{100, 100, 100, 255}, n.NRGBAAt(1, 1))
	assert.Equal(t, color.NRGBA{1, 2, 3, 255}, n.NRGBAAt(4, 1))
	assert.Equal(t, color.NRGBA{200, 100, 50, 128}, n.NRGBAAt(5, 2))
	assert.Equal(t, color.NRGBA{99, 99, 99, 255}, n.NRGBAAt(1, 4))
	assert.Equal(t, color.NRGBA{7, 7, 7, 255}, n.NRGBAAt(2, 5))
	assert.Equal(t, color.NRGBA{10, 20, 30, 255}, n.NRGBAAt(5, 4))
	assert.Equal(t, color.NRGBA{0, 0, 0, 0}, n.NRGBAAt(4, 5), "transparent pixel of the RGBA image")
	for _, p := range []image.Point{{0, 0}, {3, 3}, {6, 6}, {3, 1}, {1, 3}} {
		assert.Equal(t, color.NRGBA{0, 0, 0, 255}, n.NRGBAAt(p.X, p.Y), "padding at %v", p)
	}
}

func TestGridErrors(t *testing.T) {
	a := grayFill(2, 2, 1)
	for _, c := range []struct {
		imgs      []image.Image
		cols, pad int
		want      string
	}{
		{nil, 1, 0, "images: Grid: no images"},
		{[]image.Image{}, 1, 0, "no images"},
		{[]image.Image{a, nil}, 1, 0, "image 1 is nil"},
		{[]image.Image{a, grayFill(3, 2, 0)}, 2, 0, "image 1 is 3×2, image 0 is 2×2"},
		{[]image.Image{image.NewGray(image.Rect(0, 0, 0, 0))}, 1, 0, "empty"},
		{[]image.Image{a}, 0, 0, "0 columns"},
		{[]image.Image{a}, 1, -1, "negative padding"},
		{[]image.Image{a}, 1, math.MaxInt32, "exceeds"},
	} {
		img, err := Grid(c.imgs, c.cols, c.pad)
		require.Nil(t, img)
		require.ErrorContains(t, err, c.want)
	}
}

func TestScale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(g.Pix, []uint8{1, 2, 3, 4})
	s := Scale(g, 3)
	sg, ok := s.(*image.Gray)
	require.True(t, ok, "%T", s)
	require.Equal(t, image.Rect(0, 0, 6, 6), sg.Bounds())
	for y := 0; y < 6; y++ {
		for x := 0; x < 6; x++ {
			require.Equal(t, g.GrayAt(x/3, y/3), sg.GrayAt(x, y), "(%d,%d)", x, y)
		}
	}

	n := image.NewNRGBA(image.Rect(5, 5, 7, 6)) // 2×1, not at the origin
	n.SetNRGBA(5, 5, color.NRGBA{1, 2, 3, 4})
	n.SetNRGBA(6, 5, color.NRGBA{5, 6, 7, 255})
	s = Scale(n, 2)
	sn, ok := s.(*image.NRGBA)
	require.True(t, ok, "%T", s)
	require.Equal(t, image.Rect(0, 0, 4, 2), sn.Bounds())
	for y := 0; y < 2; y++ {
		assert.Equal(t, color.NRGBA{1, 2, 3, 4}, sn.NRGBAAt(0, y))
		assert.Equal(t, color.NRGBA{1, 2, 3, 4}, sn.NRGBAAt(1, y))
		assert.Equal(t, color.NRGBA{5, 6, 7, 255}, sn.NRGBAAt(2, y))
		assert.Equal(t, color.NRGBA{5, 6, 7, 255}, sn.NRGBAAt(3, y))
	}

	// Factor below 1: a copy of the same size.
	c := Scale(g, 0).(*image.Gray)
	require.Equal(t, g.Pix, c.Pix)
	c.Pix[0] = 9
	require.Equal(t, uint8(1), g.Pix[0], "the copy is independent")
	// Too large: unchanged.
	require.Same(t, g, Scale(g, math.MaxInt32))
	require.Nil(t, Scale(nil, 2))
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	fh, err := os.Open(path)
	require.NoError(t, err)
	defer fh.Close()
	img, err := png.Decode(fh)
	require.NoError(t, err)
	return img
}

func requireSamePixels(t *testing.T, want, got image.Image) {
	t.Helper()
	require.Equal(t, want.Bounds().Size(), got.Bounds().Size())
	wb, gb := want.Bounds(), got.Bounds()
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			w := color.NRGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y))
			g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
			require.Equal(t, w, g, "pixel (%d,%d)", x, y)
		}
	}
}

func TestWritePNGRoundTrip(t *testing.T) {
	dir := t.TempDir()

	gray, err := FromFloats([]float32{-1, -0.5, 0, 0.5, 1, 2}, 1, 2, 3)
	require.NoError(t, err)
	path := filepath.Join(dir, "gray.png")
	require.NoError(t, WritePNG(path, gray))
	got := readPNG(t, path)
	require.IsType(t, &image.Gray{}, got)
	require.Equal(t, gray.(*image.Gray).Pix, got.(*image.Gray).Pix)

	rgb, err := FromFloats([]float32{-1, 1, 0, 0.25, 0.75, -0.75}, 3, 1, 2)
	require.NoError(t, err)
	path = filepath.Join(dir, "rgb.png")
	require.NoError(t, WritePNG(path, rgb))
	requireSamePixels(t, rgb, readPNG(t, path))

	alpha := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	alpha.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 40})
	alpha.SetNRGBA(1, 0, color.NRGBA{255, 0, 7, 255})
	path = filepath.Join(dir, "alpha.png")
	require.NoError(t, WritePNG(path, alpha))
	requireSamePixels(t, alpha, readPNG(t, path))

	grid, err := Grid([]image.Image{gray, gray, gray}, 2, 2)
	require.NoError(t, err)
	big := Scale(grid, 3)
	path = filepath.Join(dir, "grid.png")
	require.NoError(t, WritePNG(path, big))
	requireSamePixels(t, big, readPNG(t, path))
}

func TestWritePNGFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	old := grayFill(2, 2, 42)
	require.NoError(t, WritePNG(path, old))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	// PNG cannot encode an empty image: the old file stays.
	err = WritePNG(path, image.NewGray(image.Rect(0, 0, 0, 0)))
	require.ErrorContains(t, err, "images: ")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	require.ErrorContains(t, WritePNG(path, nil), "nil image")
	require.Error(t, WritePNG(filepath.Join(dir, "missing", "x.png"), old))
}
