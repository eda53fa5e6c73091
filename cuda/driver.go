//go:build cuda

package cuda

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// result is CUresult / cublasStatus_t: 0 is success.
type result int32

// driver holds the bound entry points of libcuda.so.1.
type driver struct {
	cuInit                    func(flags uint32) result
	cuDeviceGetCount          func(count *int32) result
	cuDeviceGet               func(dev *int32, ordinal int32) result
	cuDeviceGetName           func(name *byte, n int32, dev int32) result
	cuDeviceTotalMem          func(bytes *uint64, dev int32) result
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) result
	cuDevicePrimaryCtxRelease func(dev int32) result
	cuCtxSetCurrent           func(ctx uintptr) result
	cuCtxSynchronize          func() result
	cuMemAlloc                func(ptr *uint64, size uint64) result
	cuMemFree                 func(ptr uint64) result
	cuMemcpyHtoD              func(dst uint64, src unsafe.Pointer, size uint64) result
	cuMemcpyDtoH              func(dst unsafe.Pointer, src uint64, size uint64) result
	cuGetErrorString          func(r result, s **byte) result
}

// blas holds the bound entry points of cuBLAS.
type blas struct {
	create  func(handle *uintptr) result
	destroy func(handle uintptr) result
	sgemm   func(handle uintptr, transA, transB int32, m, n, k int32, alpha unsafe.Pointer, a uint64, lda int32,
		b uint64, ldb int32, beta unsafe.Pointer, c uint64, ldc int32) result
}

var (
	loadOnce sync.Once
	drv      *driver
	cublas   *blas
	loadErr  error
)

// cublasNames are the cuBLAS sonames tried in order (CUDA 13, 12, 11).
var cublasNames = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}

func load() error {
	loadOnce.Do(func() {
		lib, err := purego.Dlopen("libcuda.so.1", purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			loadErr = fmt.Errorf("%w: %v", ErrNoDriver, err)
			return
		}
		d := &driver{}
		for name, fn := range map[string]any{
			"cuInit": &d.cuInit, "cuDeviceGetCount": &d.cuDeviceGetCount, "cuDeviceGet": &d.cuDeviceGet,
			"cuDeviceGetName": &d.cuDeviceGetName, "cuDeviceTotalMem_v2": &d.cuDeviceTotalMem,
			"cuDevicePrimaryCtxRetain": &d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRelease_v2": &d.cuDevicePrimaryCtxRelease,
			"cuCtxSetCurrent": &d.cuCtxSetCurrent, "cuCtxSynchronize": &d.cuCtxSynchronize,
			"cuMemAlloc_v2": &d.cuMemAlloc, "cuMemFree_v2": &d.cuMemFree,
			"cuMemcpyHtoD_v2": &d.cuMemcpyHtoD, "cuMemcpyDtoH_v2": &d.cuMemcpyDtoH, "cuGetErrorString": &d.cuGetErrorString,
		} {
			if err := register(lib, name, fn); err != nil {
				loadErr = fmt.Errorf("cuda: libcuda.so.1: %w", err)
				return
			}
		}
		if r := d.cuInit(0); r != 0 {
			loadErr = fmt.Errorf("cuda: cuInit: %s", d.errorString(r))
			return
		}
		drv = d
		var blasErrs []error
		for _, name := range cublasNames {
			lib, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
			if err != nil {
				blasErrs = append(blasErrs, err)
				continue
			}
			b := &blas{}
			if err := errors.Join(register(lib, "cublasCreate_v2", &b.create), register(lib, "cublasDestroy_v2", &b.destroy),
				register(lib, "cublasSgemm_v2", &b.sgemm)); err != nil {
				blasErrs = append(blasErrs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			cublas = b
			return
		}
		loadErr = fmt.Errorf("cuda: cuBLAS could not be loaded: %w", errors.Join(blasErrs...))
	})
	return loadErr
}

// register binds the C function name of lib to the Go function pointer fn,
// turning a missing symbol into an error instead of purego's panic.
func register(lib uintptr, name string, fn any) (err error) {
	sym, err := purego.Dlsym(lib, name)
	if err != nil {
		return fmt.Errorf("symbol %s: %w", name, err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("symbol %s: %v", name, p)
		}
	}()
	purego.RegisterFunc(fn, sym)
	return nil
}

func (d *driver) errorString(r result) string {
	var s *byte
	if d.cuGetErrorString == nil || d.cuGetErrorString(r, &s) != 0 || s == nil {
		return fmt.Sprintf("CUDA error %d", int32(r))
	}
	return fmt.Sprintf("%s (CUDA error %d)", goString(s), int32(r))
}

// goString copies a NUL-terminated C string.
func goString(p *byte) string {
	var buf []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		buf = append(buf, *(*byte)(q))
	}
	return string(buf)
}

func (d *driver) check(what string, r result) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("cuda: %s: %s", what, d.errorString(r))
}

// Devices lists the CUDA devices.
func Devices() ([]Device, error) {
	if err := load(); err != nil {
		return nil, err
	}
	var n int32
	if err := drv.check("cuDeviceGetCount", drv.cuDeviceGetCount(&n)); err != nil {
		return nil, err
	}
	out := make([]Device, 0, n)
	for i := int32(0); i < n; i++ {
		d, err := describe(i)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func describe(ordinal int32) (Device, error) {
	var dev int32
	if err := drv.check("cuDeviceGet", drv.cuDeviceGet(&dev, ordinal)); err != nil {
		return Device{}, err
	}
	name := make([]byte, 256)
	if err := drv.check("cuDeviceGetName", drv.cuDeviceGetName(&name[0], int32(len(name)), dev)); err != nil {
		return Device{}, err
	}
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	var mem uint64
	if err := drv.check("cuDeviceTotalMem", drv.cuDeviceTotalMem(&mem, dev)); err != nil {
		return Device{}, err
	}
	return Device{Index: int(ordinal), Name: string(name), Memory: mem}, nil
}

// Runtime is a CUDA driver and cuBLAS bound to one device's primary
// context. Its methods lock the calling goroutine to its OS thread while
// they make the context current. A Runtime is safe for concurrent use; its
// calls are serialised.
type Runtime struct {
	mu     sync.Mutex
	dev    int32
	ctx    uintptr
	handle uintptr
	info   Device
}

// Open binds device (an ordinal, as in "cuda:0") and creates a cuBLAS
// handle. It wraps ErrNoDriver when there is no NVIDIA driver.
func Open(device int) (*Runtime, error) {
	if err := load(); err != nil {
		return nil, err
	}
	devs, err := Devices()
	if err != nil {
		return nil, err
	}
	if device < 0 || device >= len(devs) {
		return nil, fmt.Errorf("cuda: no device cuda:%d (this machine has %d)", device, len(devs))
	}
	r := &Runtime{info: devs[device]}
	if err := drv.check("cuDeviceGet", drv.cuDeviceGet(&r.dev, int32(device))); err != nil {
		return nil, err
	}
	if err := drv.check("cuDevicePrimaryCtxRetain", drv.cuDevicePrimaryCtxRetain(&r.ctx, r.dev)); err != nil {
		return nil, err
	}
	err = r.do(func() error {
		if s := cublas.create(&r.handle); s != 0 {
			return fmt.Errorf("cuda: cublasCreate: status %d", int32(s))
		}
		return nil
	})
	if err != nil {
		drv.cuDevicePrimaryCtxRelease(r.dev)
		return nil, err
	}
	return r, nil
}

// do runs fn on a locked OS thread with r's context current.
func (r *Runtime) do(fn func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := drv.check("cuCtxSetCurrent", drv.cuCtxSetCurrent(r.ctx)); err != nil {
		return err
	}
	return fn()
}

// Device describes r's device.
func (r *Runtime) Device() Device { return r.info }

// Close destroys the cuBLAS handle and releases the primary context.
func (r *Runtime) Close() error {
	if r == nil || r.ctx == 0 {
		return nil
	}
	err := r.do(func() error {
		if s := cublas.destroy(r.handle); s != 0 {
			return fmt.Errorf("cuda: cublasDestroy: status %d", int32(s))
		}
		return nil
	})
	err = errors.Join(err, drv.check("cuDevicePrimaryCtxRelease", drv.cuDevicePrimaryCtxRelease(r.dev)))
	r.ctx = 0
	return err
}

// Sgemm computes c = alpha·op(a)·op(b) + beta·c for row-major host
// matrices on the GPU (op(a) m×k, op(b) k×n), copying them to the device
// and c back: the building block of the dense layers, and the check that
// driver and cuBLAS work on a machine.
func (r *Runtime) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	rowsA, rowsB := m, k
	if transA {
		rowsA = k
	}
	if transB {
		rowsB = n
	}
	if m < 0 || n < 0 || k < 0 || len(a) < rowsA*lda || len(b) < rowsB*ldb || len(c) < m*ldc {
		return fmt.Errorf("cuda: Sgemm: buffers too small for m=%d n=%d k=%d (lda %d ldb %d ldc %d; len %d %d %d)",
			m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	}
	if m == 0 || n == 0 {
		return nil
	}
	return r.do(func() error {
		bufs := make([]uint64, 0, 3)
		defer func() {
			for _, p := range bufs {
				drv.cuMemFree(p)
			}
		}()
		up := func(host []float32) (uint64, error) {
			var p uint64
			size := uint64(len(host)) * 4
			if err := drv.check("cuMemAlloc", drv.cuMemAlloc(&p, max(size, 4))); err != nil {
				return 0, err
			}
			bufs = append(bufs, p)
			if size == 0 {
				return p, nil
			}
			return p, drv.check("cuMemcpyHtoD", drv.cuMemcpyHtoD(p, unsafe.Pointer(&host[0]), size))
		}
		da, err := up(a[:rowsA*lda])
		if err != nil {
			return err
		}
		db, err := up(b[:rowsB*ldb])
		if err != nil {
			return err
		}
		dc, err := up(c[:m*ldc])
		if err != nil {
			return err
		}
		// Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ.
		op := func(t bool) int32 {
			if t {
				return 1 // CUBLAS_OP_T
			}
			return 0 // CUBLAS_OP_N
		}
		if s := cublas.sgemm(r.handle, op(transB), op(transA), int32(n), int32(m), int32(k), unsafe.Pointer(&alpha),
			db, int32(ldb), da, int32(lda), unsafe.Pointer(&beta), dc, int32(ldc)); s != 0 {
			return fmt.Errorf("cuda: cublasSgemm: status %d", int32(s))
		}
		if err := drv.check("cuCtxSynchronize", drv.cuCtxSynchronize()); err != nil {
			return err
		}
		return drv.check("cuMemcpyDtoH", drv.cuMemcpyDtoH(unsafe.Pointer(&c[0]), dc, uint64(m*ldc)*4))
	})
}
