//go:build !unix

package training

import "os"

// lockDir is a no-op where flock is not available (Windows and others):
// there, nothing stops two runs from sharing a folder.
func lockDir(dir string) (*os.File, error) { return nil, nil }

func unlockDir(f *os.File) error { return nil }
