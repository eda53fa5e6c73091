package emu_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/gpu/internal/emu"
)

// What the emulator checks, and what it cannot.
//
// The emulator compiles gpu/kernels/kernels.cu, the source of the
// embedded PTX, as C++ and runs it with the same launch shapes. Every
// kernel uses only IEEE-754 float and double +, −, ×, ÷, sqrt,
// conversions and comparisons (no fused multiply-adds: build.sh passes
// -ffp-contract=off and the PTX has mul.rn/add.rn, which ptxas does not
// fuse; no approximate instruction such as ex2.approx: the exponential,
// logarithm and tanh are written out in kernels.cu), so a correct
// compiler on each side computes the same bits, and these tests compare
// the emulator with the Go reference kernels of gpu.Host as follows:
//
//   - Exactly (same bits; any NaN matches any NaN, never a number) for
//     every kernel except KUnary's transcendental ops: the data movement
//     and conv kernels compute the same expressions; the reductions add
//     in the same order on both sides (gpu/hostkernels.go's blockSum
//     replays a block's strided partial sums and shared-memory tree), and
//     KColScatter adds in the same order; the optimizer and batch norm
//     kernels round the same operations in the same order.
//   - KUnary exp, log, log1p, expm1, tanh, sigmoid and softplus: the Host
//     runs Gorgonia's float32 functions (chewxy/math32, or float64 math
//     rounded), the kernels their own formulas; unaryTol below gives the
//     bound per op and why. TestUnaryAccuracy measures both against
//     float64 references.
//
// What it cannot check: the PTX itself (clang's code generation, the
// driver's JIT, the real launch and memory model: run the device checks
// for that); that the hardware's div.rn, sqrt.rn, rcp.rn and cvt are the
// IEEE operations of the CPU (PTX specifies them so); warp-level timing
// (the kernels use no warp intrinsics, and the threaded launches run
// each block's threads concurrently with real barriers, so a missing
// __syncthreads can show up here as a wrong sum but is not guaranteed
// to).

func skipWithoutCgo(t *testing.T) {
	t.Helper()
	if !emu.Available {
		t.Skip("the CUDA C emulator needs cgo (CGO_ENABLED=1 and a C++20 compiler)")
	}
}

var (
	nan  = float32(math.NaN())
	inf  = float32(math.Inf(1))
	ninf = float32(math.Inf(-1))
	negz = float32(math.Copysign(0, -1))
)

// launch is one kernel launch with its initial buffers.
type launch struct {
	k      gpu.Kernel
	ints   []int32
	floats []float32
	bufs   [][]float32
	grid   int // elementwise: 0 for k.Grid, else this many blocks
}

func (l *launch) params() gpu.Params {
	var p gpu.Params
	copy(p.I[:], l.ints)
	copy(p.F[:], l.floats)
	return p
}

// onHost runs l on a gpu.Host and returns the buffers afterwards.
func onHost(t *testing.T, l *launch) [][]float32 {
	t.Helper()
	h := gpu.NewHost()
	defer h.Close()
	p := l.params()
	for j, s := range l.bufs {
		b, err := h.Alloc(max(1, len(s)))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Upload(gpu.Ptr{Buf: b}, s); err != nil {
			t.Fatal(err)
		}
		p.P[j] = gpu.Ptr{Buf: b}
	}
	if err := h.Launch(l.k, &p); err != nil {
		t.Fatalf("host: %v", err)
	}
	out := make([][]float32, len(l.bufs))
	for j, s := range l.bufs {
		out[j] = make([]float32, len(s))
		if err := h.Download(out[j], p.P[j]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// onEmu runs l in the emulator and returns the buffers afterwards.
func onEmu(t *testing.T, l *launch, threaded bool) [][]float32 {
	t.Helper()
	gp := l.params()
	var p emu.Params
	p.I, p.F = gp.I, gp.F
	mems := make([]*emu.Mem, len(l.bufs))
	for j, s := range l.bufs {
		m, err := emu.Alloc(max(1, len(s)))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Free()
		copy(m.Floats(), s)
		mems[j], p.P[j] = m, m.Addr(0)
	}
	grid, block := l.k.Grid(&gp)
	if l.grid > 0 && !l.k.Info().Reduction {
		grid = l.grid
	}
	if err := emu.Launch(l.k.Info().Name, grid, block, &p, threaded); err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(l.bufs))
	for j, s := range l.bufs {
		out[j] = append([]float32(nil), mems[j].Floats()[:len(s)]...)
	}
	return out
}

// same reports whether a and b are the same float32: the same bits, or
// both NaN.
func same(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// ulpDiff is |a − b| in units of the last place of b (float32, with the
// subnormal spacing as the least), infinite when one is NaN or infinite
// and the other not the same.
func ulpDiff(a, b float32) float64 {
	if same(a, b) {
		return 0
	}
	if a != a || b != b || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return math.Inf(1)
	}
	return math.Abs(float64(a)-float64(b)) / ulp(float64(b))
}

// ulp is the spacing of float32 at v.
func ulp(v float64) float64 {
	v = math.Abs(v)
	if v < 0x1p-126 {
		return 0x1p-149
	}
	_, e := math.Frexp(v) // v = f·2^e, f in [0.5, 1)
	return math.Ldexp(1, e-24)
}

// compare checks got against want, element by element, exactly unless
// tol (a function of the input index's expected value) allows more.
func compare(t *testing.T, what string, got, want []float32, tol func(i int) float64) {
	t.Helper()
	bad := 0
	for i := range want {
		ok := same(got[i], want[i])
		if !ok && tol != nil {
			ok = ulpDiff(got[i], want[i]) <= tol(i)
		}
		if !ok {
			if bad < 5 {
				t.Errorf("%s: [%d] emulator %v (%#08x), host %v (%#08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d mismatches in all", what, bad)
	}
}

// check runs l on the Host and in the emulator, sequentially and, if
// threaded, also on real threads, and compares every buffer.
func check(t *testing.T, what string, l *launch, threaded bool, tol func(buf, i int) float64) {
	t.Helper()
	want := onHost(t, l)
	modes := []bool{l.k.Info().Reduction}
	if threaded && !l.k.Info().Reduction {
		modes = append(modes, true)
	}
	for _, th := range modes {
		got := onEmu(t, l, th)
		for j := range want {
			var f func(int) float64
			if tol != nil {
				f = func(i int) float64 { return tol(j, i) }
			}
			compare(t, fmt.Sprintf("%s (threaded %v) P[%d]", what, th, j), got[j], want[j], f)
		}
	}
}

// sizes are the element counts (or reduced lengths) tested: around and
// away from multiples of the block size.
var sizes = []int{1, 255, 257, 1000, 4097}

// data returns n random values of magnitude about scale, with, if
// specials, a few NaN, ±Inf and ±0 among them.
func data(rng *rand.Rand, n int, scale float64, specials bool) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(scale * rng.NormFloat64())
	}
	if specials && n >= 8 {
		for _, v := range []float32{nan, inf, ninf, negz, 0} {
			s[rng.IntN(n)] = v
		}
	}
	return s
}

// padded returns s followed by a few sentinel values, so that a kernel
// writing past its range is caught.
func padded(s []float32) []float32 {
	return append(append([]float32(nil), s...), 12345, -54321, 7)
}

func TestParamsLayout(t *testing.T) {
	skipWithoutCgo(t)
	if got := emu.ParamsSize(); got != 160 {
		t.Fatalf("sizeof(Params) = %d, want 160", got)
	}
}

// TestSourcesStamp checks that the emulator was built from the kernel
// sources on disk. The go command does not track headers outside a cgo
// package's directory, so a change to kernels.cu alone would not rebuild
// the emulator; build.sh stamps the sources' hash into stamp.h, which it
// does track.
func TestSourcesStamp(t *testing.T) {
	skipWithoutCgo(t)
	h := sha256.New()
	for _, f := range []string{"kernels.cu", "device.h", "host.h"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "kernels", f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	if got, want := emu.SourcesSHA256(), hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("the emulator was built from other kernel sources (stamp %s, sources %s): run `go generate ./gpu`", got, want)
	}
}

func TestEveryKernelLaunches(t *testing.T) {
	skipWithoutCgo(t)
	m, err := emu.Alloc(1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	for _, k := range gpu.Kernels() {
		var p emu.Params
		for j := range p.P {
			p.P[j] = m.Addr(0)
		}
		p.I[1], p.I[2], p.I[3] = 1, 1, 1 // no division by zero
		for j := 4; j < 13; j++ {
			p.I[j] = 1
		}
		grid := 1
		if k.Info().Reduction {
			grid = 0
		}
		if err := emu.Launch(k.Info().Name, grid, 256, &p, k.Info().Reduction); err != nil {
			t.Errorf("%v: %v", k, err)
		}
	}
	if err := emu.Launch("gg_nope", 1, 1, &emu.Params{}, false); err == nil {
		t.Error("unknown kernel launched")
	}
	if err := emu.Launch("gg_fill", 1, 0, &emu.Params{}, false); err == nil {
		t.Error("block of 0 threads launched")
	}
	// A reduction kernel synchronises: run sequentially, it is refused.
	var p emu.Params
	p.P[0], p.P[1] = m.Addr(0), m.Addr(0)
	p.I[0], p.I[1], p.I[2] = 1, 1, 1
	if err := emu.Launch("gg_sum_outer", 1, 256, &p, false); err == nil {
		t.Error("sequential launch of a synchronising kernel succeeded")
	}
}

func TestElementwise(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range sizes {
		th := n <= 1000
		x := data(rng, n, 2, true)
		ni := int32(n)
		check(t, fmt.Sprintf("fill n=%d", n), &launch{k: gpu.KFill, ints: []int32{ni}, floats: []float32{-1.5},
			bufs: [][]float32{padded(data(rng, n, 1, false))}}, th, nil)
		check(t, fmt.Sprintf("copy n=%d", n), &launch{k: gpu.KCopy, ints: []int32{ni},
			bufs: [][]float32{padded(make([]float32, n)), x}}, th, nil)
		// A grid of one block: every thread loops.
		check(t, fmt.Sprintf("copy n=%d grid 1", n), &launch{k: gpu.KCopy, ints: []int32{ni}, grid: 1,
			bufs: [][]float32{padded(make([]float32, n)), x}}, false, nil)
		for op := gpu.OpAdd; op <= gpu.OpNe; op++ {
			for _, st := range [][2]int32{{1, 1}, {0, 1}, {1, 0}} {
				a, b := data(rng, n, 2, true), data(rng, n, 2, true)
				if op >= gpu.OpGt { // some equal pairs for the comparisons
					for i := 0; i < n; i += 3 {
						b[i] = a[i]
					}
				}
				if st[0] == 0 {
					a = a[:1]
				}
				if st[1] == 0 {
					b = b[:1]
				}
				check(t, fmt.Sprintf("binary op %d strides %v n=%d", op, st, n), &launch{k: gpu.KBinary,
					ints: []int32{ni, int32(op), st[0], st[1]}, bufs: [][]float32{padded(make([]float32, n)), a, b}}, th && n == 257, nil)
			}
		}
		for _, slope := range []float32{0, 0.2} {
			check(t, fmt.Sprintf("leaky n=%d slope %v", n, slope), &launch{k: gpu.KLeakyReLU, ints: []int32{ni}, floats: []float32{slope},
				bufs: [][]float32{padded(make([]float32, n)), x}}, th, nil)
			check(t, fmt.Sprintf("leaky grad n=%d slope %v", n, slope), &launch{k: gpu.KLeakyReLUGrad, ints: []int32{ni}, floats: []float32{slope},
				bufs: [][]float32{padded(make([]float32, n)), x, data(rng, n, 1, true)}}, th, nil)
		}
		check(t, fmt.Sprintf("add bias n=%d", n), &launch{k: gpu.KAddBias, ints: []int32{ni, 3, 7},
			bufs: [][]float32{padded(make([]float32, n)), x, data(rng, 3, 1, false)}}, th, nil)
		check(t, fmt.Sprintf("clamp n=%d", n), &launch{k: gpu.KClamp, ints: []int32{ni}, floats: []float32{-1, 0.5},
			bufs: [][]float32{padded(x)}}, th, nil)
		check(t, fmt.Sprintf("check finite n=%d", n), &launch{k: gpu.KCheckFinite, ints: []int32{ni, 1},
			bufs: [][]float32{make([]float32, 3), x}}, th, nil)
		check(t, fmt.Sprintf("check finite clean n=%d", n), &launch{k: gpu.KCheckFinite, ints: []int32{ni, 2},
			bufs: [][]float32{make([]float32, 3), data(rng, n, 1, false)}}, false, nil)
	}
}

func TestIndexing(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range sizes {
		th := n <= 1000
		ni := int32(n)
		// Repeat: x [A, 5], R = 3; y has n elements (not always a multiple).
		R, B := 3, 5
		A := (n + R*B - 1) / (R * B)
		check(t, fmt.Sprintf("repeat n=%d", n), &launch{k: gpu.KRepeat, ints: []int32{ni, int32(R), int32(B)},
			bufs: [][]float32{padded(make([]float32, n)), data(rng, A*B, 1, true)}}, th, nil)
		// Concat/slice: part [A, 2, 7] at offset 2 of [A, 5, 7].
		C, B2, Ctot, off := 2, 7, 5, 2
		A = (n + C*B2 - 1) / (C * B2)
		whole := data(rng, A*Ctot*B2, 1, true)
		check(t, fmt.Sprintf("concat n=%d", n), &launch{k: gpu.KConcatPart, ints: []int32{ni, int32(C), int32(B2), int32(Ctot), int32(off)},
			bufs: [][]float32{padded(whole), data(rng, n, 1, true)}}, th, nil)
		check(t, fmt.Sprintf("slice n=%d", n), &launch{k: gpu.KSlicePart, ints: []int32{ni, int32(C), int32(B2), int32(Ctot), int32(off)},
			bufs: [][]float32{padded(make([]float32, n)), whole}}, th, nil)
	}
	for _, d := range [][3]int{{1, 1, 1}, {3, 5, 17}, {257, 1, 1}, {10, 10, 10}, {17, 241, 1}, {1, 4097, 1}} {
		n := d[0] * d[1] * d[2]
		check(t, fmt.Sprintf("transpose %v", d), &launch{k: gpu.KTranspose01, ints: []int32{int32(n), int32(d[0]), int32(d[1]), int32(d[2])},
			bufs: [][]float32{padded(make([]float32, n)), data(rng, n, 1, true)}}, n <= 1000, nil)
	}
}

// convGeoms are transposed-convolution geometries: DCGAN's 7→14 and 1→4,
// and non-square, odd ones.
var convGeoms = []gpu.Geom{
	{N: 3, Cout: 5, H: 7, W: 7, Hout: 14, Wout: 14, KH: 4, KW: 4, SH: 2, SW: 2, PH: 1, PW: 1},
	{N: 2, Cout: 3, H: 1, W: 1, Hout: 4, Wout: 4, KH: 4, KW: 4, SH: 1, SW: 1},
	{N: 2, Cout: 3, H: 5, W: 3, Hout: 10, Wout: 6, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1},
	{N: 2, Cout: 2, H: 4, W: 6, Hout: 13, Wout: 6, KH: 2, KW: 5, SH: 3, SW: 1, PH: 0, PW: 2},
	{N: 1, Cout: 2, H: 6, W: 5, Hout: 7, Wout: 9, KH: 2, KW: 3, SH: 2, SW: 3, PH: 3, PW: 4},
}

func TestConv(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(3, 3))
	for _, g := range convGeoms {
		ny := g.N * g.Cout * g.Hout * g.Wout
		nc := g.Cout * g.KH * g.KW * g.N * g.H * g.W
		var p gpu.Params
		g.SetInts(&p)
		ints := func(n int) []int32 { p.I[0] = int32(n); return append([]int32(nil), p.I[:13]...) }
		check(t, fmt.Sprintf("col gather %+v", g), &launch{k: gpu.KColGather, ints: ints(nc),
			bufs: [][]float32{padded(make([]float32, nc)), data(rng, ny, 1, true)}}, nc <= 2000, nil)
		check(t, fmt.Sprintf("col scatter %+v", g), &launch{k: gpu.KColScatter, ints: ints(ny),
			bufs: [][]float32{padded(make([]float32, ny)), data(rng, nc, 1, true)}}, ny <= 1000, nil)
	}
}

// shapes2 returns [A, B] pairs with A·B = n for the reductions.
func shapes2(n int) [2]int {
	switch n {
	case 1000:
		return [2]int{8, 125}
	case 4097:
		return [2]int{17, 241}
	case 257:
		return [2]int{257, 1}
	}
	return [2]int{1, n}
}

func TestReductions(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range sizes {
		for _, specials := range []bool{false, true} {
			ab := shapes2(n)
			K := 3
			x := data(rng, ab[0]*K*ab[1], 3, specials)
			for i := range x {
				x[i] += 1 // a mean away from 0
			}
			check(t, fmt.Sprintf("sum outer n=%d specials %v", n, specials), &launch{k: gpu.KSumOuter,
				ints: []int32{int32(K), int32(ab[0]), int32(ab[1])}, bufs: [][]float32{padded(make([]float32, K)), x}}, false, nil)
			// [2, n, 3] summed over the middle axis: 6 outputs.
			check(t, fmt.Sprintf("sum mid n=%d specials %v", n, specials), &launch{k: gpu.KSumMid,
				ints: []int32{6, int32(n), 3}, bufs: [][]float32{padded(make([]float32, 6)), data(rng, 2*n*3, 1, specials)}}, false, nil)

			// Batch norm over [N, C, inner] with N·inner = n.
			N, inner, C := ab[0], ab[1], 3
			bn := []int32{int32(C), int32(N), int32(inner)}
			mean := onHost(t, &launch{k: gpu.KBNMean, ints: bn, bufs: [][]float32{make([]float32, C), x}})[0]
			vr := onHost(t, &launch{k: gpu.KBNVar, ints: bn, bufs: [][]float32{make([]float32, C), x, mean}})[0]
			dy := data(rng, len(x), 1, specials)
			check(t, fmt.Sprintf("bn mean n=%d specials %v", n, specials), &launch{k: gpu.KBNMean, ints: bn,
				bufs: [][]float32{padded(make([]float32, C)), x}}, false, nil)
			check(t, fmt.Sprintf("bn var n=%d specials %v", n, specials), &launch{k: gpu.KBNVar, ints: bn,
				bufs: [][]float32{padded(make([]float32, C)), x, mean}}, false, nil)
			eps := []float32{1e-5}
			check(t, fmt.Sprintf("bn grad sums n=%d specials %v", n, specials), &launch{k: gpu.KBNGradSums, ints: bn, floats: eps,
				bufs: [][]float32{padded(make([]float32, 2*C)), x, mean, vr, dy}}, false, nil)
			sums := onHost(t, &launch{k: gpu.KBNGradSums, ints: bn, floats: eps, bufs: [][]float32{make([]float32, 2*C), x, mean, vr, dy}})[0]
			scale, shift := data(rng, C, 1, false), data(rng, C, 1, false)
			nx := int32(len(x))
			check(t, fmt.Sprintf("bn forward n=%d specials %v", n, specials), &launch{k: gpu.KBNForward,
				ints: []int32{nx, int32(C), int32(inner)}, floats: eps,
				bufs: [][]float32{padded(make([]float32, len(x))), x, mean, vr, scale, shift}}, len(x) <= 1000, nil)
			check(t, fmt.Sprintf("bn grad input n=%d specials %v", n, specials), &launch{k: gpu.KBNGradInput,
				ints: []int32{nx, int32(C), int32(inner), int32(N * inner)}, floats: eps,
				bufs: [][]float32{padded(make([]float32, len(x))), x, mean, vr, scale, sums, dy}}, len(x) <= 1000, nil)
		}
		check(t, fmt.Sprintf("bn running C=%d", n), &launch{k: gpu.KBNRunning, ints: []int32{int32(n)}, floats: []float32{0.1, float32(10.0 / 9)},
			bufs: [][]float32{padded(data(rng, n, 1, false)), padded(data(rng, n, 1, false)), data(rng, n, 1, true), data(rng, n, 1, true)}}, n <= 1000, nil)
	}
}

func TestOptimizers(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range sizes {
		th := n <= 1000
		ni := int32(n)
		state := func() [][]float32 {
			return [][]float32{padded(data(rng, n, 1, false)), data(rng, n, 1, true), padded(data(rng, n, 0.1, false)), padded(data(rng, n, 0.01, false))}
		}
		for i := range 2 {
			bufs := state()
			for j := range bufs[3] {
				bufs[3][j] = float32(math.Abs(float64(bufs[3][j]))) // v ≥ 0
			}
			bc1, bc2 := 1-math.Pow(0.5, float64(i+1)), 1-math.Pow(0.999, float64(i+1))
			f := []float32{0.5, 0.5, 0.999, float32(1 - 0.999), float32(2e-4 / bc1), float32(1 / math.Sqrt(bc2)), 1e-8}
			check(t, fmt.Sprintf("adam n=%d step %d", n, i+1), &launch{k: gpu.KAdam, ints: []int32{ni}, floats: f, bufs: bufs}, th, nil)
		}
		for _, c := range []struct {
			nest   int32
			lr, mu float32
		}{{0, 0.01, 0}, {0, 0.01, 0.9}, {1, 0.01, 0.9}} {
			b := state()[:3]
			check(t, fmt.Sprintf("sgd n=%d %+v", n, c), &launch{k: gpu.KSGD, ints: []int32{ni, c.nest}, floats: []float32{c.lr, c.mu}, bufs: b}, th, nil)
		}
		b := state()[:3]
		for j := range b[2] {
			b[2][j] = float32(math.Abs(float64(b[2][j])))
		}
		check(t, fmt.Sprintf("rmsprop n=%d", n), &launch{k: gpu.KRMSProp, ints: []int32{ni}, floats: []float32{5e-5, 0.99, 1e-8}, bufs: b}, th, nil)
	}
}

// unaryRef is a float64 reference for a transcendental KUnary op, with
// Gorgonia's cut-offs where its float32 function has them (the kernels
// keep them), and the kernel's error bound in ulps, which
// TestUnaryAccuracy checks over dense sweeps.
type unaryRef struct {
	f     func(float64) float64
	bound float64
}

var unaryRefs = map[gpu.UnaryOp]unaryRef{
	gpu.OpExp:   {math.Exp, 1.5},
	gpu.OpLog:   {math.Log, 1},
	gpu.OpLog1p: {math.Log1p, 2.5},
	gpu.OpExpm1: {math.Expm1, 2.5},
	gpu.OpTanh:  {math.Tanh, 1.5},
	gpu.OpSigmoid: {func(v float64) float64 {
		switch {
		case v < -88:
			return 0
		case v > 15:
			return 1
		}
		return 1 / (1 + math.Exp(-v))
	}, 2.5},
	gpu.OpSoftplus: {func(v float64) float64 {
		switch {
		case v < -103:
			return 0
		case v > 14:
			return v
		}
		return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
	}, 3},
}

// unaryTol is the agreement, in float32 ulps of the Host's value, of the
// emulated KUnary with the Host's (Gorgonia's) float32 functions, for the
// ops that are not exactly rounded IEEE operations; the others must agree
// exactly. Each bound is the sum of the two sides' errors measured by
// TestUnaryAccuracy, rounded up:
//
//   - exp: math32.Exp (Gorgonia's eˣ, assembly on amd64) is off by up to
//     117 ulps (1.4e-5 relative) for |x| up to 87 (its float32 range
//     reduction; measured over 4M points), the kernel by ≤ 1.5 ulps.
//   - tanh: math32.Tanh goes through math32.Exp for |x| ≥ 0.625, which
//     costs it a few ulps; below that both run the same polynomial, the
//     same operations, and agree exactly.
//   - log, log1p, expm1, sigmoid, softplus: both sides within 3 ulps.
var unaryTol = map[gpu.UnaryOp]float64{
	gpu.OpExp:      200,
	gpu.OpLog:      4,
	gpu.OpLog1p:    4,
	gpu.OpExpm1:    4,
	gpu.OpSigmoid:  4,
	gpu.OpSoftplus: 4,
	gpu.OpTanh:     8,
}

// gorgoniaWrong reports whether x is where Gorgonia's float32 function
// for op (which the Host reproduces) is wrong, and the kernel is then
// checked against the float64 reference instead of the Host:
//
//   - exp beyond ±87: math32.Exp (amd64) gives 0 for subnormal results
//     (x < −87.34), +Inf from about 88.7 on where eˣ is still finite, and
//     0 for huge x (3e38);
//   - log of a subnormal: math32.Log (amd64) returns about −88 for any;
//   - expm1 beyond 88: math32.Expm1 returns NaN for x ≥ 88.73 or so.
func gorgoniaWrong(op gpu.UnaryOp, x float32) bool {
	switch op {
	case gpu.OpExp:
		return x < -87 || x > 87
	case gpu.OpLog:
		return x > 0 && x < 0x1p-126
	case gpu.OpExpm1:
		return x > 88
	}
	return false
}

// unaryInputs returns inputs for the unary ops: specials, the cut-off
// points of Gorgonia's functions and of the kernels' formulas, and random
// values of every magnitude.
func unaryInputs(rng *rand.Rand, n int) []float32 {
	x := []float32{0, negz, nan, inf, ninf, 1, -1, 0.625, -0.625, 14, 14.000001, -103, -103.00001, 15, 16, -88, -88.00001,
		44, 45, 88.72, 88.73, 89, -87.3, -103.97, -104, 1e-30, -1e-30, 1e-40, -1e-40, 0x1p-149, 3e38, -3e38, 0.3465, -0.3466, 1e-7, -1e-7}
	for len(x) < n {
		switch rng.IntN(3) {
		case 0:
			x = append(x, float32(rng.Float64()*200-100))
		case 1:
			x = append(x, float32(rng.NormFloat64()*3))
		default:
			x = append(x, float32(math.Copysign(math.Exp(rng.Float64()*180-90), rng.Float64()-0.5)))
		}
	}
	return x[:n]
}

// refCheck reports whether got is within bound ulps of the float64
// reference w (NaN matching NaN, an overflowing reference matching +Inf
// or −Inf).
func refCheck(got float32, w, bound float64) bool {
	switch {
	case math.IsNaN(w):
		return got != got
	case math.Abs(w) > math.MaxFloat32*(1+0x1p-25):
		return math.IsInf(float64(got), int(math.Copysign(1, w)))
	}
	return math.Abs(float64(got)-w)/ulp(w) <= bound
}

func TestUnary(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range sizes {
		x := unaryInputs(rng, n)
		for op := gpu.OpNeg; op <= gpu.OpInverseSqrt; op++ {
			l := &launch{k: gpu.KUnary, ints: []int32{int32(n), int32(op)}, bufs: [][]float32{padded(make([]float32, n)), x}}
			want := onHost(t, l)
			modes := []bool{false}
			if n == 257 {
				modes = append(modes, true)
			}
			for _, th := range modes {
				got := onEmu(t, l, th)
				compare(t, fmt.Sprintf("unary op %d n=%d (threaded %v) x", op, n, th), got[1], want[1], nil)
				tol, approx := unaryTol[op]
				bad := 0
				for i, g := range got[0] {
					h := want[0][i]
					ok := same(g, h)
					switch {
					case ok:
					case i < n && gorgoniaWrong(op, x[i]):
						ok = refCheck(g, unaryRefs[op].f(float64(x[i])), unaryRefs[op].bound)
					case approx && i < n:
						ok = ulpDiff(g, h) <= tol
					}
					if !ok {
						if bad < 5 {
							t.Errorf("unary op %d n=%d: x = %v: emulator %v, host %v", op, n, x[min(i, n-1)], g, h)
						}
						bad++
					}
				}
			}
		}
	}
}

// TestUnaryAccuracy measures the kernels' transcendental functions (as
// emulated: the same IEEE operations the GPU runs) and the Host's
// (Gorgonia's) against float64 references over dense sweeps, and checks
// the kernels' bounds (unaryRefs). Run with -v to see the measured
// errors; EMU_SWEEP=n sets the sweep length (default 2^17).
func TestUnaryAccuracy(t *testing.T) {
	skipWithoutCgo(t)
	n := 1 << 17
	if v := os.Getenv("EMU_SWEEP"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	sweeps := []struct {
		name string
		gen  func(i int) float32
	}{
		{"wide", func(i int) float32 { return float32(-104 + 193*float64(i)/float64(n)) }},
		{"small", func(i int) float32 { return float32(-3 + 6*float64(i)/float64(n)) }},
		{"tiny", func(i int) float32 {
			return float32(math.Copysign(math.Exp(-40+45*rng.Float64()), rng.Float64()-0.5))
		}},
	}
	ops := []gpu.UnaryOp{gpu.OpExp, gpu.OpLog, gpu.OpLog1p, gpu.OpExpm1, gpu.OpTanh, gpu.OpSigmoid, gpu.OpSoftplus}
	for _, sw := range sweeps {
		x := make([]float32, n)
		for i := range x {
			x[i] = sw.gen(i)
		}
		for _, op := range ops {
			r := unaryRefs[op]
			in := x
			if op == gpu.OpLog { // positive arguments over the same range of results
				in = make([]float32, n)
				for i, v := range x {
					in[i] = float32(math.Exp(float64(v)))
					if sw.name == "tiny" {
						in[i] = float32(math.Abs(float64(v)))
					}
				}
			}
			l := &launch{k: gpu.KUnary, ints: []int32{int32(n), int32(op)}, bufs: [][]float32{make([]float32, n), in}}
			got := onEmu(t, l, false)[0]
			host := onHost(t, l)[0]
			var worstK, worstH float64
			var atK, atH float32
			for i, v := range in {
				w := r.f(float64(v))
				if !refCheck(got[i], w, r.bound) {
					t.Errorf("op %d: x = %v: kernel %v, float64 reference %v (bound %v ulp)", op, v, got[i], w, r.bound)
				}
				if math.IsNaN(w) || math.Abs(w) >= math.MaxFloat32 {
					continue
				}
				if e := math.Abs(float64(got[i])-w) / ulp(w); e > worstK {
					worstK, atK = e, v
				}
				if e := math.Abs(float64(host[i])-w) / ulp(w); e > worstH && !gorgoniaWrong(op, v) {
					worstH, atH = e, v
				}
			}
			t.Logf("op %2d sweep %-5s: kernel max error %.2f ulp (at %v); host (Gorgonia, outside its wrong ranges) %.2f ulp (at %v)",
				op, sw.name, worstK, atK, worstH, atH)
		}
	}
}
