package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/internal/runloop"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
)

// resumeConfig replaces c by the configuration saved in the checkpoint of
// the run directory c.Resume, keeping c's -steps if it was given.
func resumeConfig(c config) (config, error) {
	var saved config
	if err := runloop.ReadConfig(c.Resume, &saved); err != nil {
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
	gen, disc, err := newModels(c)
	if err != nil {
		return err
	}
	loss, err := losses.ByName(c.Loss)
	if err != nil {
		return err
	}
	opt := gan.OptimizerConfig{Kind: "adam", LR: c.LR, Beta1: 0.5, Beta2: 0.999}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{
		BatchSize: c.Batch, DSteps: c.K, Loss: loss, Seed: c.Seed, GOptimizer: opt, DOptimizer: opt, Device: c.Device,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "model: %s, G %d parameters, D %d parameters; loss %s, batch %d, k %d, Adam lr %g\n",
		c.Model, gen.Params().Count(), disc.Params().Count(), loss.Name(), c.Batch, c.K, c.LR)

	res, err := runloop.Run(ctx, tr, data.NewLoader(digits, c.Seed), runloop.Options{
		Out: c.Out, Steps: c.Steps, Epochs: c.Epochs, LogEvery: c.LogEvery, GridEvery: c.GridEvery,
		CheckpointEvery: c.CheckpointEvery, GridScale: 3, Resume: c.Resume != "", Config: c,
		Title: fmt.Sprintf("MNIST, %s GAN", c.Model), Log: log, Progress: c.progress, NaNRollbacks: c.NaNRollbacks,
	})
	if err != nil && !res.Interrupted {
		return err
	}
	if c.Export > 0 {
		path := filepath.Join(c.Out, "generated-images-idx3-ubyte")
		if err := exportIDX(tr, c.Export, path); err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %d generated digits to %s\n", c.Export, path)
	}
	return err
}

// newModels builds the generator and discriminator of c.Model.
func newModels(c config) (gan.Generator, gan.Discriminator, error) {
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
