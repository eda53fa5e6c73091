package training_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// poisoned is a dataset of tiny 4×4 images whose sample 5 is NaN the
// first poison times it is read.
type poisoned struct{ poison int }

func (p *poisoned) Len() int     { return 32 }
func (p *poisoned) Shape() []int { return []int{1, 4, 4} }
func (p *poisoned) At(i int, dst []float32) {
	for k := range dst {
		dst[k] = float32((i+k)%7)/3.5 - 1
	}
	if i == 5 && p.poison > 0 {
		p.poison--
		dst[0] = float32(math.NaN())
	}
}

func newTrainer(t *testing.T) *gan.Trainer {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 4, Hidden: []int{16}, OutputShape: []int{1, 4, 4},
		Activation: nn.LeakyReLU(0.2), Output: nn.Tanh()}, 1)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{1, 4, 4}, Hidden: []int{16}}, 1)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Seed: 1})
	require.NoError(t, err)
	return tr
}

// options are those of the full run folder the examples write.
type options struct {
	out                   string
	gridEvery, checkEvery int
	resume                bool
	rollbacks             int
	extra                 []training.Callback // before the others
	progress              monitor.Mode
	config                any
}

// callbacks returns every callback, in the order the examples use.
func (o options) callbacks() []training.Callback {
	stats := &training.StatsLog{Path: filepath.Join(o.out, training.StatsFile)}
	grids := &training.Grids{Dir: o.out, Every: o.gridEvery, Scale: 2}
	ck := &training.Checkpointer{Path: filepath.Join(o.out, training.CheckpointFile), Every: o.checkEvery, Resume: o.resume,
		Config: o.config, Model: filepath.Join(o.out, training.ModelFile)}
	return append(o.extra,
		stats,
		&training.Progress{Mode: o.progress, Every: 10, Description: "train"},
		grids,
		ck,
		&training.NaNRollback{Checkpointer: ck, Max: o.rollbacks},
		&training.Report{Dir: o.out, Title: "test", Config: o.config, Stats: stats, Grids: grids},
	)
}

func runPoisoned(t *testing.T, ds *poisoned, rollbacks int) (*gan.Trainer, string, string, error) {
	t.Helper()
	tr := newTrainer(t)
	out := t.TempDir()
	var log bytes.Buffer
	o := options{out: out, checkEvery: 3, rollbacks: rollbacks, progress: monitor.ModePlain, config: map[string]int{"steps": 20}}
	_, err := training.Loop{Steps: 20, Log: &log}.Run(context.Background(), tr, data.NewLoader(ds, 1), o.callbacks()...)
	return tr, out, log.String(), err
}

func readRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, training.StatsHeader, rows[0])
	return rows[1:]
}

func TestNaNRollbackRecoversFromATransientNaN(t *testing.T) {
	tr, out, log, err := runPoisoned(t, &poisoned{poison: 1}, 2)
	require.NoError(t, err)
	require.Equal(t, 20, tr.Steps())
	require.Contains(t, log, "discriminator loss is NaN")
	require.Contains(t, log, "learning rates halved to G 0.0001, D 0.0001 (rollback 1 of 2)")
	require.Equal(t, 1e-4, tr.Config().GOptimizer.LearningRate())
	// stats.csv has each step once, in order, despite the rollback.
	rows := readRows(t, filepath.Join(out, training.StatsFile))
	require.Len(t, rows, 20)
	for i, r := range rows {
		require.Equal(t, strconv.Itoa(i+1), r[0])
	}
	for _, name := range []string{training.ModelFile, training.CheckpointFile, "report.html", "losses.png", "interpolation.png",
		"timeline.png", "samples-000020.png"} {
		_, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
	}
}

func TestNaNWithoutRollbackStopsAndKeepsTheLastGoodCheckpoint(t *testing.T) {
	_, out, _, err := runPoisoned(t, &poisoned{poison: 1000}, 0)
	require.ErrorIs(t, err, gan.ErrNonFinite)
	require.ErrorContains(t, err, "the last good checkpoint is")
	tr := newTrainer(t)
	_, err = tr.LoadCheckpoint(filepath.Join(out, training.CheckpointFile), nil)
	require.NoError(t, err)
	// A failed run writes no outputs.
	_, err = os.Stat(filepath.Join(out, "report.html"))
	require.True(t, errors.Is(err, os.ErrNotExist), "%v", err)

	_, _, log, err := runPoisoned(t, &poisoned{poison: 1000}, 2)
	require.True(t, errors.Is(err, gan.ErrNonFinite))
	require.Equal(t, 2, strings.Count(log, "rolled back to step"))
}

// recorder is a custom callback: it keeps the statistics of every step.
type recorder struct{ stats []gan.Stats }

func (r *recorder) Record(s *training.State, e training.Event) error {
	if e == training.Step {
		r.stats = append(r.stats, s.Stats)
	}
	return nil
}

// stopAt returns a callback that cancels the run after step n.
func stopAt(n int, cancel context.CancelFunc) training.Callback {
	return training.Func(func(s *training.State, e training.Event) error {
		if e == training.Step && s.Stats.Step == n {
			cancel()
		}
		return nil
	})
}

func requireSameWeights(t *testing.T, a, b *gan.Trainer) {
	t.Helper()
	for i, p := range a.Generator().Params().All() {
		require.Equal(t, p.Float64s(), b.Generator().Params().All()[i].Float64s(), p.Name)
	}
	for i, p := range a.Discriminator().Params().All() {
		require.Equal(t, p.Float64s(), b.Discriminator().Params().All()[i].Float64s(), p.Name)
	}
}

// statsColumns returns the rows of a stats file without the seconds.
func statsColumns(t *testing.T, path string) [][]string {
	t.Helper()
	var out [][]string
	for _, r := range readRows(t, path) {
		out = append(out, r[:7])
	}
	return out
}

// TestCustomLoopResumesBitForBit builds a loop of its own from the public
// callbacks (no progress; a stats log, a checkpointer and a custom
// recorder), interrupts it after 9 steps by cancelling its context,
// resumes it into a fresh trainer and checks that the weights and the
// statistics are bit for bit those of an uninterrupted run.
func TestCustomLoopResumesBitForBit(t *testing.T) {
	const total, cut = 20, 9
	loop := func(ctx context.Context, dir string, resume bool, rec *recorder, extra ...training.Callback) (*gan.Trainer, training.Result, error) {
		tr := newTrainer(t)
		cbs := append(extra,
			&training.StatsLog{Path: filepath.Join(dir, training.StatsFile)},
			&training.Checkpointer{Path: filepath.Join(dir, training.CheckpointFile), Every: 4, Resume: resume},
			rec)
		res, err := training.Loop{Steps: total}.Run(ctx, tr, data.NewLoader(&poisoned{}, 7), cbs...)
		return tr, res, err
	}
	straightDir, splitDir := t.TempDir(), t.TempDir()
	var straight, first, second recorder
	trStraight, res, err := loop(context.Background(), straightDir, false, &straight)
	require.NoError(t, err)
	require.Equal(t, training.Result{Steps: total, Trained: total, Elapsed: res.Elapsed}, res)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, res, err = loop(ctx, splitDir, false, &first, stopAt(cut, cancel))
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, res.Interrupted)
	require.Equal(t, cut, res.Steps)

	trResumed, res, err := loop(context.Background(), splitDir, true, &second)
	require.NoError(t, err)
	require.Equal(t, total-cut, res.Trained)
	require.Equal(t, total, trResumed.Steps())

	requireSameWeights(t, trStraight, trResumed)
	require.Equal(t, straight.stats, append(first.stats, second.stats...))
	require.Equal(t, statsColumns(t, filepath.Join(straightDir, training.StatsFile)), statsColumns(t, filepath.Join(splitDir, training.StatsFile)))

	// A run whose budget is spent trains no more.
	var log bytes.Buffer
	tr := newTrainer(t)
	res, err = training.Loop{Steps: total, Log: &log}.Run(context.Background(), tr, data.NewLoader(&poisoned{}, 7),
		&training.Checkpointer{Path: filepath.Join(splitDir, training.CheckpointFile), Resume: true})
	require.NoError(t, err)
	require.Equal(t, training.Result{Steps: total}, res)
	require.Contains(t, log.String(), "the run already has 20 of 20 steps: writing its outputs")
}

// TestFullRunResumesWithTheSameOutputs interrupts a run with every
// callback and resumes it: the last grid, the checkpoint and the model
// are byte for byte those of the uninterrupted run, as the grids' fixed
// noise is drawn before the checkpoint is loaded.
func TestFullRunResumesWithTheSameOutputs(t *testing.T) {
	const total, cut = 20, 7
	do := func(ctx context.Context, out string, resume bool, extra ...training.Callback) (string, error) {
		var log bytes.Buffer
		o := options{out: out, gridEvery: 5, checkEvery: 6, resume: resume, progress: monitor.ModePlain, extra: extra,
			config: map[string]string{"name": "full"}}
		_, err := training.Loop{Steps: total, Log: &log}.Run(ctx, newTrainer(t), data.NewLoader(&poisoned{}, 3), o.callbacks()...)
		return log.String(), err
	}
	straight, split := t.TempDir(), t.TempDir()
	_, err := do(context.Background(), straight, false)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, err := do(ctx, split, false, stopAt(cut, cancel))
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, log, "interrupted at step 7: saving a checkpoint")
	require.Contains(t, log, "train: done: 7 steps")
	for _, name := range []string{"samples-000007.png", "report.html", training.ModelFile} {
		_, err := os.Stat(filepath.Join(split, name))
		require.NoError(t, err, name)
	}
	log, err = do(context.Background(), split, true)
	require.NoError(t, err)
	require.Contains(t, log, "resumed from "+filepath.Join(split, training.CheckpointFile)+" at step 7")
	require.Contains(t, log, "train: step 20/20")

	var config struct{ Name string }
	require.NoError(t, training.ReadConfig(filepath.Join(split, training.CheckpointFile), &config))
	require.Equal(t, "full", config.Name)
	requireSameCheckpoint(t, filepath.Join(straight, training.CheckpointFile), filepath.Join(split, training.CheckpointFile))
	for _, name := range []string{"samples-000020.png", "samples-000010.png", "interpolation.png", training.ModelFile} {
		a, err := os.ReadFile(filepath.Join(straight, name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(split, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), "%s differs", name)
	}
	require.Equal(t, statsColumns(t, filepath.Join(straight, training.StatsFile)), statsColumns(t, filepath.Join(split, training.StatsFile)))
	html, err := os.ReadFile(filepath.Join(split, "report.html"))
	require.NoError(t, err)
	for _, want := range []string{"losses.png", "samples-000020.png", "timeline.png", "interpolation.png"} {
		require.Contains(t, string(html), want)
	}
}

func TestLoopChecksItsBudgetAndEvents(t *testing.T) {
	_, err := training.Loop{}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1))
	require.ErrorContains(t, err, "set Steps or Epochs")
	_, err = training.Loop{Steps: -1}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1))
	require.ErrorContains(t, err, "must not be negative")

	// The events come in order; gan.ErrStop ends training as if its
	// budget were spent, and the outputs are written.
	var events []string
	res, err := training.Loop{Epochs: 3}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1),
		training.Func(func(s *training.State, e training.Event) error {
			if e != training.Step || s.Stats.Step <= 2 {
				events = append(events, e.String())
			}
			if e == training.Step && s.Stats.Step == 5 {
				return gan.ErrStop
			}
			return nil
		}))
	require.NoError(t, err)
	require.Equal(t, 5, res.Steps)
	require.Equal(t, []string{"init", "resume", "start", "step", "step", "end"}, events)
	require.Equal(t, "Event(9)", training.Event(9).String())

	// A callback's error at Step aborts training; End still comes.
	boom := errors.New("boom")
	var ended bool
	_, err = training.Loop{Steps: 10}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1),
		training.Func(func(s *training.State, e training.Event) error {
			if e == training.Step && s.Stats.Step == 2 {
				return boom
			}
			if e == training.End {
				ended = s.Failed()
			}
			return nil
		}))
	require.ErrorIs(t, err, boom)
	require.True(t, ended)
}
