package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/internal/runloop"
	"github.com/gogan/gogan/models"
)

func run(ctx context.Context, c config, log io.Writer) error {
	skipped := 0
	imgs, err := data.LoadImageDir(c.Data, data.ImageDirOptions{
		Size: c.Size, Gray: c.Gray, Recursive: c.Recursive, Limit: c.Limit,
		OnSkip: func(path string, err error) {
			skipped++
			fmt.Fprintf(log, "skipping %s: %v\n", path, err)
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "data: %d images of %dx%dx%d from %s (%d files skipped)\n", imgs.Len(), imgs.C, imgs.H, imgs.W, c.Data, skipped)
	if imgs.Len() < c.Batch {
		return fmt.Errorf("%s has %d usable images, fewer than one batch of %d: lower -batch or add images", c.Data, imgs.Len(), c.Batch)
	}
	gcfg, dcfg := c.modelConfigs()
	gen, err := models.NewDCGANGenerator(gcfg, c.Seed)
	if err != nil {
		return err
	}
	disc, err := models.NewDCGANDiscriminator(dcfg, c.Seed)
	if err != nil {
		return err
	}
	opt := gan.OptimizerConfig{Kind: "adam", LR: c.LR, Beta1: 0.5, Beta2: 0.999}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: c.Batch, Seed: c.Seed, GOptimizer: opt, DOptimizer: opt})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "model: DCGAN %dx%dx%d, G %d parameters, D %d parameters; batch %d, Adam lr %g\n",
		gcfg.Channels, gcfg.ImageSize, gcfg.ImageSize, gen.Params().Count(), disc.Params().Count(), c.Batch, c.LR)

	res, err := runloop.Run(ctx, tr, data.NewLoader(imgs, c.Seed), runloop.Options{
		Out: c.Out, Steps: c.Steps, LogEvery: c.LogEvery, GridEvery: c.GridEvery, CheckpointEvery: c.CheckpointEvery,
		GridScale: max(1, 64/c.Size), Config: c, Title: fmt.Sprintf("DCGAN %dx%d on %s", c.Size, c.Size, c.Data), Log: log,
	})
	if err != nil && res.Interrupted {
		fmt.Fprintln(log, "interrupted: the checkpoint and outputs were saved")
	}
	return err
}
