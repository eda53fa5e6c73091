//go:build cu

package cudatest_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/gogan/gogan/cuda"
	"github.com/gogan/gogan/cuda/cudatest"
	"github.com/gogan/gogan/gpu"
)

// TestFakeExecutesKernels: RunKernels's fake runs what the CUDA device
// launches. Kernels of every shape (elementwise with a grid-stride loop
// and offsets, the reductions that synchronise, batch norm, an
// optimizer) give, through Go, purego, the driver API and the emulated
// kernels.cu, bit for bit what the Host's Go reference kernels give
// (none of them is a transcendental unary op, where the two differ by
// design); a launch of a kernel the emulator lacks fails.
func TestFakeExecutesKernels(t *testing.T) {
	if !cudatest.InFake() {
		cudatest.RunKernels(t)
		return
	}
	if !cudatest.ExecutesKernels() {
		t.Fatal("child of RunKernels without GOGAN_FAKE_CUDA_KERNELS=1")
	}
	if ok, err := cudatest.FakeExecutes(); err != nil || !ok {
		t.Fatalf("FakeExecutes() = %v, %v: the fake was built without the emulator", ok, err)
	}
	dev, err := gpu.OpenCUDA(0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	host := gpu.NewHost()
	defer host.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	before, _ := cudatest.ReadCounts()

	type launch struct {
		name string
		k    gpu.Kernel
		n    []int // buffer sizes
		off  []int // element offsets of the pointers (nil: 0)
		pos  []bool
		I    []int32
		F    []float32
	}
	big := gpu.ElementBlock*gpu.MaxGrid + 333 // past the grid cap: the grid-stride loop
	const A, K, B = 3, 7, 300
	launches := []launch{
		{name: "fill grid-stride", k: gpu.KFill, n: []int{big}, I: []int32{int32(big)}, F: []float32{-1.25}},
		{name: "binary add at offsets", k: gpu.KBinary, n: []int{1000, 1010, 1003}, off: []int{0, 10, 3}, I: []int32{997, int32(gpu.OpAdd), 1, 1}},
		{name: "binary div by a scalar", k: gpu.KBinary, n: []int{513, 513, 1}, I: []int32{513, int32(gpu.OpDiv), 1, 0}},
		{name: "unary square", k: gpu.KUnary, n: []int{300, 300}, I: []int32{300, int32(gpu.OpSquare)}},
		{name: "leaky relu", k: gpu.KLeakyReLU, n: []int{777, 777}, I: []int32{777}, F: []float32{0.2}},
		{name: "transpose", k: gpu.KTranspose01, n: []int{5 * 9 * 11, 5 * 9 * 11}, I: []int32{5 * 9 * 11, 5, 9, 11}},
		{name: "sum outer (threaded)", k: gpu.KSumOuter, n: []int{K, A * K * B}, I: []int32{K, A, B}},
		{name: "sum mid (threaded)", k: gpu.KSumMid, n: []int{A * B, A * K * B}, I: []int32{A * B, K, B}},
		{name: "bn mean (threaded)", k: gpu.KBNMean, n: []int{K, A * K * B}, I: []int32{K, A, B}},
		{name: "bn var (threaded)", k: gpu.KBNVar, n: []int{K, A * K * B, K}, I: []int32{K, A, B}},
		{name: "bn forward", k: gpu.KBNForward, n: []int{A * K * B, A * K * B, K, K, K, K}, pos: []bool{false, false, false, true},
			I: []int32{A * K * B, K, B}, F: []float32{1e-5}},
		{name: "adam", k: gpu.KAdam, n: []int{999, 999, 999, 999}, pos: []bool{false, false, false, true}, I: []int32{999},
			F: []float32{0.9, 0.1, 0.999, 0.001, 2e-4, 1.0001, 1e-8}},
	}
	for _, l := range launches {
		var pd, ph gpu.Params
		var bd, bh []gpu.Buffer
		for j, n := range l.n {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				if j < len(l.pos) && l.pos[j] {
					x[i] = float32(math.Abs(float64(x[i]))) + 0.05
				}
			}
			d, err := dev.Alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			h, err := host.Alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			if err := dev.Upload(gpu.Ptr{Buf: d}, x); err != nil {
				t.Fatal(err)
			}
			if err := host.Upload(gpu.Ptr{Buf: h}, x); err != nil {
				t.Fatal(err)
			}
			off := 0
			if l.off != nil {
				off = l.off[j]
			}
			pd.P[j], ph.P[j] = gpu.Ptr{Buf: d, Off: off}, gpu.Ptr{Buf: h, Off: off}
			bd, bh = append(bd, d), append(bh, h)
		}
		copy(pd.I[:], l.I)
		copy(pd.F[:], l.F)
		ph.I, ph.F = pd.I, pd.F
		if err := host.Launch(l.k, &ph); err != nil {
			t.Fatalf("%s on the Host: %v", l.name, err)
		}
		if err := dev.Launch(l.k, &pd); err != nil {
			t.Fatalf("%s on the fake: %v", l.name, err)
		}
		for j, n := range l.n {
			got, want := make([]float32, n), make([]float32, n)
			if err := dev.Download(got, gpu.Ptr{Buf: bd[j]}); err != nil {
				t.Fatal(err)
			}
			if err := host.Download(want, gpu.Ptr{Buf: bh[j]}); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					if bad < 3 {
						t.Errorf("%s: P[%d][%d] = %v on the fake, %v on the Host", l.name, j, i, got[i], want[i])
					}
					bad++
				}
			}
		}
		for j := range bd {
			dev.Free(bd[j])
			host.Free(bh[j])
		}
	}
	after, err := cudatest.ReadCounts()
	if err != nil {
		t.Fatal(err)
	}
	if ran, launched := after.Executed-before.Executed, after.Launches-before.Launches; ran != len(launches) || launched != len(launches) {
		t.Errorf("the fake launched %d kernels and ran %d, want %d", launched, ran, len(launches))
	}

	// The fake's SGEMM rounds as gonum's, the Host's (testdata/fakecuda.c).
	for trial := 0; trial < 40; trial++ {
		sizes := []int{1, 2, 3, 5, 16, 17, 31, 64, 65, 100, 130}
		g := gpu.GemmArgs{TransA: trial&1 != 0, TransB: trial&2 != 0,
			M: sizes[rng.IntN(len(sizes))], N: sizes[rng.IntN(len(sizes))], K: sizes[rng.IntN(len(sizes))],
			Alpha: []float32{1, 1, -0.5, 0}[trial%4], Beta: []float32{0, 0, 1, 0.25}[(trial/4)%4]}
		ar, ac, br, bc := g.M, g.K, g.K, g.N
		if g.TransA {
			ar, ac = ac, ar
		}
		if g.TransB {
			br, bc = bc, br
		}
		g.LDA, g.LDB, g.LDC = ac+rng.IntN(3), bc+rng.IntN(3), g.N+rng.IntN(3)
		offs := [3]int{rng.IntN(5), rng.IntN(5), rng.IntN(5)}
		sizesOf := [3]int{offs[0] + (ar-1)*g.LDA + ac, offs[1] + (br-1)*g.LDB + bc, offs[2] + (g.M-1)*g.LDC + g.N}
		var bd, bh [3]gpu.Buffer
		for j, n := range sizesOf {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			bd[j], _ = dev.Alloc(n)
			bh[j], _ = host.Alloc(n)
			dev.Upload(gpu.Ptr{Buf: bd[j]}, x)
			host.Upload(gpu.Ptr{Buf: bh[j]}, x)
		}
		gd, gh := g, g
		gd.A, gd.B, gd.C = gpu.Ptr{Buf: bd[0], Off: offs[0]}, gpu.Ptr{Buf: bd[1], Off: offs[1]}, gpu.Ptr{Buf: bd[2], Off: offs[2]}
		gh.A, gh.B, gh.C = gpu.Ptr{Buf: bh[0], Off: offs[0]}, gpu.Ptr{Buf: bh[1], Off: offs[1]}, gpu.Ptr{Buf: bh[2], Off: offs[2]}
		if err := dev.Gemm(&gd); err != nil {
			t.Fatal(err)
		}
		if err := host.Gemm(&gh); err != nil {
			t.Fatal(err)
		}
		got, want := make([]float32, sizesOf[2]), make([]float32, sizesOf[2])
		dev.Download(got, gpu.Ptr{Buf: bd[2]})
		host.Download(want, gpu.Ptr{Buf: bh[2]})
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("Gemm %+v offsets %v: c[%d] = %v on the fake, %v on the Host", g, offs, i, got[i], want[i])
				break
			}
		}
		for j := range bd {
			dev.Free(bd[j])
			host.Free(bh[j])
		}
	}

	// A kernel that the emulator does not have fails at launch.
	r, err := cuda.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := r.LoadModule([]byte(".version 7.8\n.target sm_90\n.address_size 64\n\n.visible .entry not_gogan(\n\t.param .align 8 .b8 not_gogan_param_0[160]\n)\n{\n\tret;\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unload()
	f, err := m.Function("not_gogan")
	if err != nil {
		t.Fatal(err)
	}
	var params [160]byte
	if err := r.Launch(f, 1, 32, 0, unsafe.Pointer(&params)); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("launching a kernel the emulator lacks: %v", err)
	}
}
