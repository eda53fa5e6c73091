// Package runloop runs a gan.Trainer on image data for the example
// commands: it shows progress, keeps the step statistics in stats.csv,
// writes fixed-noise sample grids, checkpoints atomically (every N steps,
// at the end and on interruption), resumes a run exactly from its
// checkpoint, and at the end writes the model, the plots of the run and a
// one-page report.html into the run directory.
package runloop

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/internal/atomicfile"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/vis"
)

// File names inside a run directory.
const (
	CheckpointFile = "checkpoint.gogan"
	ModelFile      = "model.gogan"
	StatsFile      = "stats.csv"
)

// gridSize is the number of samples in a grid (8×8) and timelineWidth the
// number of them a timeline row shows.
const (
	gridSize      = 64
	timelineWidth = 8
)

var statsHeader = []string{"step", "d_loss", "g_loss", "d_real", "d_fake", "v", "diversity", "seconds"}

// Options configures Run.
type Options struct {
	// Out is the run directory.
	Out string
	// Steps is the run's total step budget (a resumed run trains up to
	// it); Epochs, if positive, bounds the passes over the data instead.
	Steps, Epochs int
	// LogEvery is the number of steps between progress lines when the
	// output is not a terminal (on a terminal a live bar is shown).
	LogEvery int
	// GridEvery writes a sample grid every N steps (0: only at the end).
	GridEvery int
	// CheckpointEvery writes the checkpoint every N steps (0: only at the
	// end and on interruption).
	CheckpointEvery int
	// GridScale scales the grids' pixels up (1 if zero).
	GridScale int
	// Resume continues the run in Out from its checkpoint.
	Resume bool
	// Config is the command's configuration: saved in every checkpoint
	// (as JSON, for ReadConfig) and shown in the report.
	Config any
	// Title heads the report.
	Title string
	// Log receives progress and messages.
	Log io.Writer
	// Progress selects the progress display (monitor.ModeAuto: a bar on a
	// terminal, plain lines elsewhere).
	Progress monitor.Mode
	// NaNRollbacks is how many times a run whose loss or gradient turns
	// NaN or infinite is rolled back to its last checkpoint and continued
	// with both learning rates halved (0: the run stops at the first one,
	// leaving the last good checkpoint in place).
	NaNRollbacks int
}

// Result describes a finished (or interrupted) run.
type Result struct {
	// Steps is the trainer's step count at the end; Trained the steps of
	// this call.
	Steps, Trained int
	Elapsed        time.Duration
	Interrupted    bool
}

// ReadConfig reads the configuration saved by Run in the checkpoint of the
// run directory dir into cfg (a pointer), for resuming.
func ReadConfig(dir string, cfg any) error {
	path := filepath.Join(dir, CheckpointFile)
	mf, err := gan.ReadModel(path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := json.Unmarshal(mf.Info.Extra, cfg); err != nil {
		return fmt.Errorf("resume: %s holds no run configuration of this command: %w", path, err)
	}
	return nil
}

// Run trains tr on batches as o says. Interrupted by ctx, it still writes
// the checkpoint and the outputs and returns ctx's error with the result.
func Run(ctx context.Context, tr *gan.Trainer, batches data.Batches, o Options) (Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.GridScale < 1 {
		o.GridScale = 1
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return Result{}, fmt.Errorf("create run directory: %w", err)
	}
	// The fixed noise is drawn before anything else from the sampling
	// generator, so a resumed run draws the same.
	fixed := tr.Noise(gridSize)
	ends := tr.Noise(2) // the interpolation's two ends
	extra, err := json.Marshal(o.Config)
	if err != nil {
		return Result{}, fmt.Errorf("encode configuration: %w", err)
	}
	ckptPath := filepath.Join(o.Out, CheckpointFile)
	if o.Resume {
		if _, err := tr.LoadCheckpoint(ckptPath, batches); err != nil {
			return Result{}, err
		}
		fmt.Fprintf(o.Log, "resumed from %s at step %d\n", ckptPath, tr.Steps())
	}
	statsPath := filepath.Join(o.Out, StatsFile)
	hist, stats, closeStats, err := openStats(statsPath, tr.Steps())
	if err != nil {
		return Result{}, err
	}
	defer func() { closeStats() }()

	r := &run{tr: tr, o: o, fixed: fixed}
	if s, ok := hist.Last(); ok { // a resumed run's last statistics, until a step replaces them
		r.last = &s
	}
	if o.Steps > 0 && tr.Steps() >= o.Steps {
		fmt.Fprintf(o.Log, "the run already has %d of %d steps\n", tr.Steps(), o.Steps)
		return Result{Steps: tr.Steps()}, nil
	}
	startStep := tr.Steps()
	progress := monitor.NewProgress(o.Log, o.Steps, monitor.ProgressOptions{Mode: o.Progress, Every: o.LogEvery, Start: startStep, Description: "train"})
	saveCheckpoint := func() error { return tr.SaveCheckpoint(ckptPath, batches, extra) }
	start := time.Now()
	opts := gan.TrainOptions{Epochs: o.Epochs}
	opts.OnStep = func(s gan.Stats) error {
		hist.Add(s)
		r.last = &s
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		stats.Write([]string{strconv.Itoa(s.Step), f(s.DLoss), f(s.GLoss), f(s.DReal), f(s.DFake), f(s.V), f(s.Diversity),
			f(time.Since(start).Seconds())})
		progress.Update(s)
		if o.GridEvery > 0 && s.Step%o.GridEvery == 0 {
			if err := r.writeGrid(s.Step); err != nil {
				return err
			}
		}
		if o.CheckpointEvery > 0 && s.Step%o.CheckpointEvery == 0 {
			stats.Flush()
			return saveCheckpoint()
		}
		return nil
	}
	if !o.Resume {
		// A new run starts with a checkpoint, so that there is always a
		// last good one to roll back to.
		if err := saveCheckpoint(); err != nil {
			return Result{}, err
		}
	}
	var trainErr error
	for rollbacks := 0; ; rollbacks++ {
		if o.Steps > 0 {
			opts.Steps = o.Steps - tr.Steps()
		}
		_, trainErr = tr.Train(ctx, batches, opts)
		if !errors.Is(trainErr, gan.ErrNonFinite) || rollbacks >= o.NaNRollbacks {
			break
		}
		// Roll back to the last good checkpoint with halved learning rates.
		stats.Flush()
		if _, err := tr.LoadCheckpoint(ckptPath, batches); err != nil {
			return Result{Steps: tr.Steps()}, fmt.Errorf("%w; rolling back failed: %w", trainErr, err)
		}
		cfg := tr.Config()
		if err := tr.SetLearningRates(cfg.GOptimizer.LR/2, cfg.DOptimizer.LR/2); err != nil {
			return Result{Steps: tr.Steps()}, err
		}
		closeStats()
		if hist, stats, closeStats, err = openStats(statsPath, tr.Steps()); err != nil {
			return Result{Steps: tr.Steps()}, err
		}
		fmt.Fprintf(o.Log, "%v\nrolled back to step %d; learning rates halved to G %g, D %g (rollback %d of %d)\n",
			trainErr, tr.Steps(), cfg.GOptimizer.LR/2, cfg.DOptimizer.LR/2, rollbacks+1, o.NaNRollbacks)
	}
	res := Result{Steps: tr.Steps(), Trained: tr.Steps() - startStep, Elapsed: time.Since(start)}
	perr := progress.Finish()
	stats.Flush()
	if err := stats.Error(); err != nil {
		return res, fmt.Errorf("write stats: %w", err)
	}
	if perr != nil {
		return res, perr
	}
	res.Interrupted = errors.Is(trainErr, context.Canceled)
	if trainErr != nil && !res.Interrupted {
		// A failed step (e.g. a NaN loss) changed no weights: the last
		// checkpoint written stays the last good one.
		return res, fmt.Errorf("%w (the last good checkpoint is %s)", trainErr, ckptPath)
	}
	fmt.Fprintf(o.Log, "trained %d steps in %s (%.2f steps/s)\n", res.Trained, res.Elapsed.Round(time.Millisecond),
		float64(res.Trained)/res.Elapsed.Seconds())
	if res.Interrupted {
		fmt.Fprintf(o.Log, "interrupted at step %d: saving a checkpoint; continue with -resume %s\n", tr.Steps(), o.Out)
	}

	// Outputs are written even after an interruption: never lose the work.
	if err := saveCheckpoint(); err != nil {
		return res, err
	}
	if err := r.writeGrid(tr.Steps()); err != nil {
		return res, err
	}
	if err := tr.Save(filepath.Join(o.Out, ModelFile)); err != nil {
		return res, err
	}
	if err := r.writeReport(hist, ends); err != nil {
		return res, err
	}
	fmt.Fprintf(o.Log, "wrote %s, %s and report.html in %s\n", ModelFile, CheckpointFile, o.Out)
	if res.Interrupted {
		return res, trainErr
	}
	return res, nil
}

// run holds what the outputs of one Run share.
type run struct {
	tr       *gan.Trainer
	o        Options
	fixed    []float64
	timeline [][]image.Image
	lastGrid string
	last     *gan.Stats // the last step's statistics
}

func (r *run) writeGrid(step int) error {
	imgs, err := r.images(r.fixed)
	if err != nil {
		return err
	}
	grid, err := vis.Grid(imgs, 8, 2)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("samples-%06d.png", step)
	if err := vis.WritePNG(filepath.Join(r.o.Out, name), vis.Scale(grid, r.o.GridScale)); err != nil {
		return err
	}
	if name != r.lastGrid {
		r.timeline = append(r.timeline, imgs[:timelineWidth])
	}
	r.lastGrid = name
	return nil
}

func (r *run) images(z []float64) ([]image.Image, error) {
	batch, err := r.tr.GenerateFrom(z)
	if err != nil {
		return nil, err
	}
	return gan.ToImages(batch)
}

// writeReport writes the plots, the timeline, the interpolation strip and
// report.html.
func (r *run) writeReport(h *monitor.History, ends []float64) error {
	dir := r.o.Out
	var figs []monitor.Figure
	add := func(file, caption string, write func(path string) error) error {
		if err := write(filepath.Join(dir, file)); err != nil {
			return err
		}
		figs = append(figs, monitor.Figure{File: file, Caption: caption})
		return nil
	}
	if h.Len() > 0 {
		plots := []struct {
			file, caption string
			write         func(string, *monitor.History, monitor.PlotOptions) error
		}{
			{"losses.png", "Discriminator and generator losses", monitor.WriteLossPlot},
			{"discriminator.png", "Mean D(x) and D(G(z)); both tend to 1/2 at the equilibrium", monitor.WriteDiscriminatorPlot},
			{"value.png", "V(D, G); −log 4 at the equilibrium", monitor.WriteValuePlot},
		}
		for _, p := range plots {
			if err := add(p.file, p.caption, func(path string) error { return p.write(path, h, monitor.PlotOptions{Smooth: 25}) }); err != nil {
				return err
			}
		}
	}
	if err := add(r.lastGrid, fmt.Sprintf("Samples from fixed noise after %d steps", r.tr.Steps()), func(string) error { return nil }); err != nil {
		return err
	}
	if len(r.timeline) > 0 {
		if err := add("timeline.png", "The first 8 fixed-noise samples at each grid, oldest at the top (this process's grids only)",
			func(path string) error { return monitor.WriteSampleTimeline(path, r.timeline, r.o.GridScale) }); err != nil {
			return err
		}
	}
	latent := r.tr.Generator().LatentDim()
	if err := add("interpolation.png", "Spherical interpolation between two latent vectors",
		func(path string) error {
			return monitor.WriteInterpolation(path, r.images, ends[:latent], ends[latent:],
				monitor.InterpolationOptions{Steps: 10, Scale: r.o.GridScale})
		}); err != nil {
		return err
	}
	return monitor.WriteReport(dir, monitor.Report{Title: r.o.Title, Config: r.o.Config, Final: r.last, Figures: figs})
}

// openStats opens stats.csv for appending and returns the history it
// already holds. For a new run (fromStep 0) the file starts anew with its
// header; for a resumed one the rows up to fromStep are kept and those
// written after the checkpoint dropped.
func openStats(path string, fromStep int) (*monitor.History, *csv.Writer, func() error, error) {
	hist := &monitor.History{}
	rows := [][]string{statsHeader}
	if fromStep > 0 {
		if f, err := os.Open(path); err == nil {
			old, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				return nil, nil, nil, fmt.Errorf("resume: read %s: %w", path, err)
			}
			for _, r := range old[min(1, len(old)):] {
				s, ok := parseRow(r)
				if ok && s.Step <= fromStep {
					rows = append(rows, r)
					hist.Add(s)
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
		return nil, nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open stats file: %w", err)
	}
	return hist, csv.NewWriter(f), f.Close, nil
}

func parseRow(r []string) (gan.Stats, bool) {
	if len(r) < 7 {
		return gan.Stats{}, false
	}
	step, err := strconv.Atoi(r[0])
	if err != nil {
		return gan.Stats{}, false
	}
	v := make([]float64, 6)
	for i := range v {
		if v[i], err = strconv.ParseFloat(r[i+1], 64); err != nil {
			return gan.Stats{}, false
		}
	}
	return gan.Stats{Step: step, DLoss: v[0], GLoss: v[1], DReal: v[2], DFake: v[3], V: v[4], Diversity: v[5]}, true
}
