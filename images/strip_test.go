package images

import (
	"errors"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSampleTimeline(t *testing.T) {
	rows := make([][]image.Image, 3)
	for i := range rows {
		for j := range 4 {
			rows[i] = append(rows[i], grayFill(5, 6, uint8(10*i+j+1)))
		}
	}
	img, err := SampleTimeline(rows, 2)
	require.NoError(t, err)
	// Grid: 4·5 + 5·2 = 30 wide, 3·6 + 4·2 = 26 high; scaled by 2.
	require.Equal(t, image.Pt(60, 52), img.Bounds().Size())
	// Checkpoint 1 (second row), sample 2 (third column): its top-left
	// pixel is at (2 + 2·7, 2 + 1·8) before scaling.
	require.Equal(t, color.Gray{Y: 13}, img.At(2*16, 2*10))

	path := filepath.Join(t.TempDir(), "timeline.png")
	require.NoError(t, WriteSampleTimeline(path, rows, 1))
	require.Equal(t, image.Pt(30, 26), readPNG(t, path).Bounds().Size())

	_, err = SampleTimeline(nil, 1)
	require.ErrorContains(t, err, "no checkpoints")
	_, err = SampleTimeline([][]image.Image{{grayFill(2, 2, 0)}, {}}, 1)
	require.ErrorContains(t, err, "checkpoint 1 has 0 images")
	_, err = SampleTimeline([][]image.Image{{grayFill(2, 2, 0)}, {grayFill(3, 2, 0)}}, 1)
	require.ErrorContains(t, err, "images: sample timeline: image 1 is 3×2, image 0 is 2×2")
}

func TestInterpolate(t *testing.T) {
	z0, z1 := []float64{1, 0}, []float64{0, 2}
	lin, err := Interpolate(z0, z1, 3, Linear)
	require.NoError(t, err)
	require.Equal(t, []float64{1, 0, 0.5, 1, 0, 2}, lin)

	sl, err := Interpolate(z0, z1, 3, Spherical)
	require.NoError(t, err)
	require.Equal(t, []float64{1, 0}, sl[0:2], "ends are exact")
	require.Equal(t, []float64{0, 2}, sl[4:6], "ends are exact")
	// Midway along the quarter circle, radius midway between 1 and 2.
	require.InDelta(t, 1.5/math.Sqrt2, sl[2], 1e-12)
	require.InDelta(t, 1.5/math.Sqrt2, sl[3], 1e-12)
	require.InDelta(t, 1.5, math.Hypot(sl[2], sl[3]), 1e-12)

	// Parallel or zero vectors fall back to linear interpolation.
	par, err := Interpolate([]float64{1, 1}, []float64{2, 2}, 3, Spherical)
	require.NoError(t, err)
	require.Equal(t, []float64{1, 1, 1.5, 1.5, 2, 2}, par)
	zero, err := Interpolate([]float64{0, 0}, []float64{2, 4}, 3, Spherical)
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0, 1, 2, 2, 4}, zero)

	_, err = Interpolate([]float64{1}, []float64{1, 2}, 3, Linear)
	require.ErrorContains(t, err, "sizes 1 and 2")
	_, err = Interpolate(z0, z1, 1, Linear)
	require.ErrorContains(t, err, "at least 2")
	_, err = Interpolate(z0, z1, 3, Interpolation(7))
	require.ErrorContains(t, err, "Interpolation(7)")
	_, err = Interpolate([]float64{math.NaN(), 0}, z1, 3, Linear)
	require.ErrorContains(t, err, "finite")
	require.Equal(t, "spherical", Spherical.String())
}

func TestInterpolationStrip(t *testing.T) {
	calls := 0
	var got []float64
	gen := func(z []float64) ([]image.Image, error) {
		calls++
		got = z
		imgs := make([]image.Image, len(z)/2)
		for i := range imgs {
			imgs[i] = grayFill(4, 4, uint8(40*i))
		}
		return imgs, nil
	}
	z0, z1 := []float64{1, 0}, []float64{-1, 0.5}
	path := filepath.Join(t.TempDir(), "interp.png")
	require.NoError(t, WriteInterpolation(path, gen, z0, z1, InterpolationOptions{Steps: 5, Method: Linear, Scale: 3}))
	require.Equal(t, 1, calls, "one batch for the whole strip")
	want, err := Interpolate(z0, z1, 5, Linear)
	require.NoError(t, err)
	require.Equal(t, want, got)
	// 5·4 + 6·2 = 32 wide, 4 + 2·2 = 8 high; scaled by 3.
	require.Equal(t, image.Pt(96, 24), readPNG(t, path).Bounds().Size())

	img, err := InterpolationStrip(gen, z0, z1, InterpolationOptions{})
	require.NoError(t, err)
	require.Equal(t, DefaultInterpolationSteps*4+(DefaultInterpolationSteps+1)*2, img.Bounds().Dx())

	_, err = InterpolationStrip(func([]float64) ([]image.Image, error) { return nil, errors.New("boom") }, z0, z1, InterpolationOptions{})
	require.ErrorContains(t, err, "generate: boom")
	_, err = InterpolationStrip(func([]float64) ([]image.Image, error) { return []image.Image{grayFill(1, 1, 0)}, nil }, z0, z1, InterpolationOptions{})
	require.ErrorContains(t, err, "returned 1 images for 10")
	_, err = InterpolationStrip(nil, z0, z1, InterpolationOptions{})
	require.ErrorContains(t, err, "nil generator")
}
