package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/metrics"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/training"
)

// result is the score of one run.
type result struct {
	cov     metrics.Coverage
	seconds float64
	points  [][2]float64
}

// row aggregates a variant's runs on one data set.
type row struct {
	data, variant string
	runs          []result
}

func mixture(name string) *data.Mixture {
	if name == "grid" {
		return data.NewGrid25()
	}
	return data.NewRing8()
}

// networks returns the generators and discriminators of a variant.
func networks(variant string, seed uint64) ([]gan.Generator, []gan.Discriminator, error) {
	count := 1
	if variant == "2x2" {
		count = 2
	}
	pack := 1
	if variant == "pacgan4" {
		pack = 4
	}
	var gens []gan.Generator
	var discs []gan.Discriminator
	for k := 0; k < count; k++ {
		s := seed*16 + uint64(k)
		g, err := models.NewMLPGenerator(models.MLPGeneratorConfig{
			LatentDim: 2, Hidden: []int{128, 128, 128}, OutputShape: []int{2},
			Activation: nn.LeakyReLU(0.2), Output: nn.Identity(),
		}, s)
		if err != nil {
			return nil, nil, err
		}
		dcfg := models.MLPDiscriminatorConfig{InputShape: []int{2 * pack}, Hidden: []int{128, 128}, Activation: nn.LeakyReLU(0.2)}
		if variant == "minibatch" {
			dcfg.MinibatchKernels = 8
		}
		d, err := models.NewMLPDiscriminator(dcfg, s)
		if err != nil {
			return nil, nil, err
		}
		gens, discs = append(gens, g), append(discs, d)
	}
	return gens, discs, nil
}

// trainOne trains one variant with one seed and scores its samples. A
// terminal log shows a progress bar while it trains.
func trainOne(ctx context.Context, o options, dataName, variant string, seed uint64, log io.Writer) (result, error) {
	gens, discs, err := networks(variant, seed)
	if err != nil {
		return result{}, err
	}
	opt := optim.AdamConfig{LR: o.LR, Beta1: 0.5, Beta2: 0.999}
	cfg := gan.Config{BatchSize: o.Batch, Seed: seed, GOptimizer: opt, DOptimizer: opt}
	switch variant {
	case "pacgan4":
		cfg.Pack = 4
	case "losing":
		cfg.Balance = gan.Balance{Kind: "losing", Margin: 0.3}
	case "wgan-gp":
		// Gulrajani et al.'s settings: no clipping, penalty λ = 10, k = 5,
		// Adam β = (0, 0.9).
		cfg.Loss = losses.WGANGP{}
		cfg.DSteps = 5
		wopt := optim.AdamConfig{LR: o.LR, Beta1: math.SmallestNonzeroFloat64, Beta2: 0.9} // β1 0 (AdamConfig's 0 means 0.9)
		cfg.GOptimizer, cfg.DOptimizer = wopt, wopt
	}
	if cfg.Penalty, err = gan.ParsePenalty(o.Penalty); err != nil {
		return result{}, err
	}
	tr, err := gan.NewMultiTrainer(gens, discs, cfg)
	if err != nil {
		return result{}, err
	}
	mix := mixture(dataName)
	var callbacks []training.Callback
	if monitor.IsTerminal(log) {
		callbacks = append(callbacks, &training.Progress{W: log, Mode: monitor.ModeBar,
			Description: fmt.Sprintf("%s %s seed %d", dataName, variant, seed)})
	}
	res, err := training.Loop{Steps: o.Steps}.Run(ctx, tr, data.NewSourceLoader(mix, seed), callbacks...)
	if err != nil {
		return result{}, err
	}
	secs := res.Elapsed.Seconds()
	samples, err := tr.Sample(o.Samples)
	if err != nil {
		return result{}, err
	}
	pts, err := metrics.Points2D(samples.Data().([]float32))
	if err != nil {
		return result{}, err
	}
	cov, err := metrics.MixtureCoverage(pts, mix)
	if err != nil {
		return result{}, err
	}
	return result{cov: cov, seconds: secs, points: pts}, nil
}

func run(ctx context.Context, o options, log io.Writer) error {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	var rows []row
	for _, d := range o.Data {
		for _, v := range o.Variants {
			r := row{data: d, variant: v}
			for s := 0; s < o.Seeds; s++ {
				res, err := trainOne(ctx, o, d, v, uint64(s+1), log)
				if err != nil {
					return fmt.Errorf("%s/%s seed %d: %w", d, v, s+1, err)
				}
				fmt.Fprintf(log, "%-4s %-9s seed %d: %v (%.1fs)\n", d, v, s+1, res.cov, res.seconds)
				r.runs = append(r.runs, res)
				if s == 0 {
					path := filepath.Join(o.Out, fmt.Sprintf("scatter-%s-%s.png", d, v))
					title := fmt.Sprintf("%s, %s, seed 1: %v", d, v, res.cov)
					if err := writeScatter(path, title, res.points, mixture(d)); err != nil {
						return err
					}
				}
			}
			rows = append(rows, r)
		}
	}
	table := formatTable(o, rows)
	fmt.Fprint(log, "\n"+table)
	return atomicfile.WriteFile(filepath.Join(o.Out, "table.md"), []byte(table))
}

// meanSD returns the mean and sample standard deviation of xs.
func meanSD(xs []float64) (float64, float64) {
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

// formatTable renders the results as a Markdown table.
func formatTable(o options, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Steps %d, batch %d, Adam lr %g, %d seeds, %d samples scored per run (mean ± sd over seeds).\n\n",
		o.Steps, o.Batch, o.LR, o.Seeds, o.Samples)
	if o.Penalty != "" {
		fmt.Fprintf(&b, "Every variant's discriminator has the penalty %s.\n\n", o.Penalty)
	}
	b.WriteString("| data | variant | modes covered | high quality % | reverse KL | seconds per run |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		var modes, hq, kl, secs []float64
		for _, x := range r.runs {
			modes = append(modes, float64(x.cov.ModesCovered))
			hq = append(hq, 100*x.cov.HighQualityShare)
			kl = append(kl, x.cov.ReverseKL)
			secs = append(secs, x.seconds)
		}
		mm, ms := meanSD(modes)
		hm, hs := meanSD(hq)
		km, ks := meanSD(kl)
		sm, _ := meanSD(secs)
		fmt.Fprintf(&b, "| %s | %s | %.1f ± %.1f / %d | %.1f ± %.1f | %.3f ± %.3f | %.1f |\n",
			r.data, r.variant, mm, ms, r.runs[0].cov.Modes, hm, hs, km, ks, sm)
	}
	return b.String()
}
