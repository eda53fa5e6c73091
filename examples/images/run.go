package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/vis"
)

// gridSize is the number of samples in a grid (an 8×8 square).
const gridSize = 64

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
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
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

	fixed := tr.Noise(gridSize) // the same noise for every grid, so the grids show progress
	scale := max(1, 64/c.Size)
	writeGrid := func(step int) error {
		return writeSampleGrid(tr, fixed, scale, filepath.Join(c.Out, fmt.Sprintf("samples-%06d.png", step)))
	}

	statsFile, err := os.Create(filepath.Join(c.Out, "stats.csv"))
	if err != nil {
		return fmt.Errorf("create stats file: %w", err)
	}
	defer statsFile.Close()
	stats := csv.NewWriter(statsFile)
	if err := stats.Write([]string{"step", "d_loss", "g_loss", "d_real", "d_fake", "v", "seconds"}); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}

	batches := data.NewLoader(imgs, c.Seed)
	start := time.Now()
	last, lastStep := start, 0
	_, trainErr := tr.Train(ctx, batches, gan.TrainOptions{
		Steps: c.Steps,
		OnStep: func(s gan.Stats) error {
			f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
			if err := stats.Write([]string{strconv.Itoa(s.Step), f(s.DLoss), f(s.GLoss), f(s.DReal), f(s.DFake), f(s.V),
				f(time.Since(start).Seconds())}); err != nil {
				return fmt.Errorf("write stats: %w", err)
			}
			if s.Step%c.LogEvery == 0 {
				stats.Flush()
				now := time.Now()
				rate := float64(s.Step-lastStep) / now.Sub(last).Seconds()
				eta := (time.Duration(float64(c.Steps-s.Step)/rate) * time.Second).Round(time.Second)
				fmt.Fprintf(log, "step %6d  %6.2f steps/s  ETA %s  D loss %.4f  G loss %.4f  D(x) %.3f  D(G(z)) %.3f  V %.4f\n",
					s.Step, rate, eta, s.DLoss, s.GLoss, s.DReal, s.DFake, s.V)
				last, lastStep = now, s.Step
			}
			if c.GridEvery > 0 && s.Step%c.GridEvery == 0 {
				return writeGrid(s.Step)
			}
			return nil
		},
	})
	elapsed := time.Since(start)
	stats.Flush()
	if err := stats.Error(); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	interrupted := errors.Is(trainErr, context.Canceled)
	if trainErr != nil && !interrupted {
		return trainErr
	}
	steps := tr.Steps()
	fmt.Fprintf(log, "trained %d steps in %s (%.2f steps/s)\n", steps, elapsed.Round(time.Millisecond), float64(steps)/elapsed.Seconds())
	if interrupted {
		fmt.Fprintln(log, "interrupted: saving what has been trained")
	}

	// Outputs are written even after an interruption: never lose the work.
	if err := writeGrid(steps); err != nil {
		return err
	}
	modelPath := filepath.Join(c.Out, "model.gogan")
	if err := tr.Save(modelPath); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s\n", modelPath)
	if interrupted {
		return trainErr
	}
	return nil
}

// writeSampleGrid writes G(z) for the fixed noise z as an 8-wide grid,
// each pixel scaled up scale times.
func writeSampleGrid(tr *gan.Trainer, z []float64, scale int, path string) error {
	batch, err := tr.GenerateFrom(z)
	if err != nil {
		return err
	}
	imgs, err := gan.ToImages(batch)
	if err != nil {
		return err
	}
	grid, err := vis.Grid(imgs, 8, 2)
	if err != nil {
		return err
	}
	if err := vis.WritePNG(path, vis.Scale(grid, scale)); err != nil {
		return fmt.Errorf("write sample grid: %w", err)
	}
	return nil
}
