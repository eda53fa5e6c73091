//go:build !cu

package cuda

import "unsafe"

// Runtime is a CUDA driver and cuBLAS bound to one device. Without the
// cu build tag it cannot be opened.
type Runtime struct{}

// Ctx is a Runtime whose context is current, inside Runtime.Do. Without
// the cu build tag there is none.
type Ctx struct{}

// A Module is a loaded CUDA module. Without the cu build tag none loads.
type Module struct{}

// A Function is a kernel of a Module.
type Function struct{}

// Name returns "".
func (f Function) Name() string { return "" }

// Open returns ErrNotBuilt: the program was built without the cu tag.
func Open(device int) (*Runtime, error) { return nil, ErrNotBuilt }

// Devices returns ErrNotBuilt: the program was built without the cu tag.
func Devices() ([]Device, error) { return nil, ErrNotBuilt }

// DriverVersion returns ErrNotBuilt: the program was built without the cu
// tag.
func DriverVersion() (Version, error) { return 0, ErrNotBuilt }

// Device returns the zero Device.
func (r *Runtime) Device() Device { return Device{} }

// Close does nothing.
func (r *Runtime) Close() error { return nil }

// Do returns ErrNotBuilt.
func (r *Runtime) Do(fn func(c *Ctx) error) error { return ErrNotBuilt }

// Alloc returns ErrNotBuilt.
func (r *Runtime) Alloc(bytes int) (DevPtr, error) { return 0, ErrNotBuilt }

// Free returns ErrNotBuilt.
func (r *Runtime) Free(p DevPtr) error { return ErrNotBuilt }

// CopyHtoD returns ErrNotBuilt.
func (r *Runtime) CopyHtoD(dst DevPtr, src []float32) error { return ErrNotBuilt }

// CopyDtoH returns ErrNotBuilt.
func (r *Runtime) CopyDtoH(dst []float32, src DevPtr) error { return ErrNotBuilt }

// CopyDtoD returns ErrNotBuilt.
func (r *Runtime) CopyDtoD(dst, src DevPtr, bytes int) error { return ErrNotBuilt }

// Memset32 returns ErrNotBuilt.
func (r *Runtime) Memset32(dst DevPtr, value uint32, n int) error { return ErrNotBuilt }

// Synchronize returns ErrNotBuilt.
func (r *Runtime) Synchronize() error { return ErrNotBuilt }

// MemInfo returns ErrNotBuilt.
func (r *Runtime) MemInfo() (free, total uint64, err error) { return 0, 0, ErrNotBuilt }

// LoadModule returns ErrNotBuilt.
func (r *Runtime) LoadModule(image []byte) (*Module, error) { return nil, ErrNotBuilt }

// Function returns ErrNotBuilt.
func (m *Module) Function(name string) (Function, error) { return Function{}, ErrNotBuilt }

// Unload does nothing.
func (m *Module) Unload() error { return nil }

// Launch returns ErrNotBuilt.
func (r *Runtime) Launch(f Function, gridX, blockX, sharedBytes int, params unsafe.Pointer) error {
	return ErrNotBuilt
}

// SgemmDevice returns ErrNotBuilt.
func (r *Runtime) SgemmDevice(transA, transB bool, m, n, k int, alpha float32, a DevPtr, lda int, b DevPtr, ldb int, beta float32, c DevPtr, ldc int) error {
	return ErrNotBuilt
}

// Sgemm returns ErrNotBuilt.
func (r *Runtime) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return ErrNotBuilt
}
