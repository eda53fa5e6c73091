package monitor

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/gogan/gogan/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Defaults of PlotOptions.
const (
	DefaultPlotWidth  = 800
	DefaultPlotHeight = 500
	DefaultBins       = 50
	// MaxPlotSide is the largest width or height of a plot, in pixels.
	MaxPlotSide = 8192
)

// PlotOptions configure a plot. The zero value gives an 800×500 picture
// with the default title.
type PlotOptions struct {
	// Width and Height are the size of the PNG in pixels
	// (DefaultPlotWidth × DefaultPlotHeight when zero or less, at most
	// MaxPlotSide each).
	Width, Height int
	// Title replaces the plot's default title when not empty.
	Title string
	// Smooth, if above 1, draws each curve of the curve plots as the
	// trailing moving average over Smooth steps, over the raw values in a
	// lighter colour.
	Smooth int
	// Bins is the number of histogram bins (DefaultBins when zero or
	// less); only WriteHistogram reads it.
	Bins int
}

// size returns the validated pixel size.
func (o PlotOptions) size() (int, int, error) {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = DefaultPlotWidth
	}
	if h <= 0 {
		h = DefaultPlotHeight
	}
	if w > MaxPlotSide || h > MaxPlotSide {
		return 0, 0, fmt.Errorf("plot size %d×%d exceeds %d pixels a side", w, h, MaxPlotSide)
	}
	return w, h, nil
}

// The colours of the plots (Tableau 10).
var (
	blue   = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255}
	orange = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 255}
	green  = color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 255}
	red    = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255}
	gray   = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 255}
)

// faded returns c with the given opacity.
func faded(c color.NRGBA, alpha uint8) color.NRGBA {
	c.A = alpha
	return c
}

// WriteLossPlot writes the D and G losses over the steps of h as a PNG.
func WriteLossPlot(path string, h *History, opts PlotOptions) error {
	return writeCurves(path, h, opts, lossPlot)
}

// WriteDiscriminatorPlot writes the mean D(x) on real batches and
// D(G(z)) on generated ones over the steps of h as a PNG, with a dashed
// horizontal line at the equilibrium 1/2.
func WriteDiscriminatorPlot(path string, h *History, opts PlotOptions) error {
	return writeCurves(path, h, opts, discriminatorPlot)
}

// WriteValuePlot writes the estimate of V(D, G) over the steps of h as a
// PNG, with a dashed horizontal line at the equilibrium −log 4.
func WriteValuePlot(path string, h *History, opts PlotOptions) error {
	return writeCurves(path, h, opts, valuePlot)
}

// writeCurves checks h, builds its plot and writes it.
func writeCurves(path string, h *History, opts PlotOptions, build func(*History, PlotOptions) (*plot.Plot, error)) error {
	w, ht, err := opts.size()
	if err != nil {
		return fmt.Errorf("monitor: plot %s: %w", path, err)
	}
	if err := checkHistory(h); err != nil {
		return fmt.Errorf("monitor: plot %s: %w", path, err)
	}
	p, err := build(h, opts)
	if err != nil {
		return fmt.Errorf("monitor: plot %s: %w", path, err)
	}
	return savePlot(path, p, w, ht)
}

// checkHistory returns an error unless h holds at least one step and its
// slices have the same length.
func checkHistory(h *History) error {
	n := h.Len()
	if n == 0 {
		return errors.New("no steps recorded")
	}
	for _, s := range [][]float64{h.DLoss, h.GLoss, h.DReal, h.DFake, h.V} {
		if len(s) != n {
			return fmt.Errorf("history has %d steps but a series of %d values", n, len(s))
		}
	}
	return nil
}

// series is one named curve.
type series struct {
	name  string
	ys    []float64
	color color.NRGBA
}

// newCurvePlot returns a plot of the series over h.Step with the given
// title and axis label.
func newCurvePlot(h *History, opts PlotOptions, title, ylabel string, ss ...series) (*plot.Plot, error) {
	if err := checkHistory(h); err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = title
	if opts.Title != "" {
		p.Title.Text = opts.Title
	}
	p.X.Label.Text = "step"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	drawn := 0
	for _, s := range ss {
		pts := finitePoints(h.Step, s.ys)
		if len(pts) == 0 {
			continue // nothing to draw (diverged run)
		}
		drawn++
		if opts.Smooth > 1 {
			raw, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			raw.Color, raw.Width = faded(s.color, 70), vg.Points(0.75)
			p.Add(raw)
			pts = finitePoints(h.Step, movingAverage(s.ys, opts.Smooth))
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = s.color, vg.Points(1.25)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	if drawn == 0 {
		return nil, errors.New("no finite values to plot")
	}
	return p, nil
}

func lossPlot(h *History, opts PlotOptions) (*plot.Plot, error) {
	return newCurvePlot(h, opts, "Losses", "loss",
		series{"D loss", h.DLoss, blue}, series{"G loss", h.GLoss, orange})
}

func discriminatorPlot(h *History, opts PlotOptions) (*plot.Plot, error) {
	p, err := newCurvePlot(h, opts, "Discriminator outputs", "mean D",
		series{"D(x), real", h.DReal, blue}, series{"D(G(z)), generated", h.DFake, orange})
	if err != nil {
		return nil, err
	}
	return p, addReference(p, h, Equilibrium, "equilibrium 1/2")
}

func valuePlot(h *History, opts PlotOptions) (*plot.Plot, error) {
	p, err := newCurvePlot(h, opts, "Value of the game V(D, G)", "V(D, G)", series{"V(D, G)", h.V, green})
	if err != nil {
		return nil, err
	}
	return p, addReference(p, h, EquilibriumV, "equilibrium −log 4")
}

// addReference adds a dashed horizontal line at y across the steps of h.
func addReference(p *plot.Plot, h *History, y float64, name string) error {
	l, err := plotter.NewLine(hline(h.Step, y))
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = gray, vg.Points(1), []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// hline returns the two end points of a horizontal line at y spanning
// the steps (which must not be empty): from the first to the last step.
// Being part of the plot's data, the line also keeps y inside the axis
// range.
func hline(steps []int, y float64) plotter.XYs {
	lo, hi := steps[0], steps[0]
	for _, s := range steps {
		lo, hi = min(lo, s), max(hi, s)
	}
	return plotter.XYs{{X: float64(lo), Y: y}, {X: float64(hi), Y: y}}
}

// finitePoints pairs steps and ys, leaving out the points whose value is
// NaN or infinite (which gonum/plot refuses).
func finitePoints(steps []int, ys []float64) plotter.XYs {
	xys := make(plotter.XYs, 0, len(ys))
	for i, y := range ys {
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			xys = append(xys, plotter.XY{X: float64(steps[i]), Y: y})
		}
	}
	return xys
}

// movingAverage returns the trailing moving average of ys over window
// values (fewer at the start): out[i] is the mean of the finite values
// among ys[max(0, i−window+1)..i], NaN if there are none.
func movingAverage(ys []float64, window int) []float64 {
	out := make([]float64, len(ys))
	sum, n := 0.0, 0
	for i, y := range ys {
		if finite(y) {
			sum += y
			n++
		}
		if j := i - window; j >= 0 && finite(ys[j]) {
			sum -= ys[j]
			n--
		}
		if n > 0 {
			out[i] = sum / float64(n)
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// WriteHistogram writes, for 1-D data, the histograms of real and
// generated samples on common bins as a PNG: opts.Bins equal bins
// spanning the finite values of both, each histogram normalised to a
// density (bar areas sum to 1) so that samples of different sizes
// compare. Real samples are filled, generated ones outlined. Non-finite
// values are left out.
func WriteHistogram(path string, real, generated []float64, opts PlotOptions) error {
	w, h, err := opts.size()
	if err != nil {
		return fmt.Errorf("monitor: histogram %s: %w", path, err)
	}
	bins := opts.Bins
	if bins <= 0 {
		bins = DefaultBins
	}
	lo, hi, ok := finiteRange(real, generated)
	if !ok {
		return fmt.Errorf("monitor: histogram %s: no finite values", path)
	}
	p := plot.New()
	p.Title.Text = "Real and generated samples"
	if opts.Title != "" {
		p.Title.Text = opts.Title
	}
	p.X.Label.Text, p.Y.Label.Text = "x", "density"
	p.Legend.Top = true
	for _, set := range []struct {
		name   string
		values []float64
		fill   color.Color
		line   color.NRGBA
	}{
		{"real", real, faded(blue, 110), blue},
		{"generated", generated, nil, red},
	} {
		if len(set.values) == 0 {
			continue
		}
		hist := densityHistogram(set.values, lo, hi, bins)
		hist.FillColor = set.fill
		hist.LineStyle.Color, hist.LineStyle.Width = set.line, vg.Points(1.25)
		p.Add(hist)
		p.Legend.Add(set.name, hist)
	}
	return savePlot(path, p, w, h)
}

// finiteRange returns the range of the finite values of the slices,
// widened to [v−½, v+½] when they are all equal; ok is false if there is
// no finite value.
func finiteRange(sets ...[]float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range sets {
		for _, v := range s {
			if finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo > hi {
		return 0, 0, false
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	return lo, hi, true
}

// histogram counts values into n equal bins over [lo, hi]: bin i holds
// lo + i·width ≤ v < lo + (i+1)·width, the last bin including hi. Values
// outside [lo, hi] and NaN are not counted. It needs n ≥ 1 and lo < hi.
func histogram(values []float64, lo, hi float64, n int) []int {
	counts := make([]int, n)
	width := (hi - lo) / float64(n)
	for _, v := range values {
		if !(v >= lo && v <= hi) { // also NaN
			continue
		}
		i := min(int((v-lo)/width), n-1)
		counts[i]++
	}
	return counts
}

// densityHistogram bins values as histogram does and normalises the bins
// to a density.
func densityHistogram(values []float64, lo, hi float64, n int) *plotter.Histogram {
	counts := histogram(values, lo, hi, n)
	total := 0
	for _, c := range counts {
		total += c
	}
	width := (hi - lo) / float64(n)
	bins := make([]plotter.HistogramBin, n)
	for i, c := range counts {
		bins[i] = plotter.HistogramBin{Min: lo + float64(i)*width, Max: lo + float64(i+1)*width}
		if total > 0 {
			bins[i].Weight = float64(c) / (float64(total) * width)
		}
	}
	return &plotter.Histogram{Bins: bins, Width: width}
}

// WriteScatter writes, for 2-D data, the generated points over the
// mixture's mode centres (e.g. data.Mixture.Means()) as a PNG: small
// translucent dots for the samples, large crosses for the centres. A
// generator that covers every mode has a cloud around every cross; a
// collapsed one clusters around few. Points with a non-finite coordinate
// are left out. Either slice may be empty, not both.
func WriteScatter(path string, generated, means [][2]float64, opts PlotOptions) error {
	w, h, err := opts.size()
	if err != nil {
		return fmt.Errorf("monitor: scatter %s: %w", path, err)
	}
	gen, centres := finitePairs(generated), finitePairs(means)
	if len(gen) == 0 && len(centres) == 0 {
		return fmt.Errorf("monitor: scatter %s: no finite points", path)
	}
	p := plot.New()
	p.Title.Text = "Generated samples and mode centres"
	if opts.Title != "" {
		p.Title.Text = opts.Title
	}
	p.X.Label.Text, p.Y.Label.Text = "x₁", "x₂"
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	if len(gen) > 0 {
		s, err := plotter.NewScatter(gen)
		if err != nil {
			return fmt.Errorf("monitor: scatter %s: %w", path, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: faded(blue, 90), Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("generated (%d)", len(gen)), s)
	}
	if len(centres) > 0 {
		s, err := plotter.NewScatter(centres)
		if err != nil {
			return fmt.Errorf("monitor: scatter %s: %w", path, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: red, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("mode centres (%d)", len(centres)), s)
	}
	return savePlot(path, p, w, h)
}

// finitePairs converts points, leaving out those with a non-finite
// coordinate.
func finitePairs(pts [][2]float64) plotter.XYs {
	xys := make(plotter.XYs, 0, len(pts))
	for _, q := range pts {
		if finite(q[0]) && finite(q[1]) {
			xys = append(xys, plotter.XY{X: q[0], Y: q[1]})
		}
	}
	return xys
}

// renderPlot draws p on a white w×h image; a panic inside gonum/plot is
// returned as an error.
func renderPlot(p *plot.Plot, w, h int) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("render: %v", r)
		}
	}()
	c := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, w, h))))
	p.Draw(draw.New(c))
	return c.Image(), nil
}

// savePlot renders p as a w×h PNG in memory and writes it atomically.
func savePlot(path string, p *plot.Plot, w, h int) error {
	img, err := renderPlot(p, w, h)
	if err != nil {
		return fmt.Errorf("monitor: plot %s: %w", path, err)
	}
	return writePNG(path, img)
}

// writePNG encodes img in memory and writes it to path atomically.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("monitor: encode %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("monitor: %w", err) // atomicfile names the path
	}
	return nil
}
