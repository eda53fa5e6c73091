//go:build cu

package cuda

import (
	"encoding/binary"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/gogan/gogan/cuda/cudatest"
)

// TestFakeDriver runs the bindings against the fake driver and cuBLAS of
// package cudatest, in a child process: every binding is called with its
// arguments in the right places (the fake really copies, sets and
// multiplies, in host memory), each on a thread where the context is
// current (the fake's context is per thread, like CUDA's), and a
// launch hands the driver the struct parameter's bytes. It runs on any
// machine with a C compiler; what it cannot check is real hardware.
func TestFakeDriver(t *testing.T) {
	if !cudatest.InFake() {
		cudatest.Run(t)
		return
	}
	r, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Device().String(); got != "cuda:0 (Fake GPU, 139.8 GiB)" {
		t.Errorf("Device() = %q", got)
	}
	t.Run("DriverVersionAndMemInfo", func(t *testing.T) { testDriverVersionAndMemInfo(t, r) })
	t.Run("OpenNamesMissingDevice", testOpenNamesMissingDevice)
	t.Run("MemoryRoundTrip", func(t *testing.T) { testMemoryRoundTrip(t, r) })
	t.Run("SgemmAgreesWithCPU", func(t *testing.T) { testSgemmAgreesWithCPU(t, r) })
	t.Run("SgemmDeviceAtOffsets", func(t *testing.T) { testSgemmDeviceAtOffsets(t, r) })
	t.Run("LoadModuleReportsJITLog", func(t *testing.T) { testLoadModuleReportsJITLog(t, r) })
	t.Run("Launch", func(t *testing.T) {
		m, err := r.LoadModule([]byte(fillIotaPTX))
		if err != nil {
			t.Fatal(err)
		}
		f, err := m.Function("fill_iota")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Function("no_such_kernel"); err == nil || !strings.Contains(err.Error(), `cuModuleGetFunction("no_such_kernel")`) ||
			!strings.Contains(err.Error(), "named symbol not found") {
			t.Errorf("Function of a missing kernel: %v", err)
		}
		args := &fillIotaArgs{y: 0x7000_0000_1234, n: -5, v: 0.25}
		if err := r.Launch(f, 70000, 256, 48, unsafe.Pointer(args)); err != nil {
			t.Fatal(err)
		}
		l, err := cudatest.LastLaunch()
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, 16)
		binary.LittleEndian.PutUint64(want, 0x7000_0000_1234)
		binary.LittleEndian.PutUint32(want[8:], uint32(0xFFFFFFFB))
		binary.LittleEndian.PutUint32(want[12:], math.Float32bits(0.25))
		if l.Kernel != "fill_iota" || l.Grid != [3]uint32{70000, 1, 1} || l.Block != [3]uint32{256, 1, 1} || l.Shared != 48 ||
			l.StreamOrExtra || string(l.Params) != string(want) {
			t.Errorf("launch recorded as %+v, want fill_iota 70000×256, 48 bytes shared, params %x", l, want)
		}
		for _, bad := range [][3]int{{0, 1, 0}, {1, 0, 0}, {1, 1025, 0}, {1, 1, -1}} {
			if err := r.Launch(f, bad[0], bad[1], bad[2], unsafe.Pointer(args)); err == nil {
				t.Errorf("Launch(%v) succeeded", bad)
			}
		}
		if err := r.Launch(Function{}, 1, 1, 0, unsafe.Pointer(args)); err == nil {
			t.Error("Launch of the zero Function succeeded")
		}
		allocs := testing.AllocsPerRun(200, func() { r.Launch(f, 1, 32, 0, unsafe.Pointer(args)) })
		batched := testing.AllocsPerRun(20, func() {
			r.Do(func(c *Ctx) error {
				for i := 0; i < 100; i++ {
					c.Launch(f, 1, 32, 0, unsafe.Pointer(args))
				}
				return nil
			})
		}) / 100
		t.Logf("allocations per launch: %v (Runtime.Launch), %v (in Do)", allocs, batched)
		if allocs > 0 || batched > 0 {
			t.Errorf("a launch allocates %v times (%v in Do), want 0", allocs, batched)
		}
		if err := m.Unload(); err != nil {
			t.Fatal(err)
		}
		if err := m.Unload(); err != nil {
			t.Fatalf("second Unload: %v", err)
		}
		if _, err := m.Function("fill_iota"); err == nil {
			t.Error("Function of an unloaded module succeeded")
		}
	})
	t.Run("ConcurrentUse", func(t *testing.T) {
		// Goroutines on different threads share the Runtime: every call
		// must make the context current on its own thread.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread() // a fresh thread for each, at times
				defer runtime.UnlockOSThread()
				for i := 0; i < 50; i++ {
					p, err := r.Alloc(64)
					if err == nil {
						err = r.Memset32(p, uint32(i), 16)
					}
					if err == nil {
						err = r.Free(p)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.Alloc(4); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Alloc after Close: %v", err)
	}
	c, err := cudatest.ReadCounts()
	if err != nil {
		t.Fatal(err)
	}
	if c.Allocs != 0 || c.Modules != 0 || c.Contexts != 0 {
		t.Errorf("after Close the fake holds %d allocations, %d modules, %d context references", c.Allocs, c.Modules, c.Contexts)
	}
}
