package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/stretchr/testify/require"
)

// A folder beyond the memory limit and a batch beyond memory are refused
// before training, with errors that say what they need and what to change,
// and before -out is touched.
func TestDataAndBatchCheckedBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	writePNGs(t, dir, 6)
	old := data.MaxBytes
	t.Cleanup(func() { data.MaxBytes = old })
	for _, tc := range []struct {
		limit int64
		args  []string
		want  []string
	}{
		{4 * 3 * 16 * 16, []string{"-size", "16"}, []string{
			"loading 6 images of 3×16×16 needs 4.5 KiB, more than the data memory limit of 3 KiB",
			"-limit N loads only the first N images",
		}},
		{1 << 20, []string{"-size", "64", "-batch", "6"}, []string{"-batch 6: gan: training with a batch of 6 needs", "; or lower the batch size"}},
	} {
		data.MaxBytes = tc.limit
		out := filepath.Join(t.TempDir(), "run")
		c, err := parseFlags(append([]string{"-data", dir, "-steps", "1", "-out", out}, tc.args...), io.Discard)
		require.NoError(t, err)
		err = run(context.Background(), c, io.Discard)
		for _, w := range tc.want {
			require.ErrorContains(t, err, w)
		}
		_, err = os.Stat(out)
		require.True(t, os.IsNotExist(err), "-out was touched")
	}
}
