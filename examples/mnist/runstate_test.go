package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestResumeFromAnotherDirectoryFindsTheData: a run started without
// -data reads the default folder ../shared/data/mnist10k, relative to the
// working directory; its checkpoint records that folder's absolute path,
// so -resume from another working directory reads the same digits
// instead of looking for MNIST elsewhere.
func TestResumeFromAnotherDirectoryFindsTheData(t *testing.T) {
	base := t.TempDir()
	work, elsewhere := filepath.Join(base, "work"), filepath.Join(base, "elsewhere")
	shared := filepath.Join(base, "shared", "data", "mnist10k")
	for _, d := range []string{work, elsewhere, filepath.Dir(shared)} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.Rename(writeDigits(t, 20), shared))
	out := filepath.Join(base, "run")

	t.Chdir(work)
	c := smallRun("", out, 4)
	require.NoError(t, run(context.Background(), c, io.Discard))
	var saved config
	require.NoError(t, training.ReadConfig(filepath.Join(out, training.CheckpointFile), &saved))
	require.Equal(t, shared, saved.Data, "the checkpoint does not record the data folder the run read")

	t.Chdir(elsewhere)
	resume, err := parseFlags([]string{"-resume", out, "-steps", "6"}, io.Discard)
	require.NoError(t, err)
	var log bytes.Buffer
	require.NoError(t, run(context.Background(), resume, &log))
	require.NotContains(t, log.String(), "from the cache")
	require.Len(t, readStats(t, filepath.Join(out, training.StatsFile)), 6)
}

// TestResumeBeforeTheFirstCheckpoint: -resume of a run killed before its
// first checkpoint says so and how to start anew.
func TestResumeBeforeTheFirstCheckpoint(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, training.StatsFile), []byte("step\n"), 0o644))
	c, err := parseFlags([]string{"-resume", out}, io.Discard)
	require.NoError(t, err)
	err = run(context.Background(), c, io.Discard)
	require.ErrorIs(t, err, training.ErrNoCheckpoint)
	require.ErrorContains(t, err, "the run stopped before its first checkpoint; start it anew (with -overwrite)")
}
