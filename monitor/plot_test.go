package monitor

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"
)

// decodePNG reads a PNG file and returns its image.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, path)
	return img
}

// testHistory returns a history of n steps drifting towards the
// equilibrium, with V kept above −1 (away from its reference line).
func testHistory(n int) *History {
	h := &History{}
	for i := 1; i <= n; i++ {
		f := math.Exp(-float64(i) / float64(n))
		h.Add(gan.Stats{Step: i, DLoss: 0.5 + f, GLoss: 2 - f, DReal: 0.5 + 0.4*f, DFake: 0.5 - 0.4*f, V: -0.5 - 0.3*(1-f)})
	}
	return h
}

func TestHistory(t *testing.T) {
	var h History
	_, ok := h.Last()
	require.False(t, ok)
	h.Add(gan.Stats{Step: 1, DLoss: 1})
	h.Add(gan.Stats{Step: 2, DLoss: 2, GLoss: 3, DReal: 0.6, DFake: 0.4, V: -1, DUpdates: 1})
	require.Equal(t, 2, h.Len())
	last, ok := h.Last()
	require.True(t, ok)
	require.Equal(t, gan.Stats{Step: 2, DLoss: 2, GLoss: 3, DReal: 0.6, DFake: 0.4, V: -1}, last)
	require.Equal(t, []int{1, 2}, h.Step)
	require.Equal(t, []float64{1, 2}, h.Values("d_loss"))
	require.Zero(t, (*History)(nil).Len())
}

func TestCurvePlotsWritePNGsOfTheRequestedSize(t *testing.T) {
	dir := t.TempDir()
	h := testHistory(300)
	for name, write := range map[string]func(string, *History, PlotOptions) error{
		"loss.png":  WriteLossPlot,
		"d.png":     WriteDiscriminatorPlot,
		"value.png": WriteValuePlot,
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, write(path, h, PlotOptions{Width: 640, Height: 360, Smooth: 20}), name)
		require.Equal(t, image.Pt(640, 360), decodePNG(t, path).Bounds().Size(), name)
	}
	path := filepath.Join(dir, "default.png")
	require.NoError(t, WriteLossPlot(path, h, PlotOptions{}))
	require.Equal(t, image.Pt(DefaultPlotWidth, DefaultPlotHeight), decodePNG(t, path).Bounds().Size())
}

func TestCurvePlotErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	require.ErrorContains(t, WriteLossPlot(path, &History{}, PlotOptions{}), "no steps recorded")
	require.ErrorContains(t, WriteLossPlot(path, nil, PlotOptions{}), "no steps recorded")
	bad := testHistory(3)
	bad.Series[4] = bad.Series[4][:2]
	require.ErrorContains(t, WriteValuePlot(path, bad, PlotOptions{}), "3 steps but 2 values of v")
	require.ErrorContains(t, WriteCurvePlot(path, testHistory(3), "nope", PlotOptions{}), `no statistic is drawn by a plot called "nope"`)
	require.ErrorContains(t, WriteLossPlot(path, testHistory(3), PlotOptions{Width: MaxPlotSide + 1}), "exceeds")
	nan := &History{}
	nan.Add(gan.Stats{Step: 1, DLoss: math.NaN(), GLoss: math.Inf(1)})
	require.ErrorIs(t, WriteLossPlot(path, nan, PlotOptions{}), ErrNothingToPlot)
	require.ErrorContains(t, WriteLossPlot(filepath.Join(dir, "missing", "x.png"), testHistory(3), PlotOptions{}), "monitor:")
	_, err := os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "no file is left behind by a failed plot")

	// NaN steps are left out, the rest is drawn.
	some := testHistory(10)
	some.Values("d_loss")[3] = math.NaN()
	require.NoError(t, WriteLossPlot(path, some, PlotOptions{}))
}

func TestReferenceLines(t *testing.T) {
	steps := []int{5, 1, 9, 3}
	require.Equal(t, plotter.XYs{{X: 1, Y: 0.5}, {X: 9, Y: 0.5}}, hline(steps, 0.5))

	// V stays in [−0.8, −0.5], D outputs in [0.1, 0.9] away from 1/2 at
	// the end: the reference lines still lie inside the axis ranges.
	h := testHistory(100)
	p, err := buildCurvePlot(h, "value", PlotOptions{})
	require.NoError(t, err)
	require.LessOrEqual(t, p.Y.Min, EquilibriumV)
	require.InDelta(t, -1.3862943611198906, EquilibriumV, 1e-15)
	require.Equal(t, 1.0, p.X.Min)
	require.Equal(t, 100.0, p.X.Max)

	h = &History{}
	for i := 1; i <= 10; i++ {
		h.Add(gan.Stats{Step: i, DReal: 0.9, DFake: 0.8})
	}
	p, err = buildCurvePlot(h, "discriminator", PlotOptions{})
	require.NoError(t, err)
	require.LessOrEqual(t, p.Y.Min, Equilibrium)
}

// TestValuePlotDrawsReferenceLine renders a flat V curve and finds the
// dashed grey reference line as a row of grey pixels below it.
func TestValuePlotDrawsReferenceLine(t *testing.T) {
	h := &History{}
	for i := 1; i <= 50; i++ {
		h.Add(gan.Stats{Step: i, V: 0})
	}
	p, err := buildCurvePlot(h, "value", PlotOptions{})
	require.NoError(t, err)
	img, err := renderPlot(p, 600, 400)
	require.NoError(t, err)
	isGray := func(c color.Color) bool {
		r, g, b, _ := c.RGBA()
		return uint8(r>>8) == gray.R && uint8(g>>8) == gray.G && uint8(b>>8) == gray.B
	}
	// The line is dashed: a row where grey pixels cover a good part of the
	// plot's width, but not all of it.
	found := -1
	for y := 0; y < 400 && found < 0; y++ {
		n := 0
		for x := 0; x < 600; x++ {
			if isGray(img.At(x, y)) {
				n++
			}
		}
		if n > 200 && n < 550 {
			found = y
		}
	}
	require.GreaterOrEqual(t, found, 200, "the −log 4 line lies in the lower half, below V = 0")
}

func TestHistogramBinsExactly(t *testing.T) {
	vals := []float64{0, 0.1, 0.25, 0.49, 0.5, 0.75, 0.99, 1, -0.1, 1.1, math.NaN(), math.Inf(1)}
	// [0, .25): 0, .1; [.25, .5): .25, .49; [.5, .75): .5; [.75, 1]: .75, .99, 1.
	require.Equal(t, []int{2, 2, 1, 3}, histogram(vals, 0, 1, 4))
	require.Equal(t, []int{8}, histogram(vals, 0, 1, 1))

	h := densityHistogram([]float64{0, 0.1, 0.6, 0.9}, 0, 1, 2)
	require.Len(t, h.Bins, 2)
	require.Equal(t, plotter.HistogramBin{Min: 0, Max: 0.5, Weight: 1}, h.Bins[0])
	require.Equal(t, plotter.HistogramBin{Min: 0.5, Max: 1, Weight: 1}, h.Bins[1])

	lo, hi, ok := finiteRange([]float64{2, math.NaN()}, []float64{-1, math.Inf(-1)})
	require.True(t, ok)
	require.Equal(t, [2]float64{-1, 2}, [2]float64{lo, hi})
	lo, hi, ok = finiteRange([]float64{3, 3})
	require.True(t, ok)
	require.Equal(t, [2]float64{2.5, 3.5}, [2]float64{lo, hi})
	_, _, ok = finiteRange(nil, []float64{math.NaN()})
	require.False(t, ok)
}

func TestMovingAverage(t *testing.T) {
	got := movingAverage([]float64{1, 3, 5, math.NaN(), 7}, 2)
	require.Equal(t, []float64{1, 2, 4, 5, 7}, got)
	require.True(t, math.IsNaN(movingAverage([]float64{math.NaN()}, 3)[0]))
}

func TestHistogramAndScatterWritePNGs(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	real, gen := make([]float64, 2000), make([]float64, 500)
	for i := range real {
		real[i] = rng.NormFloat64()
	}
	for i := range gen {
		gen[i] = 0.5*rng.NormFloat64() + 1
	}
	path := filepath.Join(dir, "hist.png")
	require.NoError(t, WriteHistogram(path, real, gen, PlotOptions{Width: 500, Height: 300, Bins: 30}))
	require.Equal(t, image.Pt(500, 300), decodePNG(t, path).Bounds().Size())
	require.ErrorContains(t, WriteHistogram(path, nil, []float64{math.NaN()}, PlotOptions{}), "no finite values")

	ring := data.NewRing8()
	pts := make([][2]float64, 400)
	buf := make([]float32, 2)
	for i := range pts {
		ring.Draw(rng, buf)
		pts[i] = [2]float64{float64(buf[0]), float64(buf[1])}
	}
	path = filepath.Join(dir, "scatter.png")
	require.NoError(t, WriteScatter(path, pts, ring.Means(), PlotOptions{Width: 400, Height: 400}))
	require.Equal(t, image.Pt(400, 400), decodePNG(t, path).Bounds().Size())
	require.ErrorContains(t, WriteScatter(path, nil, nil, PlotOptions{}), "no finite points")
}
