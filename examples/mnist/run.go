package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
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
	loss, err := losses.ByName(c.Loss)
	if err != nil {
		return err
	}
	opt := optim.AdamConfig{LR: c.LR, Beta1: 0.5, Beta2: 0.999}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{
		BatchSize: c.Batch, DSteps: c.K, Loss: loss, Seed: c.Seed, GOptimizer: opt, DOptimizer: opt, Device: c.Device,
	})
	if err != nil {
		return err
	}
	if c.conditional() {
		fmt.Fprintf(log, "class-conditional: %s, %d classes\n", c.Conditional, digitClasses)
	}
	fmt.Fprintf(log, "model: %s, G %d parameters, D %d parameters; loss %s, batch %d, k %d, Adam lr %g\n",
		c.Model, gen.Params().Count(), disc.Params().Count(), loss.Name(), c.Batch, c.K, c.LR)
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
	res, err := training.Loop{Steps: c.Steps, Epochs: c.Epochs, Log: log}.Run(ctx, tr, batches,
		stats,
		&training.Progress{Mode: c.progress, Every: c.LogEvery, Description: "train"},
		summary,
		grids,
		classGrid,
		ck,
		&training.NaNRollback{Checkpointer: ck, Max: c.NaNRollbacks},
		&training.Report{Dir: c.Out, Title: fmt.Sprintf("MNIST, %s GAN", c.Model), Config: c, Stats: stats, Grids: grids},
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

// exportIDX writes n generated digits as an uncompressed IDX3 ubyte file,
// mapping [-1, 1] to 0..255 as the MNIST files store them.
func exportIDX(tr *gan.Trainer, n int, path string) error {
	batch, err := tr.Sample(n)
	if err != nil {
		return err
	}
	shape := tr.Generator().SampleShape()
	h, w := shape[len(shape)-2], shape[len(shape)-1]
	vals := batch.Data().([]float32)
	pix := make([]byte, len(vals))
	for i, v := range vals {
		pix[i] = data.ToByte(v)
	}
	idx, err := data.NewIDXUint8(pix, n, h, w)
	if err != nil {
		return err
	}
	return data.WriteIDXFile(path, idx)
}
