package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/training"
)

// resumeConfig replaces c by the configuration saved in the checkpoint of
// the run directory c.Resume, keeping c's -steps if it was given.
func resumeConfig(c config) (config, error) {
	var saved config
	if err := training.ReadConfig(filepath.Join(c.Resume, training.CheckpointFile), &saved); err != nil {
		if errors.Is(err, training.ErrNoCheckpoint) {
			return c, fmt.Errorf("%w (with -overwrite)", err)
		}
		return c, err
	}
	saved.Resume, saved.Out = c.Resume, c.Resume
	if c.StepsSet {
		saved.Steps = c.Steps
	}
	return saved, nil
}

func run(ctx context.Context, c config, log io.Writer) error {
	if c.Resume != "" {
		var err error
		if c, err = resumeConfig(c); err != nil {
			return err
		}
	} else {
		var err error
		if c, err = absData(c); err != nil {
			return err
		}
	}
	digits, err := loadDigits(ctx, c.Data, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "data: %d digits of %dx%d\n", digits.Len(), digits.H, digits.W)
	if digits.Len() < c.Batch {
		return fmt.Errorf("the data has %d digits, fewer than one batch of %d: lower -batch or use more data", digits.Len(), c.Batch)
	}
	gen, disc, err := newModels(c)
	if err != nil {
		return err
	}
	if !slices.Equal(digits.Shape(), gen.SampleShape()) {
		return fmt.Errorf("the data's images have shape %v, the %s model's %v", digits.Shape(), c.Model, gen.SampleShape())
	}
	if err := checkExport(c.Export, gen.SampleShape()); err != nil {
		return err
	}
	loss, err := losses.ByName(c.Loss)
	if err != nil {
		return err
	}
	opt := optim.AdamConfig{LR: c.LR, Beta1: 0.5, Beta2: 0.999}
	if _, ok := loss.(losses.WGANGP); ok {
		// β = (0, 0.9); AdamConfig's Beta1 0 stands for 0.9, and the
		// smallest positive β1 computes what β1 = 0 does.
		opt = optim.AdamConfig{LR: c.LR, Beta1: math.SmallestNonzeroFloat64, Beta2: 0.9}
	}
	penalty, err := gan.ParsePenalty(c.Penalty)
	if err != nil {
		return err
	}
	tcfg := gan.Config{
		BatchSize: c.Batch, DSteps: c.K, Loss: loss, Seed: c.Seed, GOptimizer: opt, DOptimizer: opt, Device: c.Device,
		GeneratorEMA: c.EMA, Penalty: penalty,
	}
	// A batch too large for memory is refused before anything that size
	// is built; any other error is the configuration's, which NewTrainer
	// reports in its own words.
	if err := gan.CheckMemory([]gan.Generator{gen}, []gan.Discriminator{disc}, tcfg); errors.Is(err, data.ErrTooLarge) {
		return fmt.Errorf("-batch %d: %w", c.Batch, err)
	}
	tr, err := gan.NewTrainer(gen, disc, tcfg)
	if err != nil {
		return err
	}
	if c.conditional() {
		fmt.Fprintf(log, "class-conditional: %s, %d classes\n", c.Conditional, digitClasses)
	}
	fmt.Fprintf(log, "model: %s, G %d parameters, D %d parameters; loss %s, batch %d, k %d, Adam lr %g\n",
		c.Model, gen.Params().Count(), disc.Params().Count(), loss.Name(), c.Batch, c.K, c.LR)
	if c.SN || c.EMA > 0 {
		fmt.Fprintf(log, "spectral norm on D: %v; generator EMA β: %g\n", c.SN, c.EMA)
	}
	if p := tr.Config().Penalty; p != nil {
		fmt.Fprintf(log, "discriminator penalty: %v\n", p)
	}
	// Everything is checked: only now is the run folder touched.
	dir, err := training.ClaimFromFlags(c.Out, c.Resume != "", c.Overwrite, log)
	if err != nil {
		return err
	}
	defer dir.Release()

	res, err := train(ctx, tr, data.NewLoader(digits, c.Seed), c, log)
	if err != nil && !res.Interrupted {
		return err
	}
	if c.Export > 0 && c.conditional() {
		if err := exportClasses(tr, c.Export, c.Out); err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %d generated digits, %d of each class, to %s (classes in generated-labels-idx1-ubyte)\n",
			c.Export, c.Export/digitClasses, filepath.Join(c.Out, "generated-images-idx3-ubyte"))
	} else if c.Export > 0 {
		path := filepath.Join(c.Out, "generated-images-idx3-ubyte")
		if err := exportIDX(tr, c.Export, path); err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %d generated digits to %s\n", c.Export, path)
	}
	return err
}

// train runs tr in the run folder c.Out with every callback of package
// training: stats.csv, progress, sample grids, checkpoints (every
// -checkpoint-every steps, at the end and on Ctrl-C/SIGTERM), -resume,
// NaN rollbacks, the model and report.html.
func train(ctx context.Context, tr *gan.Trainer, batches data.Batches, c config, log io.Writer) (training.Result, error) {
	ended := false // whether the run ended, not failed, with its outputs to write
	summary := training.Func(func(s *training.State, e training.Event) error {
		if e == training.End && !s.Failed() {
			ended = true
			trained := s.Trainer.Steps() - s.Start
			if trained == 0 { // a finished run resumed: its outputs are written again
				return nil
			}
			fmt.Fprintf(log, "trained %d steps in %s (%.2f steps/s)\n", trained, s.Elapsed.Round(time.Millisecond),
				float64(trained)/s.Elapsed.Seconds())
		}
		return nil
	})
	stats := &training.StatsLog{Path: filepath.Join(c.Out, training.StatsFile)}
	grids := &training.Grids{Dir: c.Out, Every: c.GridEvery, Scale: 3}
	var classGrid training.Callback = training.Func(func(*training.State, training.Event) error { return nil })
	if c.conditional() {
		classGrid = &ClassGrid{Dir: c.Out, Every: c.GridEvery, Scale: 3}
	}
	ck := &training.Checkpointer{Path: filepath.Join(c.Out, training.CheckpointFile), Every: c.CheckpointEvery,
		Resume: c.Resume != "", Config: c, Model: filepath.Join(c.Out, training.ModelFile)}
	var div *training.Divergence // nil: -diverge-loss negative, no warning
	if c.DivergeLoss >= 0 {
		div = &training.Divergence{LossAbove: c.DivergeLoss}
	}
	res, err := training.Loop{Steps: c.Steps, Epochs: c.Epochs, Log: log}.Run(ctx, tr, batches,
		stats,
		&training.Progress{Mode: c.progress, Every: c.LogEvery, Description: "train", Divergence: div},
		summary,
		grids,
		classGrid,
		ck,
		&training.NaNRollback{Checkpointer: ck, Max: c.NaNRollbacks},
		&training.Report{Dir: c.Out, Title: fmt.Sprintf("MNIST, %s GAN", c.Model), Config: c, Stats: stats, Grids: grids,
			Divergence: div},
	)
	if ended && (err == nil || errors.Is(err, ctx.Err())) && !errors.Is(err, gan.ErrPartialStep) { // done or interrupted between steps: the outputs are written
		fmt.Fprintf(log, "wrote %s, %s and %s in %s\n", training.ModelFile, training.CheckpointFile, monitor.ReportFile, c.Out)
	}
	if res.Interrupted {
		fmt.Fprintf(log, "continue with -resume %s\n", c.Out)
	}
	return res, err
}

// newModels builds the generator and discriminator of c.Model.
func newModels(c config) (gan.Generator, gan.Discriminator, error) {
	if c.conditional() {
		return newConditionalModels(c)
	}
	switch c.Model {
	case "mlp":
		gcfg, dcfg := models.ReferenceMLP()
		dcfg.SpectralNorm = c.SN
		gen, err := models.NewMLPGenerator(gcfg, c.Seed)
		if err != nil {
			return nil, nil, err
		}
		disc, err := models.NewMLPDiscriminator(dcfg, c.Seed)
		if err != nil {
			return nil, nil, err
		}
		return gen, disc, nil
	case "dcgan":
		gcfg, dcfg := models.ReferenceDCGAN()
		dcfg.SpectralNorm = c.SN
		if penalized(c) {
			dcfg.BatchNorm = false // a per-sample gradient penalty needs a critic without batch norm
		}
		gen, err := models.NewDCGANGenerator(gcfg, c.Seed)
		if err != nil {
			return nil, nil, err
		}
		disc, err := models.NewDCGANDiscriminator(dcfg, c.Seed)
		if err != nil {
			return nil, nil, err
		}
		return gen, disc, nil
	}
	return nil, nil, fmt.Errorf("unknown model %q", c.Model)
}

// penalized reports whether the run's discriminator has a penalty on its
// input gradient (-penalty, or -loss wgan-gp).
func penalized(c config) bool {
	if p, err := gan.ParsePenalty(c.Penalty); err == nil && p != nil {
		return true
	}
	l, err := losses.ByName(c.Loss)
	_, gp := l.(losses.GradientPenalized)
	return err == nil && gp
}
