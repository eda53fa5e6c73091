package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/internal/writefault"
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

// TestInjectedFaultsKeepTheGoodFile fails each step of a write in turn
// (the first, then the second write into the temporary file, the sync,
// the close, the rename) through the writefault seam: every time the
// error is reported naming the step and the file, the previous content
// is intact and no temporary file is left.
func TestInjectedFaultsKeepTheGoodFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	require.NoError(t, WriteFile(path, []byte("good")))
	cases := []struct {
		op   writefault.Op
		nth  int
		want string
	}{
		{writefault.Create, 1, "create temporary file"},
		{writefault.Write, 1, "write"},
		{writefault.Write, 2, "write"},
		{writefault.Midway, 2, "write"},
		{writefault.Sync, 1, "sync"},
		{writefault.Close, 1, "close"},
		{writefault.Rename, 1, "rename"},
	}
	for _, c := range cases {
		boom := fmt.Errorf("injected %v #%d", c.op, c.nth)
		n := 0
		restore := writefault.Set(func(op writefault.Op, p string) error {
			require.Equal(t, path, p)
			if op == c.op {
				if n++; n == c.nth {
					return boom
				}
			}
			return nil
		})
		err := Write(path, func(w io.Writer) error {
			for _, part := range []string{"new ", "content"} {
				if _, err := w.Write([]byte(part)); err != nil {
					return err
				}
			}
			return nil
		})
		restore()
		require.ErrorIs(t, err, boom, "%v #%d", c.op, c.nth)
		require.ErrorContains(t, err, c.want)
		require.ErrorContains(t, err, path)
		got, rerr := os.ReadFile(path)
		require.NoError(t, rerr)
		require.Equal(t, "good", string(got), "a failed %v replaced the file", c.op)
		entries, rerr := os.ReadDir(dir)
		require.NoError(t, rerr)
		require.Len(t, entries, 1, "temporary file left after a failed %v", c.op)
	}
	// A failed directory sync comes after the rename: the new content is
	// in place and, being best effort, it is not an error.
	restore := writefault.Set(func(op writefault.Op, _ string) error {
		if op == writefault.SyncDir {
			return errors.New("no dir sync")
		}
		return nil
	})
	defer restore()
	require.NoError(t, WriteFile(path, []byte("new")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new", string(got))
}
