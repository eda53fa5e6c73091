package training

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gogan/gogan/atomicfile"
)

// LockFile is the file in a run folder that a RunDir locks for the run's
// life; it holds the process ID of the holder.
const LockFile = ".gogan.lock"

// ErrRunExists is wrapped by the error of Claim when a new run is asked
// for in a folder that already holds one.
var ErrRunExists = errors.New("training: the folder already holds a run")

// ErrLocked is wrapped by the error of Claim when another process holds
// the folder's lock.
var ErrLocked = errors.New("training: the run folder is in use")

// ClaimMode tells Claim what the run does with its folder.
type ClaimMode int

const (
	// NewRun starts a run in a folder that holds none (missing or empty,
	// the lock file aside); a folder holding anything else is refused
	// with ErrRunExists and left untouched.
	NewRun ClaimMode = iota
	// ResumeRun continues the run in an existing folder.
	ResumeRun
	// Overwrite starts a new run, first moving a folder that holds one
	// aside to DIR.old-<time> (never deleting it).
	Overwrite
)

// RunDir is a run folder claimed by this process for the life of its run
// (see Claim). Release it when the run is over.
type RunDir struct {
	// Dir is the run folder.
	Dir string
	// Aside is where Overwrite moved the old run ("" if it moved none).
	Aside string
	// Cleaned are the names of the temporary files of interrupted atomic
	// writes (a process killed while saving) that Claim removed.
	Cleaned []string

	lock *os.File
}

// Claim takes the run folder dir for a run: it takes an exclusive lock
// on dir's LockFile (on unix, with flock; it writes this process's ID in
// it) so that no other run can use dir until Release, failing with
// ErrLocked, naming the holder's process ID, when another process holds
// it; it then removes the temporary files that an interrupted save left
// behind. The lock ends with the process, so a killed run leaves no
// stale lock. Elsewhere than unix there is no lock.
//
// A NewRun refuses a folder that holds a run (anything but the lock
// file), and Overwrite moves it aside first, under its lock. Claim is the
// first thing of a run to write into dir (the lock file aside), so call
// it once everything else of the run (its data, flags and networks) has
// been checked: a run that fails before Claim leaves the folder as it
// was. A ResumeRun needs dir to exist.
func Claim(dir string, mode ClaimMode) (*RunDir, error) {
	r := &RunDir{Dir: dir}
	switch mode {
	case NewRun, Overwrite:
		var err error
		if r.lock, err = lockExisting(dir); err != nil {
			return nil, err
		}
		held, err := holdsRun(dir)
		if err == nil && len(held) > 0 {
			if mode == NewRun {
				err = runExists(dir, held)
			} else if r.Aside, err = moveAside(dir); err == nil {
				r.Release() // the old run's lock, which moved with it
			}
		}
		if err == nil && r.lock == nil {
			if err = os.MkdirAll(dir, 0o755); err != nil {
				err = fmt.Errorf("training: create run directory: %w", err)
			} else if r.lock, err = lockDir(dir); err == nil {
				// Another run may have taken the folder meanwhile.
				if held, err = holdsRun(dir); err == nil && len(held) > 0 {
					err = runExists(dir, held)
				}
			}
		}
		if err != nil {
			r.Release()
			return nil, err
		}
	case ResumeRun:
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("resume: %s is not a directory", dir)
		}
		if r.lock, err = lockDir(dir); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("training: unknown ClaimMode %d", mode)
	}
	cleaned, err := atomicfile.CleanTemp(dir)
	if err != nil {
		r.Release()
		return nil, err
	}
	r.Cleaned = cleaned
	return r, nil
}

// lockExisting locks dir if it is an existing directory (nil if it does
// not exist).
func lockExisting(dir string) (*os.File, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("training: run folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("training: run folder %s is not a directory", dir)
	}
	return lockDir(dir)
}

// Release unlocks the folder. It may be called more than once.
func (r *RunDir) Release() error {
	if r == nil || r.lock == nil {
		return nil
	}
	err := unlockDir(r.lock)
	r.lock = nil
	return err
}

func runExists(dir string, held []string) error {
	if len(held) > 4 {
		held = append(held[:4:4], "…")
	}
	return fmt.Errorf("%w: %s holds %s", ErrRunExists, dir, strings.Join(held, ", "))
}

// holdsRun returns the names of the entries of dir other than its lock
// file (none if dir does not exist): the run, or whatever else, it holds.
func holdsRun(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("training: run folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != LockFile {
			names = append(names, e.Name())
		}
	}
	// The files that make a run first, so that an error names them.
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	return names, nil
}

func rank(name string) int {
	switch name {
	case CheckpointFile, StatsFile, ModelFile, RunFile:
		return 0
	}
	return 1
}

// moveAside renames dir, which holds a run and whose lock the caller
// holds, to dir.old-<time> (with a suffix if that exists).
func moveAside(dir string) (string, error) {
	clean := filepath.Clean(dir)
	base := clean + ".old-" + time.Now().Format("20060102-150405")
	aside := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(clean, aside); err != nil {
		return "", fmt.Errorf("training: move the old run aside: %w", err)
	}
	return aside, nil
}
