// Package atomicfile writes files so that a reader sees either the old
// content or the complete new content, never a half-written file.
//
// The data is written to a temporary file in the destination directory,
// synced to stable storage, and renamed over the destination; the
// directory is then synced so that the rename itself survives a crash.
//
// It is the bottom of gogan's package graph: it imports only the standard
// library, and every package that writes files (data, tensorfile, images,
// monitor, training, the examples) writes them through it.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write calls fill with a writer for a temporary file beside path and, if
// fill succeeds, atomically replaces path with it. On any error the
// temporary file is removed and path is left untouched.
func Write(path string, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
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
	if err = fill(tmp); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("atomicfile: chmod %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("atomicfile: rename into %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: not every file system supports syncing a directory
		d.Close()
	}
	return nil
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
