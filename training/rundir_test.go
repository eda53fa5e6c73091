package training_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestTornStatsLineResumes: a process killed while appending a row of
// stats.csv leaves it without its newline; resuming from the checkpoint
// drops it (and every row after the checkpoint) instead of failing.
func TestTornStatsLineResumes(t *testing.T) {
	dir := t.TempDir()
	loop := func(steps int, resume bool) error {
		_, err := training.Loop{Steps: steps}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1),
			&training.StatsLog{Path: filepath.Join(dir, training.StatsFile)},
			&training.Checkpointer{Path: filepath.Join(dir, training.CheckpointFile), Every: 4, Resume: resume})
		return err
	}
	require.NoError(t, loop(10, false))
	f, err := os.OpenFile(filepath.Join(dir, training.StatsFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("11,1.38,0.6")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	require.NoError(t, loop(15, true))
	text, err := os.ReadFile(filepath.Join(dir, training.StatsFile))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	require.Len(t, lines, 16)
	for i, line := range lines[1:] {
		require.True(t, strings.HasPrefix(line, fmt.Sprintf("%d,", i+1)), "line %d: %q", i+2, line)
		require.Equal(t, len(training.StatsHeader), len(strings.Split(line, ",")), "line %d: %q", i+2, line)
	}
}

// TestClaimKeepsARun: a new run refuses a folder that holds a run and
// leaves it as it was; Overwrite moves it aside whole; a claim removes
// the temporary files of an interrupted save.
func TestClaimKeepsARun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, training.StatsFile), []byte("step\n1\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".checkpoint.gogan.tmp-77"), []byte("half"), 0o644))

	_, err := training.Claim(dir, training.NewRun)
	require.ErrorIs(t, err, training.ErrRunExists)
	require.ErrorContains(t, err, training.StatsFile)
	_, err = os.Stat(filepath.Join(dir, ".checkpoint.gogan.tmp-77"))
	require.NoError(t, err, "a refused claim changed the folder")

	r, err := training.Claim(dir, training.ResumeRun)
	require.NoError(t, err)
	require.Equal(t, []string{".checkpoint.gogan.tmp-77"}, r.Cleaned)
	require.NoError(t, r.Release())

	r, err = training.Claim(dir, training.Overwrite)
	require.NoError(t, err)
	defer r.Release()
	require.True(t, strings.HasPrefix(r.Aside, dir+".old-"), r.Aside)
	old, err := os.ReadFile(filepath.Join(r.Aside, training.StatsFile))
	require.NoError(t, err)
	require.Equal(t, "step\n1\n", string(old))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1) // the lock file
	_, err = training.Claim(filepath.Join(t.TempDir(), "missing"), training.ResumeRun)
	require.ErrorContains(t, err, "resume:")
}

// TestInterruptInsideALongStep: a step of 10⁹ discriminator updates stops
// soon after ctx ends; the run keeps the checkpoint of its last whole
// step (none of the torn step is saved).
func TestInterruptInsideALongStep(t *testing.T) {
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 4, Hidden: []int{16}, OutputShape: []int{1, 4, 4},
		Activation: nn.LeakyReLU(0.2), Output: nn.Tanh()}, 1)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{1, 4, 4}, Hidden: []int{16}}, 1)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, DSteps: 1_000_000_000, Seed: 1})
	require.NoError(t, err)
	dir := t.TempDir()
	ck := filepath.Join(dir, training.CheckpointFile)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	type result struct {
		res training.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := training.Loop{Steps: 2}.Run(ctx, tr, data.NewLoader(&poisoned{}, 1),
			&training.StatsLog{Path: filepath.Join(dir, training.StatsFile)},
			&training.Checkpointer{Path: ck, Model: filepath.Join(dir, training.ModelFile)})
		done <- result{res, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the loop did not stop inside a step of 1e9 discriminator updates")
	}
	require.ErrorIs(t, r.err, context.DeadlineExceeded)
	require.True(t, r.res.Interrupted)
	require.Equal(t, 0, r.res.Steps)
	mf, err := gan.ReadModel(ck)
	require.NoError(t, err)
	require.Equal(t, 0, mf.Info.Steps)
	_, err = os.Stat(filepath.Join(dir, training.ModelFile))
	require.ErrorIs(t, err, os.ErrNotExist, "the model of a torn step was written")
}
