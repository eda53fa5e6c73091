//go:build cu

package gpu

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"github.com/gogan/gogan/cuda"
)

// cParams is Params as the CUDA kernels take it, by value:
// struct Params { float* p[8]; int i[16]; float f[8]; } (160 bytes, no
// padding: 64 + 64 + 32).
type cParams struct {
	P [MaxPtrs]uint64
	I [MaxInts]int32
	F [MaxFloats]float32
}

// The C layout, checked at compile time: the size is 160 bytes, and the
// offsets are those of the C struct.
var (
	_ [unsafe.Sizeof(cParams{}) - 160]byte
	_ [160 - unsafe.Sizeof(cParams{})]byte
	_ [unsafe.Offsetof(cParams{}.I) - 64]byte
	_ [64 - unsafe.Offsetof(cParams{}.I)]byte
	_ [unsafe.Offsetof(cParams{}.F) - 128]byte
	_ [128 - unsafe.Offsetof(cParams{}.F)]byte
)

// cudaDevice is the Device of OpenCUDA: buffers in the GPU's memory, the
// catalogue's kernels from the embedded PTX, products by cuBLAS. Work is
// queued on the default stream, in issue order; Download and Sync wait.
type cudaDevice struct {
	rt   *cuda.Runtime
	mod  *cuda.Module
	fns  [numKernels]cuda.Function
	name string
	bufs map[*cudaBuffer]struct{}
	// args is the one Params struct that every launch passes (the driver
	// copies it at cuLaunchKernel), a heap object pinned while the device
	// is open, so that a launch allocates nothing for it.
	args *cParams
	pin  runtime.Pinner
	// last is the last kernel launched, named by the error of a later
	// synchronisation (a kernel's fault shows there).
	last     Kernel
	launched bool
	closed   bool
}

// cudaBuffer is a cudaDevice allocation of n float32 elements at ptr.
type cudaBuffer struct {
	ptr   cuda.DevPtr
	n     int
	owner *cudaDevice
	freed bool
}

// Len returns the number of float32 elements of b (0 once freed).
func (b *cudaBuffer) Len() int {
	if b.freed {
		return 0
	}
	return b.n
}

var _ Device = (*cudaDevice)(nil)

// OpenCUDA opens CUDA device ordinal (as in "cuda:0"): it binds the
// driver and cuBLAS (package cuda), has the driver compile the embedded
// PTX of the kernels (the JIT log is in the error if it fails), and checks
// that every kernel of the catalogue is there. Its error wraps
// cuda.ErrNoDriver on a machine without the NVIDIA driver (and
// cuda.ErrNoDevice where the driver finds no GPU).
func OpenCUDA(ordinal int) (Device, error) {
	rt, err := cuda.Open(ordinal)
	if err != nil {
		return nil, fmt.Errorf("gpu: cuda:%d: %w", ordinal, err)
	}
	ver, err := cuda.DriverVersion()
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("gpu: cuda:%d: %w", ordinal, err)
	}
	info := rt.Device()
	d := &cudaDevice{
		rt:   rt,
		name: fmt.Sprintf("cuda:%d (%s, %.1f GiB, driver %v)", info.Index, info.Name, float64(info.Memory)/(1<<30), ver),
		bufs: make(map[*cudaBuffer]struct{}),
		args: new(cParams),
	}
	if len(PTX) == 0 {
		rt.Close()
		return nil, fmt.Errorf("gpu: %s: the embedded PTX (kernels/kernels.ptx) is empty: run go generate ./gpu", d.name)
	}
	if d.mod, err = rt.LoadModule(PTX); err != nil {
		rt.Close()
		return nil, fmt.Errorf("gpu: %s: loading the kernels' PTX: %w", d.name, err)
	}
	var missing []string
	for _, k := range Kernels() {
		if d.fns[k], err = d.mod.Function(k.Info().Name); err != nil {
			missing = append(missing, k.Info().Name)
		}
	}
	if len(missing) > 0 {
		d.mod.Unload()
		rt.Close()
		return nil, fmt.Errorf("gpu: %s: the embedded PTX lacks the kernels %s (is kernels/kernels.ptx stale? run go generate ./gpu)",
			d.name, strings.Join(missing, ", "))
	}
	d.pin.Pin(d.args)
	return d, nil
}

// Name describes the device, e.g.
// "cuda:0 (NVIDIA H200, 139.8 GiB, driver 13.0)".
func (d *cudaDevice) Name() string { return d.name }

// errorf returns an error that names the device.
func (d *cudaDevice) errorf(format string, args ...any) error {
	return fmt.Errorf("gpu: %s: %s", d.name, fmt.Sprintf(format, args...))
}

// wrap returns err, from the CUDA call that what describes, naming the
// device and, for asynchronous errors, the last kernel launched.
func (d *cudaDevice) wrap(what string, err error) error {
	if d.launched {
		return fmt.Errorf("gpu: %s: %s (the last kernel queued was %v): %w", d.name, what, d.last, err)
	}
	return fmt.Errorf("gpu: %s: %s: %w", d.name, what, err)
}

var errCUDAClosed = errors.New("gpu: cuda: device is closed")

// Alloc returns a zeroed buffer of n float32 elements (n ≥ 1).
func (d *cudaDevice) Alloc(n int) (Buffer, error) {
	if d.closed {
		return nil, errCUDAClosed
	}
	if n < 1 {
		return nil, d.errorf("Alloc(%d): size must be at least 1", n)
	}
	if n > (1<<62)/4 {
		return nil, d.errorf("Alloc(%d): too large", n)
	}
	p, err := d.rt.Alloc(4 * n)
	if err != nil {
		return nil, d.wrap(fmt.Sprintf("Alloc(%d)", n), err)
	}
	if err := d.rt.Memset32(p, 0, n); err != nil {
		d.rt.Free(p)
		return nil, d.wrap(fmt.Sprintf("Alloc(%d): clearing", n), err)
	}
	b := &cudaBuffer{ptr: p, n: n, owner: d}
	d.bufs[b] = struct{}{}
	return b, nil
}

// buffer returns b as one of d's live buffers.
func (d *cudaDevice) buffer(b Buffer) (*cudaBuffer, error) {
	if d.closed {
		return nil, errCUDAClosed
	}
	if b == nil {
		return nil, d.errorf("nil buffer")
	}
	cb, ok := b.(*cudaBuffer)
	if !ok || cb == nil {
		return nil, d.errorf("buffer of type %T is not a CUDA buffer", b)
	}
	if cb.owner != d {
		return nil, d.errorf("buffer belongs to another device")
	}
	if cb.freed {
		return nil, d.errorf("buffer used after Free")
	}
	return cb, nil
}

// addr returns the device address of p and the number of elements from
// p.Off to the end of its buffer.
func (d *cudaDevice) addr(p Ptr) (cuda.DevPtr, int, error) {
	b, err := d.buffer(p.Buf)
	if err != nil {
		return 0, 0, err
	}
	if p.Off < 0 || p.Off > b.n {
		return 0, 0, d.errorf("offset %d outside a buffer of %d elements", p.Off, b.n)
	}
	return b.ptr + cuda.DevPtr(4*p.Off), b.n - p.Off, nil
}

// Free releases b. Freeing a buffer twice is an error.
func (d *cudaDevice) Free(b Buffer) error {
	cb, err := d.buffer(b)
	if err != nil {
		return fmt.Errorf("%w (Free)", err)
	}
	cb.freed = true
	delete(d.bufs, cb)
	if err := d.rt.Free(cb.ptr); err != nil {
		return d.wrap("Free", err)
	}
	return nil
}

// Upload copies src to dst.Buf starting at element dst.Off, after the
// queued work (which may still read the buffer) has finished.
func (d *cudaDevice) Upload(dst Ptr, src []float32) error {
	p, room, err := d.addr(dst)
	if err != nil {
		return fmt.Errorf("%w (Upload)", err)
	}
	if len(src) > room {
		return d.errorf("Upload of %d elements at offset %d overruns a buffer of %d elements", len(src), dst.Off, dst.Off+room)
	}
	if err := d.rt.CopyHtoD(p, src); err != nil {
		return d.wrap(fmt.Sprintf("Upload of %d elements", len(src)), err)
	}
	return nil
}

// Download copies len(dst) elements from src into dst, after every queued
// launch has finished.
func (d *cudaDevice) Download(dst []float32, src Ptr) error {
	p, room, err := d.addr(src)
	if err != nil {
		return fmt.Errorf("%w (Download)", err)
	}
	if len(dst) > room {
		return d.errorf("Download of %d elements at offset %d overruns a buffer of %d elements", len(dst), src.Off, src.Off+room)
	}
	if err := d.Sync(); err != nil {
		return err
	}
	if err := d.rt.CopyDtoH(dst, p); err != nil {
		return d.wrap(fmt.Sprintf("Download of %d elements", len(dst)), err)
	}
	return nil
}

// Launch queues kernel k with arguments p. It checks the kernel, that the
// pointers the kernel reads (the first k.Info().Ptrs) are live buffers of
// d with offsets inside them, and that I[0] is not negative; unlike the
// Host it does not check the element ranges that the kernel will touch
// (the programs run on the Host in the tests first). A pointer past those
// the kernel reads is passed as 0.
func (d *cudaDevice) Launch(k Kernel, p *Params) error {
	if d.closed {
		return errCUDAClosed
	}
	if k < 0 || k >= numKernels {
		return d.errorf("Launch: unknown kernel %d", int(k))
	}
	if p == nil {
		return d.errorf("Launch %v: nil Params", k)
	}
	if p.I[0] < 0 {
		return d.errorf("Launch %v: I[0] = %d, must be at least 0", k, p.I[0])
	}
	info := k.Info()
	a := d.args
	for j := range p.P {
		if j >= info.Ptrs {
			a.P[j] = 0
			continue
		}
		if p.P[j].Buf == nil {
			return d.errorf("Launch %v: pointer P[%d] is nil", k, j)
		}
		addr, _, err := d.addr(p.P[j])
		if err != nil {
			return fmt.Errorf("%w (Launch %v, P[%d])", err, k, j)
		}
		a.P[j] = uint64(addr)
	}
	a.I, a.F = p.I, p.F
	blocks, threads := k.Grid(p)
	if blocks == 0 {
		return nil // a reduction with no outputs
	}
	err := d.rt.Launch(d.fns[k], blocks, threads, 0, unsafe.Pointer(a))
	runtime.KeepAlive(a)
	if err != nil {
		return d.wrap(fmt.Sprintf("Launch %v", k), err)
	}
	d.last, d.launched = k, true
	return nil
}

// gemmOperand checks one matrix of a Gemm, rows×cols with leading
// dimension ld, and returns its device address.
func (d *cudaDevice) gemmOperand(name string, p Ptr, rows, cols, ld int) (cuda.DevPtr, error) {
	if ld < max(1, cols) {
		return 0, d.errorf("Gemm: ld%s = %d is less than max(1, %d columns)", name, ld, cols)
	}
	addr, room, err := d.addr(p)
	if err != nil {
		return 0, fmt.Errorf("%w (Gemm, %s)", err, name)
	}
	need := 0
	if rows > 0 && cols > 0 {
		need = (rows-1)*ld + cols
	}
	if need > room {
		return 0, d.errorf("Gemm: %s (%d×%d, ld %d) needs %d elements from offset %d, the buffer has %d",
			name, rows, cols, ld, need, p.Off, p.Off+room)
	}
	return addr, nil
}

// Gemm queues c = alpha·op(a)·op(b) + beta·c (cublasSgemm on device
// pointers, full float32) after checking shapes, leading dimensions and
// buffer ranges as the Host does.
func (d *cudaDevice) Gemm(g *GemmArgs) error {
	if d.closed {
		return errCUDAClosed
	}
	if g == nil {
		return d.errorf("Gemm: nil arguments")
	}
	ops, err := g.operands()
	if err != nil {
		return d.errorf("%v", err)
	}
	var addrs [3]cuda.DevPtr
	for i, o := range ops {
		if addrs[i], err = d.gemmOperand(o.name, o.p, o.rows, o.cols, o.ld); err != nil {
			return err
		}
	}
	a, b, c := addrs[0], addrs[1], addrs[2]
	if g.M == 0 || g.N == 0 {
		return nil
	}
	if err := d.rt.SgemmDevice(g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, a, g.LDA, b, g.LDB, g.Beta, c, g.LDC); err != nil {
		return d.wrap("Gemm", err)
	}
	return nil
}

// Sync waits for every queued launch (cuCtxSynchronize) and reports the
// first error.
func (d *cudaDevice) Sync() error {
	if d.closed {
		return errCUDAClosed
	}
	if err := d.rt.Synchronize(); err != nil {
		return d.wrap("a queued launch failed", err)
	}
	return nil
}

// Close frees every buffer still allocated, unloads the kernels and
// releases the GPU; later calls fail.
func (d *cudaDevice) Close() error {
	if d.closed {
		return errCUDAClosed
	}
	var errs []error
	if err := d.rt.Synchronize(); err != nil {
		errs = append(errs, d.wrap("Close", err))
	}
	for b := range d.bufs {
		b.freed = true
		if err := d.rt.Free(b.ptr); err != nil {
			errs = append(errs, d.wrap("Close: Free", err))
		}
	}
	if err := d.mod.Unload(); err != nil {
		errs = append(errs, d.wrap("Close: unloading the kernels", err))
	}
	if err := d.rt.Close(); err != nil {
		errs = append(errs, d.wrap("Close", err))
	}
	d.pin.Unpin()
	d.bufs, d.closed = nil, true
	return errors.Join(errs...)
}
