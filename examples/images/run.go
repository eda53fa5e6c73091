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
	} else if abs, err := filepath.Abs(c.Data); err == nil {
		c.Data = abs // recorded in the checkpoint: -resume works from any directory
	}
	skipped := 0
	imgs, err := data.LoadImageDir(c.Data, data.ImageDirOptions{
		Size: c.Size, Gray: c.Gray, Recursive: c.Recursive, Limit: c.Limit,
		OnSkip: func(path string, err error) {
			skipped++
			fmt.Fprintf(log, "skipping %s: %v\n", path, err)
		},
	})
	if errors.Is(err, data.ErrTooLarge) {
		return fmt.Errorf("%w; -limit N loads only the first N images", err)
	}
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
	opt := optim.AdamConfig{LR: c.LR, Beta1: 0.5, Beta2: 0.999}
	tcfg := gan.Config{BatchSize: c.Batch, Seed: c.Seed, GOptimizer: opt, DOptimizer: opt}
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
	fmt.Fprintf(log, "model: DCGAN %dx%dx%d, G %d parameters, D %d parameters; batch %d, Adam lr %g\n",
		gcfg.Channels, gcfg.ImageSize, gcfg.ImageSize, gen.Params().Count(), disc.Params().Count(), c.Batch, c.LR)
	// Everything is checked: only now is the run folder touched.
	dir, err := training.ClaimFromFlags(c.Out, c.Resume != "", c.Overwrite, log)
	if err != nil {
		return err
	}
	defer dir.Release()

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
	grids := &training.Grids{Dir: c.Out, Every: c.GridEvery, Scale: max(1, 64/c.Size)}
	ck := &training.Checkpointer{Path: filepath.Join(c.Out, training.CheckpointFile), Every: c.CheckpointEvery,
		Resume: c.Resume != "", Config: c, Model: filepath.Join(c.Out, training.ModelFile)}
	res, err := training.Loop{Steps: c.Steps, Log: log}.Run(ctx, tr, data.NewLoader(imgs, c.Seed),
		stats,
		&training.Progress{Every: c.LogEvery, Description: "train"},
		summary,
		grids,
		ck,
		&training.Report{Dir: c.Out, Title: fmt.Sprintf("DCGAN %dx%d on %s", c.Size, c.Size, c.Data), Config: c,
			Stats: stats, Grids: grids},
	)
	if ended && (err == nil || errors.Is(err, ctx.Err())) && !errors.Is(err, gan.ErrPartialStep) { // done or interrupted between steps: the outputs are written
		fmt.Fprintf(log, "wrote %s, %s and %s in %s\n", training.ModelFile, training.CheckpointFile, monitor.ReportFile, c.Out)
	}
	if res.Interrupted {
		fmt.Fprintf(log, "continue with -resume %s\n", c.Out)
	}
	return err
}
