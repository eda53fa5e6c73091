// Package emu runs the CUDA C kernels of gpu/kernels/kernels.cu on the
// CPU, so that their tests need no GPU: emu.cc compiles the very same
// kernels.cu as C++20 (with gpu/kernels/host.h in place of the CUDA
// headers) and launches a grid block by block, each block either on real
// threads, one per CUDA thread, with __syncthreads() a barrier, or, for
// kernels that never synchronise, thread by thread on the caller's thread.
//
// Kernel arguments are passed in Params, the kernels' 160-byte argument
// block; the "device pointers" in it are host addresses of memory from
// Alloc. The emulator needs cgo (and a C++20 compiler); without cgo,
// Available is false and every function returns ErrNoCgo.
//
// The package's tests compare every kernel with the Go reference kernels
// of package gpu's Host device.
package emu

import "errors"

// ErrNoCgo is returned by every function of a build without cgo.
var ErrNoCgo = errors.New("emu: the CUDA C emulator needs cgo (CGO_ENABLED=1 and a C++20 compiler)")

// Params is the argument block of a kernel launch in the layout of
// kernels.cu's struct Params: 8 pointers (addresses from Mem.Addr), 16
// int32 and 8 float32, 160 bytes in all.
type Params struct {
	P [8]uintptr
	I [16]int32
	F [8]float32
}
