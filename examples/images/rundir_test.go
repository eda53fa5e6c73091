package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNewRunKeepsAnExistingRun: a new run into a folder that holds a run
// changes nothing there, whether it fails its checks (a batch larger than
// the data) or would train; -overwrite moves the old run aside.
func TestNewRunKeepsAnExistingRun(t *testing.T) {
	dir, tiny := t.TempDir(), t.TempDir()
	writePNGs(t, dir, 6)
	writePNGs(t, tiny, 2)
	out := filepath.Join(t.TempDir(), "run")
	files := func(dir string) map[string]string {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		m := map[string]string{}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			m[e.Name()] = string(b)
		}
		return m
	}
	runArgs := func(args ...string) error {
		c, err := parseFlags(args, io.Discard)
		require.NoError(t, err)
		return run(context.Background(), c, io.Discard)
	}
	require.NoError(t, runArgs("-data", dir, "-size", "16", "-steps", "2", "-batch", "4", "-out", out))
	before := files(out)
	require.ErrorContains(t, runArgs("-data", tiny, "-size", "16", "-steps", "2", "-batch", "4", "-out", out), "fewer than one batch")
	require.Equal(t, before, files(out))
	require.ErrorContains(t, runArgs("-data", dir, "-size", "16", "-steps", "2", "-batch", "4", "-out", out), "-resume "+out)
	require.Equal(t, before, files(out))

	require.NoError(t, runArgs("-data", dir, "-size", "16", "-steps", "1", "-batch", "4", "-out", out, "-overwrite"))
	aside, err := filepath.Glob(out + ".old-*")
	require.NoError(t, err)
	require.Len(t, aside, 1)
	require.Equal(t, before, files(aside[0]))
}
