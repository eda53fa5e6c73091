//go:build unix

package training

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockDir takes an exclusive flock on dir's LockFile, without waiting,
// and writes this process's ID in it. The lock ends with the process, so
// a killed run never leaves its folder locked.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("training: lock run folder: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := "another process"
		if b, rerr := io.ReadAll(io.LimitReader(f, 32)); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf("process %d", pid)
			}
		}
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked by %s, still running there (lock file %s)", ErrLocked, dir, holder, path)
		}
		return nil, fmt.Errorf("training: lock %s: %w", path, err)
	}
	// The holder's ID is for the error of a run that finds the folder
	// locked: best effort, the lock itself is what counts.
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// unlockDir clears the holder's process ID and releases the lock.
func unlockDir(f *os.File) error {
	f.Truncate(0)
	return f.Close() // closing the only descriptor releases the flock
}
