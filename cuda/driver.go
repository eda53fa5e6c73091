//go:build cu

package cuda

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// result is CUresult / cublasStatus_t: 0 is success.
type result int32

// CUresult values that the package names.
const (
	errNoDevice result = 100 // CUDA_ERROR_NO_DEVICE
)

// driver holds the bound entry points of libcuda.so.1. The calls made
// once per program or per allocation go through purego.RegisterFunc; the
// calls of the hot path (launches, copies, sets, synchronisation) are
// symbol addresses called with purego.SyscallN, which costs at most one
// small allocation per call (none for a launch, whose arguments are a
// slice of Runtime's scratch) where RegisterFunc's reflection costs a
// dozen.
type driver struct {
	cuInit                    func(flags uint32) result
	cuDriverGetVersion        func(version *int32) result
	cuDeviceGetCount          func(count *int32) result
	cuDeviceGet               func(dev *int32, ordinal int32) result
	cuDeviceGetName           func(name *byte, n int32, dev int32) result
	cuDeviceTotalMem          func(bytes *uint64, dev int32) result
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) result
	cuDevicePrimaryCtxRelease func(dev int32) result
	cuMemAlloc                func(ptr *uint64, size uint64) result
	cuMemFree                 func(ptr uint64) result
	cuMemGetInfo              func(free, total *uint64) result
	cuModuleLoadDataEx        func(mod *uintptr, image unsafe.Pointer, numOptions uint32, options, values unsafe.Pointer) result
	cuModuleGetFunction       func(fn *uintptr, mod uintptr, name *byte) result
	cuModuleUnload            func(mod uintptr) result
	cuGetErrorString          func(r result, s **byte) result

	// Symbol addresses of the hot path, for purego.SyscallN.
	cuCtxSetCurrent  uintptr // (CUcontext)
	cuCtxSynchronize uintptr // ()
	cuLaunchKernel   uintptr // (f, gx, gy, gz, bx, by, bz, shared, stream, params, extra)
	cuMemsetD32      uintptr // (dst, value, count)
	cuMemcpyHtoD     uintptr // (dst, src, bytes)
	cuMemcpyDtoH     uintptr // (dst, src, bytes)
	cuMemcpyDtoD     uintptr // (dst, src, bytes)
}

// blas holds the bound entry points of cuBLAS.
type blas struct {
	create  func(handle *uintptr) result
	destroy func(handle uintptr) result
	sgemm   uintptr // cublasSgemm_v2, for purego.SyscallN
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
			"cuInit": &d.cuInit, "cuDriverGetVersion": &d.cuDriverGetVersion,
			"cuDeviceGetCount": &d.cuDeviceGetCount, "cuDeviceGet": &d.cuDeviceGet,
			"cuDeviceGetName": &d.cuDeviceGetName, "cuDeviceTotalMem_v2": &d.cuDeviceTotalMem,
			"cuDevicePrimaryCtxRetain": &d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRelease_v2": &d.cuDevicePrimaryCtxRelease,
			"cuMemAlloc_v2": &d.cuMemAlloc, "cuMemFree_v2": &d.cuMemFree, "cuMemGetInfo_v2": &d.cuMemGetInfo,
			"cuModuleLoadDataEx": &d.cuModuleLoadDataEx, "cuModuleGetFunction": &d.cuModuleGetFunction,
			"cuModuleUnload": &d.cuModuleUnload, "cuGetErrorString": &d.cuGetErrorString,
		} {
			if err := register(lib, name, fn); err != nil {
				loadErr = fmt.Errorf("cuda: libcuda.so.1: %w", err)
				return
			}
		}
		for name, sym := range map[string]*uintptr{
			"cuCtxSetCurrent": &d.cuCtxSetCurrent, "cuCtxSynchronize": &d.cuCtxSynchronize,
			"cuLaunchKernel": &d.cuLaunchKernel, "cuMemsetD32_v2": &d.cuMemsetD32,
			"cuMemcpyHtoD_v2": &d.cuMemcpyHtoD, "cuMemcpyDtoH_v2": &d.cuMemcpyDtoH, "cuMemcpyDtoD_v2": &d.cuMemcpyDtoD,
		} {
			if *sym, err = symbol(lib, name); err != nil {
				loadErr = fmt.Errorf("cuda: libcuda.so.1: %w", err)
				return
			}
		}
		if r := d.cuInit(0); r != 0 {
			loadErr = fmt.Errorf("cuda: cuInit: %s", d.errorString(r))
			if r == errNoDevice {
				loadErr = fmt.Errorf("%w: cuInit: %s", ErrNoDevice, d.errorString(r))
			}
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
			var errSgemm error
			b.sgemm, errSgemm = symbol(lib, "cublasSgemm_v2")
			if err := errors.Join(register(lib, "cublasCreate_v2", &b.create), register(lib, "cublasDestroy_v2", &b.destroy),
				errSgemm); err != nil {
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

// symbol returns the address of the C function name of lib.
func symbol(lib uintptr, name string) (uintptr, error) {
	sym, err := purego.Dlsym(lib, name)
	if err != nil {
		return 0, fmt.Errorf("symbol %s: %w", name, err)
	}
	if sym == 0 {
		return 0, fmt.Errorf("symbol %s: address 0", name)
	}
	return sym, nil
}

// register binds the C function name of lib to the Go function pointer fn,
// turning a missing symbol into an error instead of purego's panic.
func register(lib uintptr, name string, fn any) (err error) {
	sym, err := symbol(lib, name)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("symbol %s: %v", name, p)
		}
	}()
	purego.RegisterFunc(fn, sym)
	return nil
}

// res turns purego.SyscallN's results into the called function's CUresult
// (an int in eax: the upper half of the register is undefined).
func res(r1, _, _ uintptr) result { return result(int32(r1)) }

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

// blasStatus names the cublasStatus_t values.
var blasStatus = map[result]string{
	1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
	8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED", 16: "CUBLAS_STATUS_LICENSE_ERROR",
}

func blasCheck(what string, s result) error {
	if s == 0 {
		return nil
	}
	name := blasStatus[s]
	if name == "" {
		name = "unknown status"
	}
	return fmt.Errorf("cuda: %s: %s (status %d)", what, name, int32(s))
}

// DriverVersion returns the CUDA version of the installed driver
// (cuDriverGetVersion), for example 13.0. It wraps ErrNoDriver when there
// is no NVIDIA driver.
func DriverVersion() (Version, error) {
	if err := load(); err != nil {
		return 0, err
	}
	var v int32
	if err := drv.check("cuDriverGetVersion", drv.cuDriverGetVersion(&v)); err != nil {
		return 0, err
	}
	return Version(v), nil
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
// context. Each method locks the calling goroutine to its OS thread,
// makes the context current, makes its driver calls and unlocks; Do
// does that once for a whole batch of calls. A Runtime is safe for
// concurrent use; its calls are serialised.
//
// Work is issued on the legacy default stream, so kernel launches, sets,
// device-to-device copies and SGEMMs run in the order they were issued,
// asynchronously; CopyDtoH and Synchronize wait for all of them.
type Runtime struct {
	mu     sync.Mutex
	dev    int32
	ctx    uintptr
	handle uintptr
	info   Device
	cur    Ctx
	// scratch holds the memory that the hot calls hand the driver by
	// address. It is a separate heap object, pinned while r is open.
	scratch *scratch
	pin     runtime.Pinner
}

// scratch is the Go memory that launches and SGEMMs pass by address (the
// kernelParams array of cuLaunchKernel, SGEMM's alpha and beta) and the
// argument list of the hot calls: handing purego.SyscallN a slice of it,
// rather than a fresh variadic list, makes those calls allocation-free.
// The addresses in sys point into scratch itself, which is pinned.
type scratch struct {
	argv        [1]unsafe.Pointer
	alpha, beta float32
	sys         [14]uintptr
}

// Ctx is a Runtime whose context is current on the calling goroutine's
// locked OS thread: the argument of the function that Runtime.Do runs,
// valid only until that function returns. Its methods are the Runtime's
// without the per-call locking.
type Ctx struct {
	r  *Runtime
	in bool // inside Do
}

// Open binds device (an ordinal, as in "cuda:0") and creates a cuBLAS
// handle. It wraps ErrNoDriver when there is no NVIDIA driver and
// ErrNoDevice when the driver finds no device.
func Open(device int) (*Runtime, error) {
	if err := load(); err != nil {
		return nil, err
	}
	devs, err := Devices()
	if err != nil {
		return nil, err
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("%w (cuDeviceGetCount is 0)", ErrNoDevice)
	}
	if device < 0 || device >= len(devs) {
		return nil, fmt.Errorf("cuda: no device cuda:%d (this machine has %d)", device, len(devs))
	}
	r := &Runtime{info: devs[device], scratch: new(scratch)}
	r.cur.r = r
	if err := drv.check("cuDeviceGet", drv.cuDeviceGet(&r.dev, int32(device))); err != nil {
		return nil, err
	}
	if err := drv.check("cuDevicePrimaryCtxRetain", drv.cuDevicePrimaryCtxRetain(&r.ctx, r.dev)); err != nil {
		return nil, err
	}
	err = r.Do(func(*Ctx) error { return blasCheck("cublasCreate", cublas.create(&r.handle)) })
	if err != nil {
		drv.cuDevicePrimaryCtxRelease(r.dev)
		r.ctx = 0
		return nil, err
	}
	r.pin.Pin(r.scratch)
	return r, nil
}

// Do runs fn on a locked OS thread with r's context current, holding r
// for the whole of fn: a batch of launches and copies pays for the
// locking and the context switch once. fn must not call r's own methods
// (they would wait for r), only c's; c is valid until fn returns.
func (r *Runtime) Do(fn func(c *Ctx) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := r.makeCurrent(); err != nil {
		return err
	}
	r.cur.in = true
	defer func() { r.cur.in = false }()
	return fn(&r.cur)
}

// makeCurrent makes r's context current on the calling thread, which the
// caller has locked, holding r.mu.
func (r *Runtime) makeCurrent() error {
	if r.ctx == 0 {
		return errors.New("cuda: the Runtime is closed")
	}
	a := r.scratch.sys[:1]
	a[0] = r.ctx
	return drv.check("cuCtxSetCurrent", res(purego.SyscallN(drv.cuCtxSetCurrent, a...)))
}

// check reports a Ctx used outside Do.
func (c *Ctx) check() error {
	if c == nil || !c.in {
		return errors.New("cuda: a Ctx was used outside the Runtime.Do call that made it")
	}
	return nil
}

// Device describes r's device.
func (r *Runtime) Device() Device { return r.info }

// Close destroys the cuBLAS handle and releases the primary context (its
// allocations and modules go with it when no one else retains it).
// Closing twice is harmless.
func (r *Runtime) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == 0 {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := r.makeCurrent()
	if err == nil {
		err = blasCheck("cublasDestroy", cublas.destroy(r.handle))
	}
	err = errors.Join(err, drv.check("cuDevicePrimaryCtxRelease", drv.cuDevicePrimaryCtxRelease(r.dev)))
	r.ctx, r.handle = 0, 0
	r.pin.Unpin()
	return err
}

// Alloc allocates bytes (≥ 1) of device memory (cuMemAlloc). The memory
// is not cleared; see Memset32.
func (r *Runtime) Alloc(bytes int) (p DevPtr, err error) {
	err = r.Do(func(c *Ctx) error {
		p, err = c.Alloc(bytes)
		return err
	})
	return p, err
}

// Alloc is Runtime.Alloc.
func (c *Ctx) Alloc(bytes int) (DevPtr, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	if bytes < 1 {
		return 0, fmt.Errorf("cuda: Alloc(%d): size must be at least 1 byte", bytes)
	}
	var p uint64
	if err := drv.check(fmt.Sprintf("cuMemAlloc(%d bytes)", bytes), drv.cuMemAlloc(&p, uint64(bytes))); err != nil {
		return 0, err
	}
	return DevPtr(p), nil
}

// Free releases memory that Alloc returned (cuMemFree), after the work
// queued on it has finished.
func (r *Runtime) Free(p DevPtr) error {
	return r.Do(func(c *Ctx) error { return c.Free(p) })
}

// Free is Runtime.Free.
func (c *Ctx) Free(p DevPtr) error {
	if err := c.check(); err != nil {
		return err
	}
	return drv.check("cuMemFree", drv.cuMemFree(uint64(p)))
}

// CopyHtoD copies src to device memory at dst (cuMemcpyHtoD). It is
// ordered after the queued work and returns once src may be reused.
func (r *Runtime) CopyHtoD(dst DevPtr, src []float32) error {
	return r.Do(func(c *Ctx) error { return c.CopyHtoD(dst, src) })
}

// CopyHtoD is Runtime.CopyHtoD.
func (c *Ctx) CopyHtoD(dst DevPtr, src []float32) error {
	if err := c.check(); err != nil {
		return err
	}
	if len(src) == 0 {
		return nil
	}
	return drv.check("cuMemcpyHtoD", res(purego.SyscallN(drv.cuMemcpyHtoD,
		uintptr(dst), uintptr(unsafe.Pointer(&src[0])), uintptr(len(src))*4)))
}

// CopyDtoH copies len(dst) float32s from device memory at src into dst
// (cuMemcpyDtoH), after every queued launch and copy has finished.
func (r *Runtime) CopyDtoH(dst []float32, src DevPtr) error {
	return r.Do(func(c *Ctx) error { return c.CopyDtoH(dst, src) })
}

// CopyDtoH is Runtime.CopyDtoH.
func (c *Ctx) CopyDtoH(dst []float32, src DevPtr) error {
	if err := c.check(); err != nil {
		return err
	}
	if len(dst) == 0 {
		return nil
	}
	return drv.check("cuMemcpyDtoH", res(purego.SyscallN(drv.cuMemcpyDtoH,
		uintptr(unsafe.Pointer(&dst[0])), uintptr(src), uintptr(len(dst))*4)))
}

// CopyDtoD queues a copy of bytes from src to dst in device memory
// (cuMemcpyDtoD).
func (r *Runtime) CopyDtoD(dst, src DevPtr, bytes int) error {
	return r.Do(func(c *Ctx) error { return c.CopyDtoD(dst, src, bytes) })
}

// CopyDtoD is Runtime.CopyDtoD.
func (c *Ctx) CopyDtoD(dst, src DevPtr, bytes int) error {
	if err := c.check(); err != nil {
		return err
	}
	if bytes < 0 {
		return fmt.Errorf("cuda: CopyDtoD of %d bytes", bytes)
	}
	if bytes == 0 {
		return nil
	}
	return drv.check("cuMemcpyDtoD", res(purego.SyscallN(drv.cuMemcpyDtoD, uintptr(dst), uintptr(src), uintptr(bytes))))
}

// Memset32 queues setting n 32-bit words at dst to value (cuMemsetD32);
// value 0 clears float32s to +0.
func (r *Runtime) Memset32(dst DevPtr, value uint32, n int) error {
	return r.Do(func(c *Ctx) error { return c.Memset32(dst, value, n) })
}

// Memset32 is Runtime.Memset32.
func (c *Ctx) Memset32(dst DevPtr, value uint32, n int) error {
	if err := c.check(); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("cuda: Memset32 of %d words", n)
	}
	if n == 0 {
		return nil
	}
	return drv.check("cuMemsetD32", res(purego.SyscallN(drv.cuMemsetD32, uintptr(dst), uintptr(value), uintptr(n))))
}

// Synchronize waits for all queued work (cuCtxSynchronize) and returns
// the error of a failed launch, if any.
func (r *Runtime) Synchronize() error {
	return r.Do(func(c *Ctx) error { return c.Synchronize() })
}

// Synchronize is Runtime.Synchronize.
func (c *Ctx) Synchronize() error {
	if err := c.check(); err != nil {
		return err
	}
	return drv.check("cuCtxSynchronize", res(purego.SyscallN(drv.cuCtxSynchronize)))
}

// MemInfo returns the free and total memory of r's device in bytes
// (cuMemGetInfo).
func (r *Runtime) MemInfo() (free, total uint64, err error) {
	err = r.Do(func(c *Ctx) error {
		free, total, err = c.MemInfo()
		return err
	})
	return free, total, err
}

// MemInfo is Runtime.MemInfo.
func (c *Ctx) MemInfo() (free, total uint64, err error) {
	if err := c.check(); err != nil {
		return 0, 0, err
	}
	err = drv.check("cuMemGetInfo", drv.cuMemGetInfo(&free, &total))
	return free, total, err
}

// A Module is a loaded CUDA module (a PTX or cubin image).
type Module struct {
	r *Runtime
	h uintptr
}

// A Function is a kernel of a Module. The zero Function is invalid.
type Function struct {
	h    uintptr
	name string
}

// Name returns f's entry name.
func (f Function) Name() string { return f.name }

// jitLogSize is the size of the JIT error log buffer of LoadModule.
const jitLogSize = 64 << 10

// CUjit_option values.
const (
	jitErrorLogBuffer          = 5 // CU_JIT_ERROR_LOG_BUFFER
	jitErrorLogBufferSizeBytes = 6 // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
)

// LoadModule loads a module image into r's context (cuModuleLoadDataEx):
// PTX text, which the driver compiles for the device (a NUL is appended
// if image lacks one), or a cubin/fatbin. When the JIT compiler rejects
// the PTX, the error carries its log.
func (r *Runtime) LoadModule(image []byte) (*Module, error) {
	if len(image) == 0 {
		return nil, errors.New("cuda: LoadModule: empty image")
	}
	img := image
	if img[len(img)-1] != 0 {
		img = append(append(make([]byte, 0, len(image)+1), image...), 0)
	}
	m := &Module{r: r}
	err := r.Do(func(*Ctx) error {
		// The option values are pointer-sized: the log buffer's address,
		// then its size, which the driver overwrites with the log's
		// length. The log buffer is Go memory that the driver writes
		// during the call: pinned, so it is on the heap and stays put.
		logBuf := make([]byte, jitLogSize)
		var pin runtime.Pinner
		pin.Pin(&logBuf[0])
		defer pin.Unpin()
		opts := [2]int32{jitErrorLogBuffer, jitErrorLogBufferSizeBytes}
		vals := [2]uintptr{uintptr(unsafe.Pointer(&logBuf[0])), jitLogSize}
		rc := drv.cuModuleLoadDataEx(&m.h, unsafe.Pointer(&img[0]), 2, unsafe.Pointer(&opts[0]), unsafe.Pointer(&vals[0]))
		runtime.KeepAlive(logBuf)
		runtime.KeepAlive(img)
		if err := drv.check("cuModuleLoadDataEx", rc); err != nil {
			n := min(int(vals[1]), len(logBuf))
			if i := bytes.IndexByte(logBuf[:n], 0); i >= 0 {
				n = i
			}
			if log := strings.TrimSpace(string(logBuf[:n])); log != "" {
				return fmt.Errorf("%w; JIT log:\n%s", err, log)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Function returns the kernel name of m (cuModuleGetFunction).
func (m *Module) Function(name string) (Function, error) {
	if m == nil || m.h == 0 {
		return Function{}, errors.New("cuda: Function of an unloaded module")
	}
	cname := append([]byte(name), 0)
	var h uintptr
	err := m.r.Do(func(*Ctx) error {
		return drv.check(fmt.Sprintf("cuModuleGetFunction(%q)", name), drv.cuModuleGetFunction(&h, m.h, &cname[0]))
	})
	if err != nil {
		return Function{}, err
	}
	return Function{h: h, name: name}, nil
}

// Unload unloads m (cuModuleUnload); its Functions become invalid.
// Unloading twice is harmless.
func (m *Module) Unload() error {
	if m == nil || m.h == 0 {
		return nil
	}
	err := m.r.Do(func(*Ctx) error { return drv.check("cuModuleUnload", drv.cuModuleUnload(m.h)) })
	m.h = 0
	return err
}

// Launch queues kernel f on gridX blocks of blockX threads with
// sharedBytes of dynamic shared memory (cuLaunchKernel on the default
// stream). The kernel takes one parameter, a struct that params points
// to; the driver copies it before Launch returns. params must point to
// memory that stays put during the call: C memory, or a Go heap object
// (storing the pointer in r's kernelParams array makes the compiler put
// it on the heap; pin it with runtime.Pinner to follow the cgo rules to
// the letter). A kernel that faults reports its error at a later call,
// typically CopyDtoH or Synchronize.
func (r *Runtime) Launch(f Function, gridX, blockX, sharedBytes int, params unsafe.Pointer) error {
	return r.Do(func(c *Ctx) error { return c.Launch(f, gridX, blockX, sharedBytes, params) })
}

// Launch is Runtime.Launch.
func (c *Ctx) Launch(f Function, gridX, blockX, sharedBytes int, params unsafe.Pointer) error {
	if err := c.check(); err != nil {
		return err
	}
	if f.h == 0 {
		return errors.New("cuda: Launch of an invalid Function")
	}
	if gridX < 1 || gridX > 1<<31-1 || blockX < 1 || blockX > 1024 || sharedBytes < 0 || sharedBytes > 1<<31-1 {
		return fmt.Errorf("cuda: Launch %s: bad shape: %d blocks of %d threads, %d bytes shared", f.name, gridX, blockX, sharedBytes)
	}
	s := c.r.scratch
	s.argv[0] = params
	a := s.sys[:11]
	a[0], a[1], a[2], a[3] = f.h, uintptr(gridX), 1, 1   // function, grid
	a[4], a[5], a[6] = uintptr(blockX), 1, 1             // block
	a[7], a[8] = uintptr(sharedBytes), 0                 // shared memory, the default stream
	a[9], a[10] = uintptr(unsafe.Pointer(&s.argv[0])), 0 // kernelParams, extra
	rc := res(purego.SyscallN(drv.cuLaunchKernel, a...))
	s.argv[0] = nil
	if rc != 0 {
		return fmt.Errorf("cuda: cuLaunchKernel(%s, %d×%d): %s", f.name, gridX, blockX, drv.errorString(rc))
	}
	return nil
}

// SgemmDevice queues c = alpha·op(a)·op(b) + beta·c for row-major
// matrices in device memory (op(a) m×k, op(b) k×n, leading dimensions in
// elements; cublasSgemm on the default stream, in full float32: the
// handle's math mode is cuBLAS's default, no TF32).
func (r *Runtime) SgemmDevice(transA, transB bool, m, n, k int, alpha float32, a DevPtr, lda int, b DevPtr, ldb int, beta float32, c DevPtr, ldc int) error {
	return r.Do(func(x *Ctx) error { return x.SgemmDevice(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) })
}

// SgemmDevice is Runtime.SgemmDevice.
func (x *Ctx) SgemmDevice(transA, transB bool, m, n, k int, alpha float32, a DevPtr, lda int, b DevPtr, ldb int, beta float32, c DevPtr, ldc int) error {
	if err := x.check(); err != nil {
		return err
	}
	colsA, colsB := k, n
	if transA {
		colsA = m
	}
	if transB {
		colsB = k
	}
	const maxInt32 = 1<<31 - 1
	if m < 0 || n < 0 || k < 0 || m > maxInt32 || n > maxInt32 || k > maxInt32 ||
		lda < max(1, colsA) || ldb < max(1, colsB) || ldc < max(1, n) || lda > maxInt32 || ldb > maxInt32 || ldc > maxInt32 {
		return fmt.Errorf("cuda: SgemmDevice: bad shape m=%d n=%d k=%d lda=%d ldb=%d ldc=%d (transA %v transB %v)",
			m, n, k, lda, ldb, ldc, transA, transB)
	}
	if m == 0 || n == 0 {
		return nil
	}
	// Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, where
	// a row-major matrix is its column-major transpose.
	op := func(t bool) uintptr {
		if t {
			return 1 // CUBLAS_OP_T
		}
		return 0 // CUBLAS_OP_N
	}
	s := x.r.scratch
	s.alpha, s.beta = alpha, beta
	args := s.sys[:14]
	args[0], args[1], args[2] = x.r.handle, op(transB), op(transA)
	args[3], args[4], args[5], args[6] = uintptr(n), uintptr(m), uintptr(k), uintptr(unsafe.Pointer(&s.alpha))
	args[7], args[8], args[9], args[10] = uintptr(b), uintptr(ldb), uintptr(a), uintptr(lda)
	args[11], args[12], args[13] = uintptr(unsafe.Pointer(&s.beta)), uintptr(c), uintptr(ldc)
	return blasCheck("cublasSgemm", res(purego.SyscallN(cublas.sgemm, args...)))
}

// Sgemm computes c = alpha·op(a)·op(b) + beta·c for row-major host
// matrices on the GPU (op(a) m×k, op(b) k×n), copying them to the device
// and c back: the check that driver and cuBLAS work on a machine.
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
	return r.Do(func(x *Ctx) error {
		bufs := make([]DevPtr, 0, 3)
		defer func() {
			for _, p := range bufs {
				x.Free(p)
			}
		}()
		up := func(host []float32) (DevPtr, error) {
			p, err := x.Alloc(max(len(host)*4, 4))
			if err != nil {
				return 0, err
			}
			bufs = append(bufs, p)
			return p, x.CopyHtoD(p, host)
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
		if err := x.SgemmDevice(transA, transB, m, n, k, alpha, da, lda, db, ldb, beta, dc, ldc); err != nil {
			return err
		}
		if err := x.Synchronize(); err != nil {
			return err
		}
		return x.CopyDtoH(c[:m*ldc], dc)
	})
}
