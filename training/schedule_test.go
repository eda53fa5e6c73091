package training_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestScheduleSetsRatesAndResumes: each step runs at the rates the
// schedule gives for it, and a run interrupted and resumed with the same
// schedule ends with the weights of a straight run.
func TestScheduleSetsRatesAndResumes(t *testing.T) {
	sched := training.Schedule{
		G: func(step int) float64 { return 1e-3 / float64(step) },
		D: func(step int) float64 { return 2e-3 / float64(step) },
	}
	const total, cut = 12, 5
	loop := func(ctx context.Context, dir string, resume bool, extra ...training.Callback) (*gan.Trainer, error) {
		tr := newTrainer(t)
		check := training.Func(func(st *training.State, ev training.Event) error {
			if ev == training.Step {
				// The schedule ran before this callback: the rates are
				// the next step's.
				next := st.Stats.Step + 1
				require.Equal(t, sched.G(next), st.Trainer.Config().GOptimizer.LearningRate())
				require.Equal(t, sched.D(next), st.Trainer.Config().DOptimizer.LearningRate())
			}
			return nil
		})
		cbs := append([]training.Callback{sched, check,
			&training.Checkpointer{Path: filepath.Join(dir, training.CheckpointFile), Every: 3, Resume: resume}}, extra...)
		_, err := training.Loop{Steps: total}.Run(ctx, tr, data.NewLoader(&poisoned{}, 7), cbs...)
		return tr, err
	}
	straight, err := loop(context.Background(), t.TempDir(), false)
	require.NoError(t, err)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = loop(ctx, dir, false, stopAt(cut, cancel))
	require.ErrorIs(t, err, context.Canceled)
	resumed, err := loop(context.Background(), dir, true)
	require.NoError(t, err)
	require.Equal(t, total, resumed.Steps())
	requireSameWeights(t, straight, resumed)
}
