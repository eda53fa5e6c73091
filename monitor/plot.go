package monitor

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/gan"
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

// A CurvePlot is one of the curve plots of a run's statistics: the
// statistics of gan.StatsFields whose Plot is Name, drawn over the steps,
// with a dashed line at each of their equilibrium values.
type CurvePlot struct {
	// Name is the Plot of its statistics; Name+".png" is its file name.
	Name string
	// Title heads the picture; YLabel names its y axis; Caption describes
	// it in a report.
	Title, YLabel, Caption string
}

// File returns the plot's file name, Name+".png".
func (c CurvePlot) File() string { return c.Name + ".png" }

// knownPlots are the titles of the curve plots that have their own;
// others are titled after their statistics.
var knownPlots = map[string]CurvePlot{
	"losses":        {Title: "Losses", YLabel: "loss", Caption: "Discriminator and generator losses"},
	"discriminator": {Title: "Discriminator outputs", YLabel: "mean D", Caption: "Mean D(x) and D(G(z)); both tend to 1/2 at the equilibrium"},
	"value":         {Title: "Value of the game V(D, G)", YLabel: "V(D, G)", Caption: "V(D, G); −log 4 at the equilibrium"},
	"diversity": {Title: "Diversity of the generated samples", YLabel: "generated / real spread",
		Caption: "Mean pairwise distance of generated samples over that of real ones; 1 at the equilibrium, → 0 as G collapses"},
}

// CurvePlots returns the curve plots of the statistics: one per distinct
// gan.StatField.Plot, in the order of gan.StatsFields.
func CurvePlots() []CurvePlot {
	var out []CurvePlot
	for _, f := range gan.StatsFields {
		if f.Plot != "" && !slices.ContainsFunc(out, func(c CurvePlot) bool { return c.Name == f.Plot }) {
			out = append(out, curvePlot(f.Plot))
		}
	}
	return out
}

// curvePlot returns the curve plot called name: its own titles if it has
// some, otherwise titles made of its statistics' headings, equilibrium
// values and notes.
func curvePlot(name string) CurvePlot {
	if c, ok := knownPlots[name]; ok {
		c.Name = name
		return c
	}
	var heads, notes []string
	for _, f := range plotFields(name) {
		heads = append(heads, f.Heading())
		if e := f.Equilibrium; e != nil {
			notes = append(notes, "equilibrium "+equilibriumText(*e))
		}
		if f.Note != "" {
			notes = append(notes, f.Note)
		}
	}
	c := CurvePlot{Name: name, Title: strings.Join(heads, ", "), Caption: strings.Join(heads, " and ")}
	if len(heads) == 1 {
		c.YLabel = heads[0]
	}
	if len(notes) > 0 {
		c.Caption += "; " + strings.Join(slices.Compact(notes), "; ")
	}
	return c
}

// plotFields returns the statistics of gan.StatsFields drawn by the plot
// called name.
func plotFields(name string) []gan.StatField {
	var out []gan.StatField
	for _, f := range gan.StatsFields {
		if f.Plot == name {
			out = append(out, f)
		}
	}
	return out
}

// WriteCurvePlot writes the curve plot called name (a gan.StatField.Plot,
// see CurvePlot) over the steps of h as a PNG. It is an error, wrapping
// ErrNothingToPlot, if none of the plot's statistics has a finite value.
func WriteCurvePlot(path string, h *History, name string, opts PlotOptions) error {
	if len(plotFields(name)) == 0 {
		return fmt.Errorf("monitor: plot %s: no statistic is drawn by a plot called %q", path, name)
	}
	w, ht, err := opts.size()
	if err != nil {
		return fmt.Errorf("monitor: plot %s: %w", path, err)
	}
	p, err := buildCurvePlot(h, name, opts)
	if err != nil {
		return fmt.Errorf("monitor: plot %s: %w", path, err)
	}
	return savePlot(path, p, w, ht)
}

// WriteLossPlot writes the D and G losses over the steps of h as a PNG:
// the curve plot "losses".
func WriteLossPlot(path string, h *History, opts PlotOptions) error {
	return WriteCurvePlot(path, h, "losses", opts)
}

// WriteDiscriminatorPlot writes the mean D(x) on real batches and
// D(G(z)) on generated ones over the steps of h as a PNG, with a dashed
// horizontal line at the equilibrium 1/2: the curve plot "discriminator".
func WriteDiscriminatorPlot(path string, h *History, opts PlotOptions) error {
	return WriteCurvePlot(path, h, "discriminator", opts)
}

// WriteValuePlot writes the estimate of V(D, G) over the steps of h as a
// PNG, with a dashed horizontal line at the equilibrium −log 4: the curve
// plot "value".
func WriteValuePlot(path string, h *History, opts PlotOptions) error {
	return WriteCurvePlot(path, h, "value", opts)
}

// ErrNothingToPlot is wrapped by the error of a curve plot none of whose
// statistics has a finite value (a run resumed from a stats file without
// them, or a diverged one).
var ErrNothingToPlot = errors.New("no finite values to plot")

// checkHistory returns an error unless h holds at least one step and a
// series of as many values for each statistic.
func checkHistory(h *History) error {
	n := h.Len()
	if n == 0 {
		return errors.New("no steps recorded")
	}
	if len(h.Series) != len(gan.StatsFields) {
		return fmt.Errorf("history has %d series for %d statistics", len(h.Series), len(gan.StatsFields))
	}
	for i, s := range h.Series {
		if len(s) != n {
			return fmt.Errorf("history has %d steps but %d values of %s", n, len(s), gan.StatsFields[i].Name)
		}
	}
	return nil
}

// palette colours the curves of a plot, in order.
var palette = []color.NRGBA{blue, orange, green, red}

// buildCurvePlot returns the curve plot called name over h: one curve per
// statistic of the plot, and a dashed line per distinct equilibrium
// value.
func buildCurvePlot(h *History, name string, opts PlotOptions) (*plot.Plot, error) {
	if err := checkHistory(h); err != nil {
		return nil, err
	}
	c := curvePlot(name)
	p := plot.New()
	p.Title.Text = c.Title
	if opts.Title != "" {
		p.Title.Text = opts.Title
	}
	p.X.Label.Text = "step"
	p.Y.Label.Text = c.YLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	drawn := 0
	var refs []gan.Equilibrium
	for i, f := range plotFields(name) {
		if e := f.Equilibrium; e != nil && !slices.ContainsFunc(refs, func(r gan.Equilibrium) bool { return r.Value == e.Value }) {
			refs = append(refs, *e)
		}
		ys := h.Values(f.Name)
		col := palette[i%len(palette)]
		pts := finitePoints(h.Step, ys)
		if len(pts) == 0 {
			continue // nothing to draw (diverged run)
		}
		drawn++
		if opts.Smooth > 1 {
			raw, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			raw.Color, raw.Width = faded(col, 70), vg.Points(0.75)
			p.Add(raw)
			pts = finitePoints(h.Step, movingAverage(ys, opts.Smooth))
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = col, vg.Points(1.25)
		p.Add(l)
		p.Legend.Add(f.Heading(), l)
	}
	if drawn == 0 {
		return nil, ErrNothingToPlot
	}
	for _, e := range refs {
		if err := addReference(p, h, e.Value, "equilibrium "+cmp.Or(e.Text, strconv.FormatFloat(e.Value, 'g', -1, 64))); err != nil {
			return nil, err
		}
	}
	return p, nil
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
