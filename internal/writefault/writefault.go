// Package writefault is the test seam of gogan's file writes: a hook
// called before each file-system operation of atomicfile.Write (and of
// the appends to a run's stats file), with which tests make the Nth
// write, sync or rename fail, or kill the process in the middle of
// writing a file. Without a hook (always, outside tests) every call is a
// no-op. It is internal: only gogan's own packages and tests use it.
package writefault

import (
	"sync"
)

// Op is one file-system operation of a write.
type Op int

// The operations a hook is told about, in the order atomicfile.Write
// does them: Create (the temporary file), Write (each write into it,
// any number of times) and, while a hook is set, Midway (half of that
// write's bytes are in the file), Sync, Close, Rename (over the
// destination), then SyncDir (the directory); Append is a write appended
// to an existing file in place (a run's stats.csv).
const (
	Create Op = iota
	Write
	Sync
	Close
	Rename
	SyncDir
	Append
	Midway
)

var opNames = [...]string{"create", "write", "sync", "close", "rename", "syncdir", "append", "midway"}

// String returns the operation's name, e.g. "rename".
func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Hook is called before an operation on the file path (the destination,
// not the temporary file); a non-nil error makes the operation fail with
// it, as if the file system had refused.
type Hook func(op Op, path string) error

var (
	mu   sync.Mutex
	hook Hook
)

// Set installs h (nil: none) and returns a function that restores the
// hook it replaced.
func Set(h Hook) (restore func()) {
	mu.Lock()
	old := hook
	hook = h
	mu.Unlock()
	return func() {
		mu.Lock()
		hook = old
		mu.Unlock()
	}
}

// Active reports whether a hook is set.
func Active() bool {
	mu.Lock()
	defer mu.Unlock()
	return hook != nil
}

// Before calls the hook, if any, for op on path and returns its error.
func Before(op Op, path string) error {
	mu.Lock()
	h := hook
	mu.Unlock()
	if h == nil {
		return nil
	}
	return h(op, path)
}
