// Package cudatest runs tests of packages cuda, gpu and gan against a fake
// CUDA driver and cuBLAS (testdata/fakecuda.c) on machines without a GPU.
// The fake keeps "device memory" in host memory, so allocations, sets,
// copies and SGEMM (column-major, as cuBLAS, rounding as gonum's SGEMM)
// really run; it records each kernel launch; and it makes a context
// current per OS thread, as CUDA does, failing calls on a thread where
// none is. That checks the bindings' argument passing, the struct
// parameter's layout, the row-major SGEMM mapping and the thread locking
// without a GPU.
//
// Run's fake only records the launches. RunKernels's fake also executes
// them: it is linked with the launch emulator of gpu/internal/emu (emu.cc,
// which compiles the very same gpu/kernels/kernels.cu for the host, see
// testdata/fakekernels.cc), and its cuLaunchKernel runs the named kernel
// over the grid on the fake's device memory, whose pointers are host
// addresses. Whole programs then run end to end (Go, purego, the driver
// API, the kernels, cuBLAS) on a machine without a GPU. What the fake
// cannot show is the GPU itself: the PTX as the driver's JIT compiles it
// (the fake runs the C++ build of kernels.cu, not kernels.ptx; it warns
// when the PTX's source stamp differs), blocks and threads running
// concurrently, asynchronous errors, cuBLAS's own rounding, and speed.
//
// A test uses it so:
//
//	func TestX(t *testing.T) {
//		if !cudatest.InFake() {
//			cudatest.Run(t) // builds the fake, runs TestX again in a child process bound to it
//			return
//		}
//		// Here package cuda binds the fake.
//	}
package cudatest

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
)

//go:embed testdata/fakecuda.c
var fakeSource []byte

//go:embed testdata/fakekernels.cc
var fakeKernelsSource []byte

// envDir names the environment variable that marks a child process bound
// to the fake: the fake's directory. envKernels is set to 1 in a child
// whose fake executes the kernels (RunKernels).
const (
	envDir     = "GOGAN_FAKE_CUDA"
	envKernels = "GOGAN_FAKE_CUDA_KERNELS"
)

// InFake reports whether this process is a child that Run started, with
// the fake driver first on the library path.
func InFake() bool { return os.Getenv(envDir) != "" }

// ExecutesKernels reports whether this process is a child that
// RunKernels started, whose fake runs the kernels it launches.
func ExecutesKernels() bool { return InFake() && os.Getenv(envKernels) == "1" }

// compilers are the C compilers tried, in order; cxxCompilers the C++20
// compilers for the emulator (RunKernels).
var (
	compilers    = []string{"clang-19", "clang", "cc", "gcc"}
	cxxCompilers = []string{"clang++-19", "clang++", "g++", "c++"}
)

// lookPath returns the first of names on the PATH, or "".
func lookPath(names []string) string {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Run builds the fake driver with a C compiler and runs the current test
// (t.Name(), a top-level test) again in a child process of the test
// binary, with LD_LIBRARY_PATH pointing at the fake. It fails t if the
// child fails, logs the child's output, and skips t, saying why, when no C
// compiler is found. The fake records kernel launches without running
// them.
func Run(t *testing.T) {
	t.Helper()
	if InFake() {
		t.Fatal("cudatest.Run called in the child process")
	}
	cc := lookPath(compilers)
	if cc == "" {
		t.Skipf("no C compiler (%s) to build the fake CUDA driver, test skipped", strings.Join(compilers, ", "))
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "fakecuda.c")
	if err := os.WriteFile(src, fakeSource, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libcuda.so.1")
	out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-Wall", "-ffp-contract=off", "-Wl,-soname,libcuda.so.1", "-o", lib, src).CombinedOutput()
	if err != nil {
		t.Fatalf("building the fake CUDA driver with %s: %v\n%s", cc, err, out)
	}
	runChild(t, dir, filepath.Base(cc), false)
}

// RunKernels is Run with a fake that executes the kernels it launches: it
// compiles testdata/fakekernels.cc, which includes the launch emulator
// gpu/internal/emu/emu.cc (and so gpu/kernels/host.h and kernels.cu),
// with a C++20 compiler and links it into the fake, whose cuLaunchKernel
// then runs every launch of a kernel of kernels.cu on the fake's device
// memory (see testdata/fakecuda.c and fakekernels.cc). It finds emu.cc in
// the source tree of this module (from this file's path, else upwards
// from the working directory) and skips t, saying what is missing,
// without a C compiler, a C++ compiler or those sources (cgo is not
// needed: the test binary loads the fake with purego). In the child,
// ExecutesKernels is true and ReadCounts counts the launches executed.
func RunKernels(t *testing.T) {
	t.Helper()
	if InFake() {
		t.Fatal("cudatest.RunKernels called in the child process")
	}
	cc, cxx := lookPath(compilers), lookPath(cxxCompilers)
	if cc == "" {
		t.Skipf("no C compiler (%s) to build the fake CUDA driver, test skipped", strings.Join(compilers, ", "))
	}
	if cxx == "" {
		t.Skipf("no C++20 compiler (%s) to build the kernel emulator into the fake CUDA driver, test skipped", strings.Join(cxxCompilers, ", "))
	}
	emuSrc, sum, err := emulatorSources()
	if err != nil {
		t.Skipf("the kernels' sources are not on this machine, fake-driver test skipped: %v", err)
	}
	dir := t.TempDir()
	src, kernelsSrc := filepath.Join(dir, "fakecuda.c"), filepath.Join(dir, "fakekernels.cc")
	if err := os.WriteFile(src, fakeSource, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kernelsSrc, fakeKernelsSource, 0o644); err != nil {
		t.Fatal(err)
	}
	fakeObj, emuObj := filepath.Join(dir, "fakecuda.o"), filepath.Join(dir, "fakekernels.o")
	lib := filepath.Join(dir, "libcuda.so.1")
	steps := [][]string{
		{cc, "-c", "-fPIC", "-O1", "-Wall", "-ffp-contract=off", "-DGG_FAKE_KERNELS", `-DGG_FAKE_SOURCES_SHA256="` + sum + `"`, "-o", fakeObj, src},
		// As cgo builds package emu (emu.go's CXXFLAGS), and without
		// fused multiply-adds, as build.sh builds the PTX (emu.cc's
		// pragmas say so too).
		{cxx, "-c", "-fPIC", "-std=c++20", "-O2", "-ffp-contract=off", "-I", filepath.Dir(emuSrc), "-o", emuObj, kernelsSrc},
		{cxx, "-shared", "-pthread", "-Wl,-soname,libcuda.so.1", "-o", lib, fakeObj, emuObj},
	}
	for _, args := range steps {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("building the kernel-executing fake CUDA driver: %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	runChild(t, dir, filepath.Base(cc)+" and "+filepath.Base(cxx)+", running "+filepath.Join(filepath.Dir(emuSrc), "..", "..", "kernels", "kernels.cu"), true)
}

// emulatorSources returns the path of gpu/internal/emu/emu.cc in this
// module's source tree and the SHA-256 of the kernel sources it compiles
// (kernels.cu, device.h, host.h, as gpu/kernels/build.sh stamps them).
func emulatorSources() (string, string, error) {
	var roots []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		roots = append(roots, filepath.Join(filepath.Dir(file), "..", ".."))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			roots = append(roots, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, root := range roots {
		emuSrc := filepath.Join(root, "gpu", "internal", "emu", "emu.cc")
		if _, err := os.Stat(emuSrc); err != nil {
			continue
		}
		h := sha256.New()
		for _, name := range []string{"kernels.cu", "device.h", "host.h"} {
			b, err := os.ReadFile(filepath.Join(root, "gpu", "kernels", name))
			if err != nil {
				return "", "", err
			}
			h.Write(b)
		}
		return emuSrc, hex.EncodeToString(h.Sum(nil)), nil
	}
	return "", "", errors.New("gpu/internal/emu/emu.cc not found beside this package's source nor above the working directory")
}

// runChild runs the current test again in a child process bound to the
// fake in dir (built by what), and checks that it passed.
func runChild(t *testing.T, dir, what string, kernels bool) {
	t.Helper()
	// One file under both names: the dynamic loader maps it once, so the
	// fake cuBLAS shares the fake driver's state (its current context).
	if err := os.Symlink("libcuda.so.1", filepath.Join(dir, "libcublas.so.13")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	// GOGAN_BLAS=go: the child's CPU path and Host device use gonum's
	// SGEMM, whose order of operations the fake's cuBLAS reproduces, so
	// results compare bit for bit whatever BLAS the machine has.
	cmd.Env = append(os.Environ(), envDir+"="+dir, "LD_LIBRARY_PATH="+joinPath(dir, os.Getenv("LD_LIBRARY_PATH")), "GOGAN_BLAS=go")
	if kernels {
		cmd.Env = append(cmd.Env, envKernels+"=1")
	}
	out, err := cmd.CombinedOutput()
	t.Logf("child process bound to the fake CUDA driver (built with %s):\n%s", what, out)
	if err != nil {
		t.Fatalf("child process: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("child process did not pass %s", t.Name())
	}
}

func joinPath(dir, rest string) string {
	if rest == "" {
		return dir
	}
	return dir + string(os.PathListSeparator) + rest
}

var (
	fakeOnce  sync.Once
	fakeFns   struct{ lastLaunch, counts, executes uintptr }
	fakeError error
)

// fake binds the fake's inspection functions.
func fake() error {
	fakeOnce.Do(func() {
		if !InFake() {
			fakeError = errors.New("cudatest: not in a child process bound to the fake driver")
			return
		}
		lib, err := purego.Dlopen("libcuda.so.1", purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			fakeError = fmt.Errorf("cudatest: %w", err)
			return
		}
		for name, p := range map[string]*uintptr{"fake_last_launch": &fakeFns.lastLaunch, "fake_counts": &fakeFns.counts,
			"fake_executes": &fakeFns.executes} {
			if *p, err = purego.Dlsym(lib, name); err != nil {
				fakeError = fmt.Errorf("cudatest: libcuda.so.1 is not the fake: %w", err)
				return
			}
		}
	})
	return fakeError
}

// A Launch is the fake's record of a kernel launch.
type Launch struct {
	// Kernel is the function's name.
	Kernel string
	// Grid and Block are the launch's dimensions.
	Grid, Block [3]uint32
	// Shared is the dynamic shared memory in bytes.
	Shared uint32
	// StreamOrExtra is true if the launch named a stream other than the
	// default or passed extra (the bindings pass neither).
	StreamOrExtra bool
	// Params are the bytes of the kernel's first parameter, as many as
	// its PTX declares.
	Params []byte
}

// LastLaunch returns the fake's record of the last kernel launch.
func LastLaunch() (Launch, error) {
	if err := fake(); err != nil {
		return Launch{}, err
	}
	name := make([]byte, 128)
	var dims [8]uint32
	params := make([]byte, 1024)
	size, _, _ := purego.SyscallN(fakeFns.lastLaunch, uintptr(unsafe.Pointer(&name[0])), uintptr(len(name)),
		uintptr(unsafe.Pointer(&dims[0])), uintptr(unsafe.Pointer(&params[0])), uintptr(len(params)))
	if i := strings.IndexByte(string(name), 0); i >= 0 {
		name = name[:i]
	}
	return Launch{
		Kernel: string(name), Grid: [3]uint32{dims[0], dims[1], dims[2]}, Block: [3]uint32{dims[3], dims[4], dims[5]},
		Shared: dims[6], StreamOrExtra: dims[7] != 0, Params: params[:min(int(size), len(params))],
	}, nil
}

// Counts are the fake's counters.
type Counts struct {
	// Allocs and Modules are the allocations and modules not yet freed
	// or unloaded; Contexts the primary context's references.
	Allocs, Modules, Contexts int
	// Launches and Sgemms count the kernel launches and SGEMMs so far;
	// Executed the launches that the fake ran (RunKernels's fake runs
	// every launch that succeeds, Run's none).
	Launches, Sgemms, Executed int
}

// ReadCounts returns the fake's counters.
func ReadCounts() (Counts, error) {
	if err := fake(); err != nil {
		return Counts{}, err
	}
	var c [6]int64
	purego.SyscallN(fakeFns.counts, uintptr(unsafe.Pointer(&c[0])))
	return Counts{Allocs: int(c[0]), Modules: int(c[1]), Contexts: int(c[2]), Launches: int(c[3]), Sgemms: int(c[4]),
		Executed: int(c[5])}, nil
}

// FakeExecutes reports whether the fake bound in this child process runs
// the kernels it launches (it was built by RunKernels).
func FakeExecutes() (bool, error) {
	if err := fake(); err != nil {
		return false, err
	}
	r, _, _ := purego.SyscallN(fakeFns.executes)
	return int32(r) != 0, nil
}
