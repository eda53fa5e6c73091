//go:build cgo

package emu

/*
#cgo CXXFLAGS: -std=c++20 -O2
#cgo LDFLAGS: -pthread
#include <stdlib.h>
int emu_launch(const char *name, int grid, int block, const void *params, int threaded);
int emu_params_size(void);
const char *emu_sources_sha256(void);
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Available reports whether the emulator is built in (it is with cgo).
const Available = true

// Mem is float32 memory allocated by C, so that its address can be given
// to the kernels.
type Mem struct {
	p unsafe.Pointer
	n int
}

// Alloc returns n zeroed float32 elements (n ≥ 1) of C memory; Free
// releases them.
func Alloc(n int) (*Mem, error) {
	if n < 1 {
		return nil, fmt.Errorf("emu: Alloc(%d): size must be at least 1", n)
	}
	p := C.calloc(C.size_t(n), 4)
	if p == nil {
		return nil, fmt.Errorf("emu: Alloc(%d): out of memory", n)
	}
	return &Mem{p: p, n: n}, nil
}

// Floats returns m's elements as a slice (valid until Free).
func (m *Mem) Floats() []float32 { return unsafe.Slice((*float32)(m.p), m.n) }

// Addr returns the address of element off of m, for Params.P.
func (m *Mem) Addr(off int) uintptr { return uintptr(m.p) + 4*uintptr(off) }

// Free releases m.
func (m *Mem) Free() {
	if m.p != nil {
		C.free(m.p)
		m.p, m.n = nil, 0
	}
}

// ParamsSize returns the size of the C struct Params (160).
func ParamsSize() int { return int(C.emu_params_size()) }

// SourcesSHA256 returns the hash of kernels.cu, device.h and host.h that
// build.sh stamped into stamp.h when it last ran: the sources compiled in,
// if stamp.h is up to date.
func SourcesSHA256() string { return C.GoString(C.emu_sources_sha256()) }

// Launch runs the kernel name over grid blocks of block threads with
// arguments p, on real threads per block if threaded (needed by the
// kernels that call __syncthreads), else thread by thread. Launches are
// serialised.
func Launch(name string, grid, block int, p *Params, threaded bool) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	th := C.int(0)
	if threaded {
		th = 1
	}
	switch rc := C.emu_launch(cname, C.int(grid), C.int(block), unsafe.Pointer(p), th); rc {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("emu: unknown kernel %q", name)
	case -2:
		return fmt.Errorf("emu: %s: bad launch shape: %d blocks of %d threads", name, grid, block)
	case -3:
		return fmt.Errorf("emu: %s called __syncthreads() in a sequential launch (launch it threaded)", name)
	default:
		return fmt.Errorf("emu: %s: launch failed (%d)", name, int(rc))
	}
}
