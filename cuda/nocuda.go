//go:build !cuda

package cuda

// Runtime is a CUDA driver and cuBLAS bound to one device. Without the
// cuda build tag it cannot be opened.
type Runtime struct{}

// Open returns ErrNotBuilt: the program was built without the cuda tag.
func Open(device int) (*Runtime, error) { return nil, ErrNotBuilt }

// Devices returns ErrNotBuilt: the program was built without the cuda tag.
func Devices() ([]Device, error) { return nil, ErrNotBuilt }

// Device returns the zero Device.
func (r *Runtime) Device() Device { return Device{} }

// Close does nothing.
func (r *Runtime) Close() error { return nil }

// Sgemm returns ErrNotBuilt.
func (r *Runtime) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return ErrNotBuilt
}
