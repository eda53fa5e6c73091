package gpu

// A Buffer is a device allocation of float32 elements.
type Buffer interface {
	// Len is the number of float32 elements.
	Len() int
}

// A Device runs the kernels of the catalogue and matrix products on
// buffers in its own memory. Launches and products may be queued: they
// run in the order they were issued, and Download and Sync wait for all
// of them. A Device is not safe for concurrent use.
type Device interface {
	// Name describes the device, e.g. "host (reference kernels)" or
	// "cuda:0 (NVIDIA H200, 139.8 GiB)".
	Name() string
	// Alloc returns a buffer of n float32 elements (n ≥ 1), zeroed.
	Alloc(n int) (Buffer, error)
	// Free releases b.
	Free(b Buffer) error
	// Upload copies src to dst.Buf starting at element dst.Off.
	Upload(dst Ptr, src []float32) error
	// Download copies len(dst) elements from src into dst, after every
	// queued launch has finished.
	Download(dst []float32, src Ptr) error
	// Launch queues kernel k with arguments p.
	Launch(k Kernel, p *Params) error
	// Gemm queues a matrix product.
	Gemm(g *GemmArgs) error
	// Sync waits for every queued launch and reports the first error.
	Sync() error
	// Close releases the device and every buffer still allocated.
	Close() error
}
