// Package cudatest runs tests of packages cuda and gpu against a fake CUDA
// driver and cuBLAS (testdata/fakecuda.c) on machines without a GPU. The
// fake keeps "device memory" in host memory, so allocations, sets,
// copies and SGEMM (column-major, as cuBLAS) really run; it records each
// kernel launch instead of running it; and it makes a context current per
// OS thread, as CUDA does, failing calls on a thread where none is. That
// checks the bindings' argument passing, the struct parameter's layout,
// the row-major SGEMM mapping and the thread locking without a GPU: what
// it cannot check is the kernels themselves.
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
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
)

//go:embed testdata/fakecuda.c
var fakeSource []byte

// envDir names the environment variable that marks a child process bound
// to the fake: the fake's directory.
const envDir = "GOGAN_FAKE_CUDA"

// InFake reports whether this process is a child that Run started, with
// the fake driver first on the library path.
func InFake() bool { return os.Getenv(envDir) != "" }

// compilers are the C compilers tried, in order.
var compilers = []string{"clang-19", "clang", "cc", "gcc"}

// Run builds the fake driver with a C compiler and runs the current test
// (t.Name(), a top-level test) again in a child process of the test
// binary, with LD_LIBRARY_PATH pointing at the fake. It fails t if the
// child fails, logs the child's output, and skips t, saying why, when no C
// compiler is found.
func Run(t *testing.T) {
	t.Helper()
	if InFake() {
		t.Fatal("cudatest.Run called in the child process")
	}
	var cc string
	for _, name := range compilers {
		if p, err := exec.LookPath(name); err == nil {
			cc = p
			break
		}
	}
	if cc == "" {
		t.Skipf("no C compiler (%s) to build the fake CUDA driver, test skipped", strings.Join(compilers, ", "))
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "fakecuda.c")
	if err := os.WriteFile(src, fakeSource, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libcuda.so.1")
	out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-Wall", "-Wl,-soname,libcuda.so.1", "-o", lib, src).CombinedOutput()
	if err != nil {
		t.Fatalf("building the fake CUDA driver with %s: %v\n%s", cc, err, out)
	}
	// One file under both names: the dynamic loader maps it once, so the
	// fake cuBLAS shares the fake driver's state (its current context).
	if err := os.Symlink("libcuda.so.1", filepath.Join(dir, "libcublas.so.13")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envDir+"="+dir, "LD_LIBRARY_PATH="+joinPath(dir, os.Getenv("LD_LIBRARY_PATH")))
	out, err = cmd.CombinedOutput()
	t.Logf("child process bound to the fake CUDA driver (built with %s):\n%s", filepath.Base(cc), out)
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
	fakeFns   struct{ lastLaunch, counts uintptr }
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
		for name, p := range map[string]*uintptr{"fake_last_launch": &fakeFns.lastLaunch, "fake_counts": &fakeFns.counts} {
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
	// Launches and Sgemms count the kernel launches and SGEMMs so far.
	Launches, Sgemms int
}

// ReadCounts returns the fake's counters.
func ReadCounts() (Counts, error) {
	if err := fake(); err != nil {
		return Counts{}, err
	}
	var c [5]int64
	purego.SyscallN(fakeFns.counts, uintptr(unsafe.Pointer(&c[0])))
	return Counts{Allocs: int(c[0]), Modules: int(c[1]), Contexts: int(c[2]), Launches: int(c[3]), Sgemms: int(c[4])}, nil
}
