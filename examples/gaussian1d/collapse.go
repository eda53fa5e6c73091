package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/training"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The collapse study reproduces the classic 1-D demonstration of mode
// collapse and of minibatch discrimination: John Glover's "An introduction
// to generative adversarial networks (with code in TensorFlow)" (AYLIEN,
// 2016; github.com/AYLIEN/gan-intro, gan.py), after Eric Jang's. The target
// is N(4, 0.5²); z is uniform on [−8, 8]; G is 1 → 4 (softplus) → 1; D is
// 1 → 8 → 8 (ReLU) → then a third ReLU layer of 8 (plain) or a minibatch
// discrimination layer of 5 kernels of dimension 3 (minibatch) → 1; every
// weight starts from N(0, 1) (the minibatch tensor from N(0, 0.02²)),
// biases at 0; Adam lr 0.001 (β1 0.9, β2 0.999), batch 8, 5000 steps, the
// non-saturating loss. Without the minibatch layer the generator
// collapses onto a narrow peak.
const (
	glGHidden  = 4
	glDHidden  = 8
	glKernels  = 5
	glKDim     = 3
	glZRange   = 8
	glBatch    = 8
	glSteps    = 5000
	glLR       = 1e-3
	glMean     = 4.0
	glStd      = 0.5
	glEvalSize = 10000
)

// gridNoise is Glover's GeneratorDistribution, the noise of a batch of n
// draws: the grid linspace(−r, r, n) plus U(0, 0.01) jitter, so that
// every batch spans [−r, r] evenly. Glover's batch is sorted; this one is
// shuffled, which changes nothing for a discriminator that judges samples
// one by one or the whole batch at once (minibatch discrimination), and
// keeps packed samples (PacGAN) independent.
type gridNoise struct{ r float64 }

func (n gridNoise) Fill(rng *rand.Rand, z []float64) {
	for i := range z {
		z[i] = 0.01 * rng.Float64()
		if len(z) > 1 {
			z[i] += -n.r + 2*n.r*float64(i)/float64(len(z)-1)
		}
	}
	rng.Shuffle(len(z), func(i, j int) { z[i], z[j] = z[j], z[i] })
}

func (n gridNoise) String() string { return fmt.Sprintf("grid[-%g,%g]", n.r, n.r) }

// glNet is a stack of dense layers with an activation after every layer
// but the last, optionally with a minibatch discrimination layer before
// the last.
type glNet struct {
	in, out int
	params  *nn.Params
	ws, bs  []*nn.Param
	mbd     *nn.MinibatchDiscrimination
	act     func(*G.Node) (*G.Node, error)
}

func newGLNet(sizes []int, mbdKernels int, act func(*G.Node) (*G.Node, error), seed, stream uint64) (*glNet, error) {
	ps, err := nn.NewParams(tensor.Float32)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	n := &glNet{in: sizes[0], out: sizes[len(sizes)-1], params: ps, act: act}
	for i := 0; i+1 < len(sizes); i++ {
		in := sizes[i]
		if i+2 == len(sizes) && mbdKernels > 0 {
			if n.mbd, err = nn.NewMinibatchDiscrimination(ps, "minibatch", in, mbdKernels, glKDim, rng); err != nil {
				return nil, err
			}
			in = n.mbd.OutFeatures()
		}
		w, err := ps.New(fmt.Sprintf("dense%d/w", i), []int{in, sizes[i+1]}, nn.Normal(0, 1), rng)
		if err != nil {
			return nil, err
		}
		b, err := ps.New(fmt.Sprintf("dense%d/b", i), []int{sizes[i+1]}, nn.Zeros(), rng)
		if err != nil {
			return nil, err
		}
		n.ws, n.bs = append(n.ws, w), append(n.bs, b)
	}
	return n, nil
}

func (n *glNet) forward(b *nn.Builder, x *G.Node) (*G.Node, error) {
	var err error
	last := len(n.ws) - 1
	for i := range n.ws {
		if i == last && n.mbd != nil {
			if x, err = n.mbd.Apply(b, x); err != nil {
				return nil, err
			}
		}
		if x, err = nn.Dense(b, x, n.ws[i], n.bs[i]); err != nil {
			return nil, err
		}
		if i < last {
			if x, err = n.act(x); err != nil {
				return nil, err
			}
		}
	}
	return x, nil
}

// glGenerator and glDiscriminator adapt glNet to gan's interfaces.
type glGenerator struct{ *glNet }
type glDiscriminator struct{ *glNet }

func (g glGenerator) LatentDim() int                                     { return g.in }
func (g glGenerator) SampleShape() []int                                 { return []int{g.out} }
func (g glGenerator) Params() *nn.Params                                 { return g.params }
func (g glGenerator) Generate(b *nn.Builder, z *G.Node) (*G.Node, error) { return g.forward(b, z) }
func (d glDiscriminator) InputShape() []int                              { return []int{d.in} }
func (d glDiscriminator) Params() *nn.Params                             { return d.params }
func (d glDiscriminator) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	y, err := d.forward(b, x)
	if err != nil {
		return nil, err
	}
	return G.Reshape(y, tensor.Shape{x.Shape()[0]})
}

// collapseVariants are the variants of the collapse study: the plain GAN
// and the seeds' remedies in Glover's setup.
var collapseVariants = []string{"plain", "minibatch", "losing", "pacgan2", "2x2"}

// collapseRun trains one variant of Glover's GAN (plain, minibatch,
// losing: only the losing network is updated, pacgan2: D judges pairs, 8
// pairs per batch, 2x2: two generators against two discriminators) and
// returns glEvalSize generated samples.
//
// It also returns the share of the steps that updated the generator (1
// but under the losing schedule).
func collapseRun(ctx context.Context, variant string, noise gan.Noise, seed uint64, steps int) ([]float64, float64, error) {
	count, pack, kernels := 1, 1, 0
	switch variant {
	case "plain", "losing":
	case "minibatch":
		kernels = glKernels
	case "pacgan2":
		pack = 2
	case "2x2":
		count = 2
	default:
		return nil, 0, fmt.Errorf("unknown variant %q (want %v)", variant, collapseVariants)
	}
	var gens []gan.Generator
	var discs []gan.Discriminator
	for k := 0; k < count; k++ {
		netSeed := seed*16 + uint64(k)
		gnet, err := newGLNet([]int{1, glGHidden, 1}, 0, G.Softplus, netSeed, 1)
		if err != nil {
			return nil, 0, err
		}
		dsizes := []int{pack, glDHidden, glDHidden, glDHidden, 1}
		if kernels > 0 {
			dsizes = []int{pack, glDHidden, glDHidden, 1}
		}
		dnet, err := newGLNet(dsizes, kernels, G.Rectify, netSeed, 2)
		if err != nil {
			return nil, 0, err
		}
		gens, discs = append(gens, glGenerator{gnet}), append(discs, glDiscriminator{dnet})
	}
	opt := optim.AdamConfig{LR: glLR, Beta1: 0.9, Beta2: 0.999}
	cfg := gan.Config{BatchSize: glBatch * pack, Pack: pack, Seed: seed, Noise: noise, GOptimizer: opt, DOptimizer: opt}
	if variant == "losing" {
		cfg.Balance = gan.Balance{Kind: gan.BalanceLosing}
	}
	tr, err := gan.NewMultiTrainer(gens, discs, cfg)
	if err != nil {
		return nil, 0, err
	}
	src := data.NewSourceLoader(data.Gaussian1D{Mean: glMean, Std: glStd}, seed)
	var upd updates
	res, err := training.Loop{Steps: steps}.Run(ctx, tr, src, &upd)
	if err != nil {
		return nil, 0, err
	}
	if res.Interrupted {
		return nil, 0, fmt.Errorf("interrupted after %d steps", res.Steps)
	}
	s, err := tr.Sample(glEvalSize)
	if err != nil {
		return nil, 0, err
	}
	return toF64(s.Data()), float64(upd.g) / float64(steps), nil
}

// updates counts a run's generator updates.
type updates struct{ g int }

func (u *updates) Record(s *training.State, e training.Event) error {
	if e == training.Step {
		u.g += s.Stats.GUpdates
	}
	return nil
}

// collapseNoise returns the study's noise: "grid" (Glover's, the
// default) or "uniform" (i.i.d. uniform on [−8, 8]).
func collapseNoise(name string) (gan.Noise, error) {
	switch name {
	case "grid", "":
		return gridNoise{glZRange}, nil
	case "uniform":
		return rangeNoise{glZRange}, nil
	}
	return nil, fmt.Errorf("collapse study: unknown noise %q (want grid or uniform)", name)
}

// rangeNoise is the uniform prior on [−r, r].
type rangeNoise struct{ r float64 }

func (n rangeNoise) Fill(rng *rand.Rand, z []float64) {
	for i := range z {
		z[i] = n.r * (2*rng.Float64() - 1)
	}
}

func (n rangeNoise) String() string { return fmt.Sprintf("uniform[-%g,%g]", n.r, n.r) }

// collapseStudy runs seeds 1..seeds of the variants with the named noise,
// prints each run's generated mean and standard deviation and their mean
// ± sd over seeds, and, with out set, plots each variant's generated
// histograms against the target density to out/gaussian1d-<variant>.png.
func collapseStudy(ctx context.Context, variants []string, seeds, steps int, noiseName, out string, log io.Writer) error {
	if seeds < 1 || steps < 1 {
		return fmt.Errorf("collapse study: -seeds and -steps must be positive, got %d and %d", seeds, steps)
	}
	noise, err := collapseNoise(noiseName)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "target N(%g, %g²); Glover's setup, noise %v, %d steps, batch %d, %d seeds\n", glMean, glStd, noise, steps, glBatch, seeds)
	for _, name := range variants {
		var means, stds, w1s []float64
		var runs [][]float64
		for s := 1; s <= seeds; s++ {
			xs, gShare, err := collapseRun(ctx, name, noise, uint64(s), steps)
			if err != nil {
				return fmt.Errorf("collapse study: %s seed %d: %w", name, s, err)
			}
			m, sd := meanStd(xs)
			w1 := w1Normal(xs, glMean, glStd)
			fmt.Fprintf(log, "%-9s seed %d: generated mean %.3f std %.3f, W1 to the target %.3f, G updated on %.0f%% of the steps\n",
				name, s, m, sd, w1, 100*gShare)
			means, stds, w1s, runs = append(means, m), append(stds, sd), append(w1s, w1), append(runs, xs)
		}
		mm, ms := meanSDOver(means)
		sm, ss := meanSDOver(stds)
		wm, ws := meanSDOver(w1s)
		fmt.Fprintf(log, "%-9s over %d seeds: mean %.3f ± %.3f, std %.3f ± %.3f (target %g, %g), W1 %.3f ± %.3f\n",
			name, seeds, mm, ms, sm, ss, glMean, glStd, wm, ws)
		if out != "" {
			title := fmt.Sprintf("%s: std %.2f ± %.2f (target %.1f), W1 %.2f ± %.2f, %d seeds", name, sm, ss, glStd, wm, ws, seeds)
			if err := plotCollapse(filepath.Join(out, "gaussian1d-"+name+".png"), title, runs); err != nil {
				return err
			}
		}
	}
	return nil
}

// w1Normal returns the 1-Wasserstein distance between the empirical
// distribution of xs and N(mean, std²): the mean of |x_(i) − F⁻¹((i − ½)/n)|
// over the sorted samples x_(i), F the target's CDF (the quantile
// approximation of ∫|F_n⁻¹ − F⁻¹|).
func w1Normal(xs []float64, mean, std float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := float64(len(s))
	d := 0.0
	for i, x := range s {
		q := mean + std*math.Sqrt2*math.Erfinv(2*(float64(i)+0.5)/n-1)
		d += math.Abs(x - q)
	}
	return d / n
}

// meanSDOver returns the mean and sample standard deviation of xs.
func meanSDOver(xs []float64) (float64, float64) {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if len(xs) < 2 {
		return m, 0
	}
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(xs)-1))
}

// plotCollapse draws the target density and one density histogram per
// run (outlined) on [−8, 8], the range of z, in 160 bins; values outside
// are left out of the plot, not of the densities' normalisation.
func plotCollapse(path, title string, runs [][]float64) error {
	const lo, hi, bins = -8.0, 8.0, 160
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "x", "density"
	target := plotter.NewFunction(func(x float64) float64 {
		z := (x - glMean) / glStd
		return math.Exp(-z*z/2) / (glStd * math.Sqrt(2*math.Pi))
	})
	target.Color, target.Width, target.Samples = color.NRGBA{30, 80, 200, 255}, vg.Points(2), 400
	p.Add(target)
	p.Legend.Add("target N(4, 0.5²)", target)
	width := (hi - lo) / bins
	red := color.NRGBA{200, 30, 30, 255}
	for i, xs := range runs {
		counts := make([]float64, bins)
		for _, x := range xs {
			if x >= lo && x < hi {
				counts[int((x-lo)/width)]++
			}
		}
		pts := make(plotter.XYs, 0, 2*bins)
		for k, c := range counts {
			d := c / (float64(len(xs)) * width)
			pts = append(pts, plotter.XY{X: lo + float64(k)*width, Y: d}, plotter.XY{X: lo + float64(k+1)*width, Y: d})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("collapse plot: %w", err)
		}
		l.Color, l.Width = red, vg.Points(1)
		p.Add(l)
		if i == 0 {
			p.Legend.Add("generated, one line per seed", l)
		}
	}
	p.Legend.Top = true
	// The density axis stops at 3 (the target peaks at 0.8) so that a
	// generator collapsed onto a point does not flatten the others; set
	// after Add, which widens the axes to the data.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, 0, 3
	p.Y.Label.Text = "density (axis cut at 3)"
	if err := p.Save(6*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("collapse plot %s: %w", path, err)
	}
	return nil
}
