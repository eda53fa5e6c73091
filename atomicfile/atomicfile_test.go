package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.bin")
	require.NoError(t, WriteFile(path, []byte("old content")))
	require.NoError(t, WriteFile(path, []byte("new")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new", string(got))
}

func TestFailedWriteKeepsOldFileAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	require.NoError(t, WriteFile(path, []byte("precious")))
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "precious", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary file left behind")
}

// TestCleanTempRemovesOrphans: the temporary files a killed writer left
// are removed, and nothing else.
func TestCleanTempRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFile(filepath.Join(dir, "checkpoint.gogan"), []byte("good")))
	for _, name := range []string{".checkpoint.gogan.tmp-123", ".stats.csv.tmp-9", ".keep", "a.tmp-1", ".x.tmp-"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	removed, err := CleanTemp(dir)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{".checkpoint.gogan.tmp-123", ".stats.csv.tmp-9"}, removed)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	require.ElementsMatch(t, []string{"checkpoint.gogan", ".keep", "a.tmp-1", ".x.tmp-"}, left)
}
