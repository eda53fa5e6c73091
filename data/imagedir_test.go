package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeImageFile(t *testing.T, path string, img image.Image, asJPEG bool) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	var buf bytes.Buffer
	if asJPEG {
		require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	} else {
		require.NoError(t, png.Encode(&buf, img))
	}
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// grayRamp is a w×h gray image with pixel (x, y) = 10·y + x.
func grayRamp(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(10*y + x)})
		}
	}
	return img
}

func solid(w, h int, c color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func scaled(v float64) float32 { return float32(v/127.5 - 1) }

// floats returns all of m's images as values in [-1, 1].
func floats(t *testing.T, m *Images) []float32 {
	t.Helper()
	f, err := m.Floats(0, m.N)
	require.NoError(t, err)
	return f
}

// TestLoadImageDirCropsExactly loads non-square images whose shorter side
// is already Size, so that the resize is the identity and the result is
// the centre crop, pixel for pixel.
func TestLoadImageDirCropsExactly(t *testing.T) {
	dir := t.TempDir()
	writeImageFile(t, filepath.Join(dir, "a-wide.png"), grayRamp(7, 4), false) // 7×4: crop x 1..4
	writeImageFile(t, filepath.Join(dir, "b-tall.PNG"), grayRamp(4, 9), false) // 4×9: crop y 2..5
	rgb := image.NewNRGBA(image.Rect(0, 0, 4, 6))
	for y := 0; y < 6; y++ {
		for x := 0; x < 4; x++ {
			rgb.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(100 + y), B: 200, A: 255})
		}
	}
	writeImageFile(t, filepath.Join(dir, "c-rgb.png"), rgb, false) // 4×6: crop y 1..4

	gray, err := LoadImageDir(dir, ImageDirOptions{Size: 4, Gray: true})
	require.NoError(t, err)
	require.Equal(t, 3, gray.Len())
	require.Equal(t, []int{1, 4, 4}, gray.Shape())
	px := make([]float32, 16)
	gray.At(0, px)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			require.Equal(t, scaled(float64(10*y+x+1)), px[y*4+x], "wide (%d,%d)", x, y)
		}
	}
	gray.At(1, px)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			require.Equal(t, scaled(float64(10*(y+2)+x)), px[y*4+x], "tall (%d,%d)", x, y)
		}
	}

	col, err := LoadImageDir(dir, ImageDirOptions{Size: 4})
	require.NoError(t, err)
	require.Equal(t, []int{3, 4, 4}, col.Shape())
	px = make([]float32, 3*16)
	col.At(2, px)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			require.Equal(t, scaled(float64(x)), px[y*4+x])
			require.Equal(t, scaled(float64(100+y+1)), px[16+y*4+x])
			require.Equal(t, scaled(200), px[32+y*4+x])
		}
	}
	// A gray image loaded as RGB has three equal planes.
	col.At(0, px)
	require.Equal(t, px[:16], px[16:32])
	require.Equal(t, px[:16], px[32:])
}

func TestLoadImageDirResizes(t *testing.T) {
	dir := t.TempDir()
	// 8×8 with 2×2 blocks of 0 and 200: an area downscale to 4×4 keeps
	// each block; to 2×2 it averages to 100.
	checker := image.NewGray(image.Rect(0, 0, 8, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			if (x/2+y/2)%2 == 1 {
				checker.SetGray(x, y, color.Gray{Y: 200})
			}
		}
	}
	writeImageFile(t, filepath.Join(dir, "checker.png"), checker, false)
	m, err := LoadImageDir(dir, ImageDirOptions{Size: 4, Gray: true})
	require.NoError(t, err)
	for i, v := range floats(t, m) {
		x, y := i%4, i/4
		want := 0.0
		if (x+y)%2 == 1 {
			want = 200
		}
		require.Equal(t, scaled(want), v, "(%d,%d)", x, y)
	}
	m, err = LoadImageDir(dir, ImageDirOptions{Size: 2, Gray: true})
	require.NoError(t, err)
	for _, v := range floats(t, m) {
		require.InDelta(t, scaled(100), v, 1e-6)
	}

	// Upscaling (bilinear) a 2×3 image to 4×4 and downscaling a 30×20
	// JPEG photo-like image to 8: values stay in range and in order.
	dir2 := t.TempDir()
	small := image.NewGray(image.Rect(0, 0, 2, 3))
	small.SetGray(1, 0, color.Gray{Y: 255})
	small.SetGray(1, 1, color.Gray{Y: 255})
	small.SetGray(1, 2, color.Gray{Y: 255})
	writeImageFile(t, filepath.Join(dir2, "small.png"), small, false)
	m, err = LoadImageDir(dir2, ImageDirOptions{Size: 4, Gray: true})
	require.NoError(t, err)
	for y := 0; y < 4; y++ {
		row := floats(t, m)[y*4 : y*4+4]
		// Left edge black, right edge white, increasing between.
		require.Equal(t, float32(-1), row[0])
		require.Equal(t, float32(1), row[3])
		require.Less(t, row[1], row[2])
		require.Equal(t, scaled(64), row[1]) // 255/4 = 63.75, rounded to a byte
	}

	dir3 := t.TempDir()
	writeImageFile(t, filepath.Join(dir3, "red.jpg"), solid(30, 20, color.NRGBA{R: 220, G: 30, B: 40, A: 255}), true)
	m, err = LoadImageDir(dir3, ImageDirOptions{Size: 8})
	require.NoError(t, err)
	require.Equal(t, []int{3, 8, 8}, m.Shape())
	for c, want := range []float64{220, 30, 40} {
		for _, v := range floats(t, m)[c*64 : (c+1)*64] {
			require.InDelta(t, scaled(want), v, 6/127.5, "channel %d", c) // JPEG is lossy
		}
	}
}

// TestLoadImageDirSkipsAndStrict covers a corrupt PNG, a text file named
// like an image, a plain text file (ignored), a JPEG with a .png name
// (read by content), an extension-less PNG, a hidden file, a nested
// directory and Limit.
func TestLoadImageDirSkipsAndStrict(t *testing.T) {
	dir := t.TempDir()
	writeImageFile(t, filepath.Join(dir, "1.png"), grayRamp(4, 4), false)
	writeImageFile(t, filepath.Join(dir, "2-really-jpeg.png"), solid(4, 4, color.White), true)
	writeImageFile(t, filepath.Join(dir, "3-no-extension"), grayRamp(4, 4), false)
	writeImageFile(t, filepath.Join(dir, ".hidden.png"), grayRamp(4, 4), false)
	writeImageFile(t, filepath.Join(dir, "nested", "deeper", "4.jpeg"), solid(5, 4, color.Black), true)
	var good bytes.Buffer
	require.NoError(t, png.Encode(&good, grayRamp(4, 4)))
	corrupt := filepath.Join(dir, "0-corrupt.png")
	require.NoError(t, os.WriteFile(corrupt, good.Bytes()[:good.Len()/2], 0o644))
	fake := filepath.Join(dir, "5-text.JPG")
	require.NoError(t, os.WriteFile(fake, []byte("this is not an image"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644))

	var skipped []string
	var reasons []error
	opt := ImageDirOptions{Size: 4, Gray: true, OnSkip: func(path string, err error) {
		skipped = append(skipped, path)
		reasons = append(reasons, err)
	}}
	m, err := LoadImageDir(dir, opt)
	require.NoError(t, err)
	require.Equal(t, 3, m.Len()) // 1.png, 2-really-jpeg.png, 3-no-extension
	require.Equal(t, []string{corrupt, fake}, skipped)
	require.ErrorContains(t, reasons[0], "png")
	require.ErrorContains(t, reasons[1], "not a readable PNG or JPEG image")
	px := make([]float32, 16)
	m.At(1, px)
	for _, v := range px {
		require.InDelta(t, 1, v, 0.02) // the white JPEG
	}

	skipped = nil
	opt.Recursive = true
	m, err = LoadImageDir(dir, opt)
	require.NoError(t, err)
	require.Equal(t, 4, m.Len())
	require.Len(t, skipped, 2)

	opt.Limit = 2
	m, err = LoadImageDir(dir, opt)
	require.NoError(t, err)
	require.Equal(t, 2, m.Len())

	opt = ImageDirOptions{Size: 4, Strict: true}
	_, err = LoadImageDir(dir, opt)
	require.ErrorContains(t, err, corrupt)
	require.ErrorContains(t, err, "data: load images from "+dir)
}

func TestLoadImageDirErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := LoadImageDir(empty, ImageDirOptions{Size: 8})
	require.EqualError(t, err, "data: no PNG or JPEG images in "+empty)

	require.NoError(t, os.WriteFile(filepath.Join(empty, "readme.txt"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(empty, "bad.png"), []byte("x"), 0o644))
	_, err = LoadImageDir(empty, ImageDirOptions{Size: 8})
	require.ErrorContains(t, err, "no readable PNG or JPEG images in "+empty+" (1 unreadable files skipped; first: "+filepath.Join(empty, "bad.png"))

	missing := filepath.Join(empty, "missing")
	_, err = LoadImageDir(missing, ImageDirOptions{Size: 8})
	require.ErrorContains(t, err, missing)
	_, err = LoadImageDir(filepath.Join(empty, "readme.txt"), ImageDirOptions{Size: 8})
	require.ErrorContains(t, err, "is not a directory")
	_, err = LoadImageDir(empty, ImageDirOptions{})
	require.ErrorContains(t, err, "size must be positive")
	_, err = LoadImageDir(empty, ImageDirOptions{Size: 8, Limit: -1})
	require.ErrorContains(t, err, "limit must not be negative")
}

func TestLoadImageDirAlphaOntoBlack(t *testing.T) {
	dir := t.TempDir()
	writeImageFile(t, filepath.Join(dir, "half.png"), solid(2, 2, color.NRGBA{R: 255, G: 255, B: 255, A: 128}), false)
	m, err := LoadImageDir(dir, ImageDirOptions{Size: 2})
	require.NoError(t, err)
	for _, v := range floats(t, m) {
		require.InDelta(t, scaled(128), v, 1e-6)
		require.False(t, math.IsNaN(float64(v)))
	}
}
