// Package atomicfile writes files so that a reader sees either the old
// content or the complete new content, never a half-written file.
//
// The data is written to a temporary file in the destination directory,
// synced to stable storage, and renamed over the destination; the
// directory is then synced so that the rename itself survives a crash.
//
// It is the bottom of gogan's package graph: it imports only the standard
// library (and gogan's internal test seam writefault, itself standard
// library only, through which tests fail or interrupt each step), and every package that writes files (data, tensorfile, images,
// monitor, training, the examples) writes them through it.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gogan/gogan/internal/writefault"
)

// Write calls fill with a writer for a temporary file beside path and, if
// fill succeeds, atomically replaces path with it. On any error the
// temporary file is removed and path is left untouched.
func Write(path string, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := writefault.Before(writefault.Create, path); err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(&writer{tmp, path}); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err = step(writefault.Sync, path, tmp.Sync); err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("atomicfile: chmod %s: %w", path, err)
	}
	if err = step(writefault.Close, path, tmp.Close); err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", path, err)
	}
	if err = step(writefault.Rename, path, func() error { return os.Rename(tmp.Name(), path) }); err != nil {
		return fmt.Errorf("atomicfile: rename into %s: %w", path, err)
	}
	if writefault.Before(writefault.SyncDir, path) != nil {
		return nil // best effort, as below
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: not every file system supports syncing a directory
		d.Close()
	}
	return nil
}

// step runs the hook of op on path, then do if the hook let it.
func step(op writefault.Op, path string, do func() error) error {
	if err := writefault.Before(op, path); err != nil {
		return err
	}
	return do()
}

// writer is the temporary file as fill sees it: each write goes through
// the hook of the destination path.
type writer struct {
	f    *os.File
	path string
}

func (w *writer) Write(p []byte) (int, error) {
	if err := writefault.Before(writefault.Write, w.path); err != nil {
		return 0, err
	}
	if len(p) < 2 || !writefault.Active() {
		return w.f.Write(p)
	}
	// Under test, in two halves, so that the hook can stop a write half
	// way through.
	n, err := w.f.Write(p[:len(p)/2])
	if err != nil {
		return n, err
	}
	if err := writefault.Before(writefault.Midway, w.path); err != nil {
		return n, err
	}
	m, err := w.f.Write(p[len(p)/2:])
	return n + m, err
}

// WriteFile atomically replaces path with data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// IsTemp reports whether name (a file name, not a path) is that of a
// temporary file Write creates: ".NAME.tmp-*".
func IsTemp(name string) bool {
	i := strings.LastIndex(name, ".tmp-")
	return strings.HasPrefix(name, ".") && i > 1 && i+len(".tmp-") < len(name)
}

// CleanTemp removes the temporary files that Write left in dir when its
// process died before renaming them (a crash, kill -9) and returns their
// names. Only call it when no other process writes into dir: a live
// writer's temporary file would be removed too.
func CleanTemp(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: clean %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return removed, fmt.Errorf("atomicfile: clean %s: %w", dir, err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}
