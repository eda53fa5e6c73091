//go:build !cgo

package emu

// Available reports whether the emulator is built in (it is not without
// cgo).
const Available = false

// Mem is float32 memory for the kernels; without cgo there is none.
type Mem struct{}

// Alloc returns ErrNoCgo.
func Alloc(n int) (*Mem, error) { return nil, ErrNoCgo }

// Floats returns nil.
func (m *Mem) Floats() []float32 { return nil }

// Addr returns 0.
func (m *Mem) Addr(off int) uintptr { return 0 }

// Free does nothing.
func (m *Mem) Free() {}

// ParamsSize returns 0.
func ParamsSize() int { return 0 }

// SourcesSHA256 returns "".
func SourcesSHA256() string { return "" }

// Launch returns ErrNoCgo.
func Launch(name string, grid, block int, p *Params, threaded bool) error { return ErrNoCgo }
