package training_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// feed sends the statistics of steps from to to d, each made by at, and
// returns the log.
func feed(d *training.Divergence, from, to int, at func(step int) gan.Stats) string {
	var log bytes.Buffer
	s := &training.State{Log: &log, Stepped: true}
	for step := from; step <= to; step++ {
		s.Stats = at(step)
		s.Stats.Step = step
		d.Record(s, training.Step)
	}
	return log.String()
}

func TestDivergenceOnASyntheticRun(t *testing.T) {
	healthy := func(int) gan.Stats { return gan.Stats{DLoss: 1.3, GLoss: 0.8, Diversity: 0.9} }
	exploding := func(int) gan.Stats { return gan.Stats{DLoss: 0, GLoss: 3.4e9, Diversity: 0.7} }
	won := func(int) gan.Stats { return gan.Stats{DLoss: 1e-5, GLoss: 11, Diversity: 0.01} }
	pinnedOnly := func(int) gan.Stats { return gan.Stats{DLoss: 1e-5, GLoss: 11, Diversity: 0.8} }

	// 19 exploding steps, a healthy one, then 20 more: found at step 40.
	d := &training.Divergence{}
	d.Record(&training.State{}, training.Init)
	require.Empty(t, feed(d, 1, 10, healthy))
	require.Empty(t, feed(d, 11, 29, exploding))
	require.Empty(t, feed(d, 30, 30, healthy))
	log := feed(d, 31, 49, exploding)
	require.Empty(t, log)
	diverged, _ := d.Diverged()
	require.False(t, diverged)
	log = feed(d, 50, 60, exploding)
	diverged, at := d.Diverged()
	require.True(t, diverged)
	require.Equal(t, 50, at)
	require.Equal(t, 1, strings.Count(log, "warning: the run diverged at step 50"), log)
	require.Contains(t, log, "a loss above 100 in absolute value for 20 steps in a row")
	require.Contains(t, log, "G loss 3.4e+09")
	require.Contains(t, d.Warning(), "step 50")

	// D winning outright: pinned at 0 with collapsed samples, not pinned
	// alone.
	d = &training.Divergence{}
	require.Empty(t, feed(d, 1, 40, pinnedOnly))
	log = feed(d, 41, 60, won)
	require.Contains(t, log, "diverged at step 60: D loss pinned at 0 (below 0.001) and diversity below 0.05")

	// The thresholds are configurable.
	d = &training.Divergence{LossAbove: 1e10, Window: 5}
	require.Empty(t, feed(d, 1, 30, exploding))
	d = &training.Divergence{LossAbove: 1e9, Window: 5}
	require.Contains(t, feed(d, 1, 5, exploding), "diverged at step 5: a loss above 1e+09")

	// A rollback (steps not in a row) restarts the count.
	d = &training.Divergence{Window: 5}
	require.Empty(t, feed(d, 1, 4, exploding))
	require.Empty(t, feed(d, 3, 3, exploding)) // step 3 again: ignored
	require.Empty(t, feed(d, 2, 2, exploding))
	require.Empty(t, feed(d, 6, 9, exploding))
	require.Contains(t, feed(d, 10, 10, exploding), "diverged at step 10")
}

// TestDivergenceOfARealRun trains the small test networks at a learning
// rate of 10: the run diverges without a NaN, which the log, the progress
// lines and report.html say; at 2e-4 none of them does.
func TestDivergenceOfARealRun(t *testing.T) {
	for _, lr := range []float64{10, 2e-4} {
		out := t.TempDir()
		tr := newTrainer(t)
		require.NoError(t, tr.SetLearningRates(lr, lr))
		div := &training.Divergence{}
		stats := &training.StatsLog{Path: filepath.Join(out, training.StatsFile)}
		var log bytes.Buffer
		_, err := training.Loop{Steps: 40, Log: &log}.Run(context.Background(), tr, data.NewLoader(&poisoned{}, 1),
			stats,
			&training.Progress{Mode: monitor.ModePlain, Every: 10, Description: "train", Divergence: div},
			div,
			&training.Report{Dir: out, Stats: stats, Divergence: div})
		require.NoError(t, err, "lr %g", lr)
		html, err := os.ReadFile(filepath.Join(out, monitor.ReportFile))
		require.NoError(t, err)
		diverged, at := div.Diverged()
		if lr == 10 {
			require.True(t, diverged)
			require.Contains(t, log.String(), "warning: the run diverged at step")
			require.Regexp(t, `train: step 40/40 .*WARNING: diverged at step \d+`, log.String())
			require.Contains(t, string(html), `id="warnings"`)
			require.Contains(t, string(html), "the run diverged at step")
			require.LessOrEqual(t, at, 30)
		} else {
			require.False(t, diverged, div.Warning())
			require.NotContains(t, log.String(), "diverged")
			require.NotContains(t, string(html), `id="warnings"`)
		}
	}
}
