package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestResumeFromAnotherDirectoryFindsTheData: a relative -data is
// recorded as an absolute path, so -resume from another working
// directory reads the same images.
func TestResumeFromAnotherDirectoryFindsTheData(t *testing.T) {
	base := t.TempDir()
	imgs, elsewhere := filepath.Join(base, "imgs"), filepath.Join(base, "elsewhere")
	require.NoError(t, os.MkdirAll(imgs, 0o755))
	require.NoError(t, os.MkdirAll(elsewhere, 0o755))
	writePNGs(t, imgs, 6)
	out := filepath.Join(base, "run")
	t.Chdir(base)
	c, err := parseFlags([]string{"-data", "imgs", "-size", "16", "-steps", "2", "-batch", "4", "-out", out}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))
	var saved config
	require.NoError(t, training.ReadConfig(filepath.Join(out, training.CheckpointFile), &saved))
	require.Equal(t, imgs, saved.Data)

	t.Chdir(elsewhere)
	c, err = parseFlags([]string{"-resume", out, "-steps", "3"}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))
}
