package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/tensorfile"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// runIn runs a full run folder (every callback) of the poisoned data to
// steps, resuming if asked, and returns the trainer's learning rate when
// training started, the log and the error.
func runIn(t *testing.T, out string, ds *poisoned, steps int, resume bool, rollbacks int) (float64, string, error) {
	t.Helper()
	lr := 0.0
	atStart := training.Func(func(s *training.State, e training.Event) error {
		if e == training.Start {
			lr = s.Trainer.Config().GOptimizer.LearningRate()
		}
		return nil
	})
	var log bytes.Buffer
	o := options{out: out, checkEvery: 3, resume: resume, rollbacks: rollbacks, progress: monitor.ModePlain,
		config: map[string]int{"steps": steps}}
	cbs := append(o.callbacks(), atStart)
	_, err := training.Loop{Steps: steps, Log: &log}.Run(context.Background(), newTrainer(t), data.NewLoader(ds, 1), cbs...)
	return lr, log.String(), err
}

// TestResumeRestoresTheRunState: after a NaN rollback halved the learning
// rates, a resumed run trains at the halved rates, and the rollbacks it
// used count against -nan-rollback's budget: a resumed run that meets
// NaNs again with its budget spent stops instead of rolling back.
func TestResumeRestoresTheRunState(t *testing.T) {
	out := t.TempDir()
	lr, log, err := runIn(t, out, &poisoned{poison: 1}, 20, false, 1)
	require.NoError(t, err)
	require.Equal(t, 2e-4, lr)
	require.Contains(t, log, "(rollback 1 of 1)")

	lr, log, err = runIn(t, out, &poisoned{}, 22, true, 1)
	require.NoError(t, err)
	require.Equal(t, 1e-4, lr, "the resumed run lost the halved learning rate")
	require.Contains(t, log, "learning rates G 0.0001, D 0.0001 after 1 NaN rollbacks")

	_, log, err = runIn(t, out, &poisoned{poison: 1000}, 30, true, 1)
	require.ErrorIs(t, err, gan.ErrNonFinite)
	require.NotContains(t, log, "rolled back", "the resumed run restarted its rollback count")
}

// TestResumeRefusesAnotherRunsCheckpoint: a checkpoint copied from
// another run folder is refused, naming both runs, and the folder is left
// as it was; a folder written before run identities (no run.json) adopts
// its checkpoint's run.
func TestResumeRefusesAnotherRunsCheckpoint(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		_, _, err := runIn(t, dir, &poisoned{}, 6, false, 0)
		require.NoError(t, err)
	}
	ids := map[string]string{}
	for _, dir := range []string{a, b} {
		raw, err := os.ReadFile(filepath.Join(dir, training.RunFile))
		require.NoError(t, err)
		var rf struct{ ID string }
		require.NoError(t, json.Unmarshal(raw, &rf))
		require.Len(t, rf.ID, 32)
		ids[dir] = rf.ID
	}
	require.NotEqual(t, ids[a], ids[b])

	ck, err := os.ReadFile(filepath.Join(b, training.CheckpointFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(a, training.CheckpointFile), ck, 0o644))
	before := snapshotDir(t, a)
	_, _, err = runIn(t, a, &poisoned{}, 10, true, 0)
	require.ErrorContains(t, err, "is a checkpoint of run "+ids[b]+", but this folder's run is "+ids[a])
	require.ErrorContains(t, err, "copied here from another run")
	require.Equal(t, before, snapshotDir(t, a), "a refused resume changed the folder")

	// Without run.json, the checkpoint's run is the folder's.
	require.NoError(t, os.Remove(filepath.Join(a, training.RunFile)))
	_, _, err = runIn(t, a, &poisoned{}, 10, true, 0)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(a, training.RunFile))
	require.NoError(t, err)
	require.Contains(t, string(raw), ids[b])
}

// snapshotDir returns the contents of the files in dir.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = string(b)
	}
	return files
}

// TestResumeRefusesANonFiniteCheckpoint: a checkpoint whose weights hold
// a NaN (checksum intact) is refused when resuming, naming the tensor,
// instead of loading and failing at the first step with an error that
// calls it "the last good checkpoint".
func TestResumeRefusesANonFiniteCheckpoint(t *testing.T) {
	out := t.TempDir()
	_, _, err := runIn(t, out, &poisoned{}, 6, false, 0)
	require.NoError(t, err)
	path := filepath.Join(out, training.CheckpointFile)
	f, err := tensorfile.ReadFile(path)
	require.NoError(t, err)
	var name string
	for _, ten := range f.Tensors {
		if !strings.HasPrefix(ten.Name, "generator/") {
			continue
		}
		switch d := ten.Data.(type) {
		case []float32:
			d[0], name = float32(math.NaN()), ten.Name
		case []float64:
			d[0], name = math.NaN(), ten.Name
		}
		break
	}
	require.NotEmpty(t, name)
	require.NoError(t, tensorfile.WriteFile(path, f))
	_, _, err = runIn(t, out, &poisoned{}, 10, true, 0)
	require.ErrorIs(t, err, gan.ErrNonFinite)
	require.ErrorContains(t, err, name)
	require.NotContains(t, err.Error(), "last good checkpoint")
}
