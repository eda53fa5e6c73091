package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/internal/atomicfile"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/vis"
)

// gridSize is the number of digits in a sample grid (an 8×8 square).
const gridSize = 64

// checkpointName is the checkpoint file inside the run directory.
const checkpointName = "checkpoint.gogan"

// statsHeader is the first row of stats.csv.
var statsHeader = []string{"step", "d_loss", "g_loss", "d_real", "d_fake", "v", "seconds"}

// resumeConfig replaces c by the configuration saved in the checkpoint of
// the run directory c.Resume, keeping c's -steps if it was given.
func resumeConfig(c config) (config, error) {
	path := filepath.Join(c.Resume, checkpointName)
	mf, err := gan.ReadModel(path)
	if err != nil {
		return c, fmt.Errorf("resume: %w", err)
	}
	var saved config
	if err := json.Unmarshal(mf.Info.Extra, &saved); err != nil {
		return c, fmt.Errorf("resume: %s holds no run configuration of this command: %w", path, err)
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
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}

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
		BatchSize: c.Batch, DSteps: c.K, Loss: loss, Seed: c.Seed, GOptimizer: opt, DOptimizer: opt,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "model: %s, G %d parameters, D %d parameters; loss %s, batch %d, k %d, Adam lr %g\n",
		c.Model, gen.Params().Count(), disc.Params().Count(), loss.Name(), c.Batch, c.K, c.LR)

	// The fixed noise of the sample grids is drawn before anything else
	// from the sampling generator, so a resumed run draws the same.
	fixed := tr.Noise(gridSize)
	batches := data.NewLoader(digits, c.Seed)
	ckptPath := filepath.Join(c.Out, checkpointName)
	extra, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if c.Resume != "" {
		if _, err := tr.LoadCheckpoint(ckptPath, batches); err != nil {
			return err
		}
		fmt.Fprintf(log, "resumed from %s at step %d\n", ckptPath, tr.Steps())
	}
	saveCheckpoint := func() error { return tr.SaveCheckpoint(ckptPath, batches, extra) }
	writeGrid := func(step int) error {
		return writeSampleGrid(tr, fixed, filepath.Join(c.Out, fmt.Sprintf("samples-%06d.png", step)))
	}

	stats, closeStats, err := openStats(filepath.Join(c.Out, "stats.csv"), tr.Steps())
	if err != nil {
		return err
	}
	defer closeStats()

	opts := gan.TrainOptions{Epochs: c.Epochs}
	if c.Steps > 0 {
		opts.Steps = c.Steps - tr.Steps()
		if opts.Steps <= 0 {
			fmt.Fprintf(log, "the run already has %d of %d steps\n", tr.Steps(), c.Steps)
			return nil
		}
	}
	start := time.Now()
	last, lastStep := start, tr.Steps()
	startStep := tr.Steps()
	opts.OnStep = func(s gan.Stats) error {
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		stats.Write([]string{strconv.Itoa(s.Step), f(s.DLoss), f(s.GLoss), f(s.DReal), f(s.DFake), f(s.V),
			f(time.Since(start).Seconds())})
		if s.Step%c.LogEvery == 0 {
			stats.Flush()
			now := time.Now()
			rate := float64(s.Step-lastStep) / now.Sub(last).Seconds()
			eta := ""
			if c.Steps > 0 {
				eta = fmt.Sprintf("  ETA %s", (time.Duration(float64(c.Steps-s.Step)/rate) * time.Second).Round(time.Second))
			}
			fmt.Fprintf(log, "step %6d  %6.1f steps/s%s  D loss %.4f  G loss %.4f  D(x) %.3f  D(G(z)) %.3f  V %.4f\n",
				s.Step, rate, eta, s.DLoss, s.GLoss, s.DReal, s.DFake, s.V)
			last, lastStep = now, s.Step
		}
		if c.GridEvery > 0 && s.Step%c.GridEvery == 0 {
			if err := writeGrid(s.Step); err != nil {
				return err
			}
		}
		if c.CheckpointEvery > 0 && s.Step%c.CheckpointEvery == 0 {
			stats.Flush()
			return saveCheckpoint()
		}
		return nil
	}
	_, trainErr := tr.Train(ctx, batches, opts)
	elapsed := time.Since(start)
	stats.Flush()
	if err := stats.Error(); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	interrupted := errors.Is(trainErr, context.Canceled)
	if trainErr != nil && !interrupted {
		// A failed step (e.g. a NaN loss) changed no weights: the last
		// checkpoint written stays the last good one.
		return fmt.Errorf("%w (the last good checkpoint is %s)", trainErr, ckptPath)
	}
	steps := tr.Steps() - startStep
	fmt.Fprintf(log, "trained %d steps in %s (%.1f steps/s)\n", steps, elapsed.Round(time.Millisecond), float64(steps)/elapsed.Seconds())
	if interrupted {
		fmt.Fprintf(log, "interrupted at step %d: saving a checkpoint; continue with -resume %s\n", tr.Steps(), c.Out)
	}

	// Outputs are written even after an interruption: never lose the work.
	if err := saveCheckpoint(); err != nil {
		return err
	}
	if err := writeGrid(tr.Steps()); err != nil {
		return err
	}
	modelPath := filepath.Join(c.Out, "model.gogan")
	if err := tr.Save(modelPath); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s and %s\n", modelPath, ckptPath)
	if c.Export > 0 {
		path := filepath.Join(c.Out, "generated-images-idx3-ubyte")
		if err := exportIDX(tr, c.Export, path); err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %d generated digits to %s\n", c.Export, path)
	}
	if interrupted {
		return trainErr
	}
	return nil
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

// openStats opens stats.csv for appending. For a new run (fromStep 0) it
// starts the file with its header; for a resumed one it keeps the rows up
// to fromStep and drops those written after the checkpoint.
func openStats(path string, fromStep int) (*csv.Writer, func() error, error) {
	rows := [][]string{statsHeader}
	if fromStep > 0 {
		if f, err := os.Open(path); err == nil {
			old, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				return nil, nil, fmt.Errorf("resume: read %s: %w", path, err)
			}
			for _, r := range old[min(1, len(old)):] {
				if step, err := strconv.Atoi(r[0]); err == nil && step <= fromStep {
					rows = append(rows, r)
				}
			}
		}
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
		return cw.Error()
	})
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open stats file: %w", err)
	}
	return csv.NewWriter(f), f.Close, nil
}

func writeSampleGrid(tr *gan.Trainer, z []float64, path string) error {
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
	return vis.WritePNG(path, vis.Scale(grid, 3))
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
