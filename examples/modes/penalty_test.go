package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWGANGPVariantAndPenaltyFlag(t *testing.T) {
	out := t.TempDir()
	o, err := parseFlags([]string{"-steps", "3", "-seeds", "1", "-batch", "16", "-samples", "100",
		"-variants", "wgan-gp,plain", "-data", "grid", "-penalty", "r1:1", "-out", out}, io.Discard)
	require.NoError(t, err)
	var log bytes.Buffer
	require.NoError(t, run(context.Background(), o, &log))
	table, err := os.ReadFile(filepath.Join(out, "table.md"))
	require.NoError(t, err)
	require.Contains(t, string(table), "the penalty r1:1")
	require.Contains(t, string(table), "| grid | wgan-gp | ")
	_, err = parseFlags([]string{"-penalty", "r9"}, io.Discard)
	require.ErrorContains(t, err, `unknown penalty "r9"`)
}
