package gpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/ops"
	"github.com/gogan/gogan/optim"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// launch runs kernel k on a fresh Host with the given integers, floats
// and buffers (one per pointer argument, each uploaded from its slice; an
// empty slice gets a 1-element buffer) and returns the buffers' contents
// afterwards.
func hostLaunch(t *testing.T, k gpu.Kernel, ints []int32, floats []float32, bufs ...[]float32) [][]float32 {
	t.Helper()
	out, err := hostTryLaunch(k, ints, floats, bufs...)
	if err != nil {
		t.Fatalf("%v: %v", k, err)
	}
	return out
}

func hostTryLaunch(k gpu.Kernel, ints []int32, floats []float32, bufs ...[]float32) ([][]float32, error) {
	h := gpu.NewHost()
	defer h.Close()
	var p gpu.Params
	copy(p.I[:], ints)
	copy(p.F[:], floats)
	for j, s := range bufs {
		b, err := h.Alloc(max(1, len(s)))
		if err != nil {
			return nil, err
		}
		if err := h.Upload(gpu.Ptr{Buf: b}, s); err != nil {
			return nil, err
		}
		p.P[j] = gpu.Ptr{Buf: b}
	}
	if err := h.Launch(k, &p); err != nil {
		return nil, err
	}
	out := make([][]float32, len(bufs))
	for j, s := range bufs {
		out[j] = make([]float32, len(s))
		if err := h.Download(out[j], p.P[j]); err != nil {
			return nil, err
		}
	}
	return out, h.Sync()
}

var (
	hNaN     = float32(math.NaN())
	hInf     = float32(math.Inf(1))
	hNInf    = float32(math.Inf(-1))
	hNegZero = float32(math.Copysign(0, -1))
)

// same reports whether a and b are the same float32: equal bits, or both
// NaN.
func hostSame(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func hostCheckSame(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !hostSame(got[i], want[i]) {
			if bad < 8 {
				t.Errorf("%s[%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
			bad++
		}
	}
	if bad > 8 {
		t.Errorf("%s: %d mismatches in all", what, bad)
	}
}

// hostCheckClose compares within a relative tolerance (absolute below 1);
// NaN must match NaN and infinities must match exactly.
func hostCheckClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		g, w := float64(got[i]), want[i]
		ok := false
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			ok = math.IsNaN(w) && math.IsNaN(g)
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			ok = g == w
		default:
			ok = math.Abs(g-w) <= tol*max(1, math.Abs(w))
		}
		if !ok {
			if bad < 8 {
				t.Errorf("%s[%d] = %v, want %v (tolerance %g)", what, i, g, w, tol)
			}
			bad++
		}
	}
	if bad > 8 {
		t.Errorf("%s: %d mismatches in all", what, bad)
	}
}

func hostRand(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(scale * (2*rng.Float64() - 1))
	}
	return s
}

func TestHostName(t *testing.T) {
	if got := gpu.NewHost().Name(); got != "host (Go reference kernels)" {
		t.Errorf("Name() = %q", got)
	}
}

func TestHostFillCopy(t *testing.T) {
	out := hostLaunch(t, gpu.KFill, []int32{3}, []float32{2.5}, make([]float32, 4))
	hostCheckSame(t, "fill", out[0], []float32{2.5, 2.5, 2.5, 0})
	x := []float32{1, hNaN, hNInf, hNegZero, 7}
	out = hostLaunch(t, gpu.KCopy, []int32{4}, nil, make([]float32, 5), x)
	hostCheckSame(t, "copy", out[0], []float32{1, hNaN, hNInf, hNegZero, 0})
}

func TestHostBinary(t *testing.T) {
	a := []float32{1, -2, 3, hNaN, hInf, 0, 2}
	b := []float32{2, -2, 0, 1, hInf, hNegZero, hNaN}
	b2 := func(c bool) float32 {
		if c {
			return 1
		}
		return 0
	}
	ops := map[gpu.BinaryOp]func(x, y float32) float32{
		gpu.OpAdd: func(x, y float32) float32 { return x + y },
		gpu.OpSub: func(x, y float32) float32 { return x - y },
		gpu.OpMul: func(x, y float32) float32 { return x * y },
		gpu.OpDiv: func(x, y float32) float32 { return x / y },
		gpu.OpGt:  func(x, y float32) float32 { return b2(x > y) },
		gpu.OpGte: func(x, y float32) float32 { return b2(x >= y) },
		gpu.OpLt:  func(x, y float32) float32 { return b2(x < y) },
		gpu.OpLte: func(x, y float32) float32 { return b2(x <= y) },
		gpu.OpEq:  func(x, y float32) float32 { return b2(x == y) },
		gpu.OpNe:  func(x, y float32) float32 { return b2(x != y) },
	}
	for op, f := range ops {
		n := len(a)
		for _, st := range [][2]int32{{1, 1}, {0, 1}, {1, 0}, {0, 0}} {
			want := make([]float32, n)
			for i := range want {
				want[i] = f(a[i*int(st[0])], b[i*int(st[1])])
			}
			aa, bb := a, b
			if st[0] == 0 {
				aa = a[:1]
			}
			if st[1] == 0 {
				bb = b[:1]
			}
			out := hostLaunch(t, gpu.KBinary, []int32{int32(n), int32(op), st[0], st[1]}, nil, make([]float32, n), aa, bb)
			hostCheckSame(t, "binary", out[0], want)
		}
	}
	// Hand cases.
	out := hostLaunch(t, gpu.KBinary, []int32{4, int32(gpu.OpDiv), 1, 1}, nil, make([]float32, 4),
		[]float32{1, -1, 0, 1}, []float32{0, 0, 0, hNegZero})
	hostCheckSame(t, "div", out[0], []float32{hInf, hNInf, hNaN, hNInf})
	out = hostLaunch(t, gpu.KBinary, []int32{3, int32(gpu.OpNe), 1, 1}, nil, make([]float32, 3),
		[]float32{hNaN, 1, 0}, []float32{hNaN, 1, hNegZero})
	hostCheckSame(t, "ne", out[0], []float32{1, 0, 0})
}

// TestHostUnaryGorgonia compares KUnary bit for bit with Gorgonia's tape
// machine on float32 vectors, special values included.
func TestHostUnaryGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := []float32{0, hNegZero, hNaN, hInf, hNInf, 1, -1, 1e-8, -1e-8, 1e-3, -1e-3, 0.5, -0.5, 14, 14.5, -103, -104,
		15, 16, -88, -89, 20, -20, 88, 89, 1e30, -1e30, 1e-40, 0.625, -0.625, 44, 45}
	x = append(x, hostRand(rng, 200, 10)...)
	x = append(x, hostRand(rng, 50, 0.01)...)
	fns := map[gpu.UnaryOp]func(*G.Node) (*G.Node, error){
		gpu.OpNeg: G.Neg, gpu.OpAbs: G.Abs, gpu.OpSign: G.Sign, gpu.OpSquare: G.Square, gpu.OpSqrt: G.Sqrt,
		gpu.OpInverse: G.Inverse, gpu.OpExp: G.Exp, gpu.OpLog: G.Log, gpu.OpLog1p: G.Log1p, gpu.OpExpm1: G.Expm1,
		gpu.OpSigmoid: G.Sigmoid, gpu.OpSoftplus: G.Softplus, gpu.OpTanh: G.Tanh, gpu.OpCube: G.Cube,
		gpu.OpInverseSqrt: G.InverseSqrt,
	}
	if len(fns) != 15 {
		t.Fatalf("%d unary ops tested", len(fns))
	}
	for op, f := range fns {
		g := G.NewGraph()
		in := G.NewTensor(g, tensor.Float32, 1, G.WithShape(len(x)), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(len(x)), tensor.WithBacking(append([]float32(nil), x...)))))
		y, err := f(in)
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		want := append([]float32(nil), y.Value().Data().([]float32)...)
		m.Close()
		out := hostLaunch(t, gpu.KUnary, []int32{int32(len(x)), int32(op)}, nil, make([]float32, len(x)), x)
		hostCheckSame(t, "unary op "+string(rune('0'+op)), out[0], want)
	}
}

// TestHostUnaryClosedForm checks special values of KUnary.
func TestHostUnaryClosedForm(t *testing.T) {
	cases := []struct {
		op   gpu.UnaryOp
		x    []float32
		want []float32
	}{
		{gpu.OpSign, []float32{-3, 0, hNegZero, 2, hNaN, hNInf}, []float32{-1, 0, hNegZero, 1, hNaN, -1}},
		{gpu.OpAbs, []float32{-3, hNegZero, hNInf, hNaN}, []float32{3, 0, hInf, hNaN}},
		{gpu.OpNeg, []float32{0, 1, hNInf}, []float32{hNegZero, -1, hInf}},
		{gpu.OpExp, []float32{0, hNInf, hInf, hNaN, 100}, []float32{1, 0, hInf, hNaN, hInf}},
		{gpu.OpLog, []float32{1, 0, -1, hInf}, []float32{0, hNInf, hNaN, hInf}},
		{gpu.OpLog1p, []float32{0, -1, -2, hInf}, []float32{0, hNInf, hNaN, hInf}},
		{gpu.OpExpm1, []float32{0, hNInf, hInf}, []float32{0, -1, hInf}},
		{gpu.OpSigmoid, []float32{0, -100, 100, hNInf, hInf, hNaN}, []float32{0.5, 0, 1, 0, 1, hNaN}},
		{gpu.OpSoftplus, []float32{hNInf, hInf, hNaN, 20, -200}, []float32{0, hInf, hNaN, 20, 0}},
		{gpu.OpTanh, []float32{0, hNegZero, hInf, hNInf, hNaN, 50}, []float32{0, hNegZero, 1, -1, hNaN, 1}},
		{gpu.OpInverse, []float32{0, hNegZero, 4, hInf}, []float32{hInf, hNInf, 0.25, 0}},
		{gpu.OpInverseSqrt, []float32{0, 4, -1, hInf}, []float32{hInf, 0.5, hNaN, 0}},
		{gpu.OpSqrt, []float32{hNegZero, 4, -1, hInf}, []float32{hNegZero, 2, hNaN, hInf}},
		{gpu.OpCube, []float32{-2, 3}, []float32{-8, 27}},
		{gpu.OpSquare, []float32{-2, hNaN}, []float32{4, hNaN}},
	}
	for _, c := range cases {
		out := hostLaunch(t, gpu.KUnary, []int32{int32(len(c.x)), int32(c.op)}, nil, make([]float32, len(c.x)), c.x)
		hostCheckSame(t, "unary", out[0], c.want)
	}
	// Smooth functions against float64 references.
	rng := rand.New(rand.NewPCG(3, 4))
	x := hostRand(rng, 500, 12)
	refs := map[gpu.UnaryOp]func(float64) float64{
		gpu.OpExp:      math.Exp,
		gpu.OpTanh:     math.Tanh,
		gpu.OpSigmoid:  func(v float64) float64 { return 1 / (1 + math.Exp(-v)) },
		gpu.OpSoftplus: func(v float64) float64 { return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) },
		gpu.OpExpm1:    math.Expm1,
	}
	for op, f := range refs {
		want := make([]float64, len(x))
		for i, v := range x {
			want[i] = f(float64(v))
		}
		out := hostLaunch(t, gpu.KUnary, []int32{int32(len(x)), int32(op)}, nil, make([]float32, len(x)), x)
		// Gorgonia's float32 eˣ (math32.Exp, in assembly on amd64) is off
		// by up to 1e-5 relative for large |x| (9.8e-6 measured near 87.7);
		// the others are within 2 ulp.
		tol := 3e-7
		if op == gpu.OpExp {
			tol = 1e-5
		}
		hostCheckClose(t, fmt.Sprintf("unary op %d", op), out[0], want, tol)
	}
}

func TestHostLeakyReLU(t *testing.T) {
	x := []float32{2, -2, 0, hNegZero, hNaN, hNInf, hInf}
	out := hostLaunch(t, gpu.KLeakyReLU, []int32{7}, []float32{0.2}, make([]float32, 7), x)
	hostCheckSame(t, "leaky", out[0], []float32{2, -2 * float32(0.2), 0, hNegZero, hNaN, hNInf, hInf})
	out = hostLaunch(t, gpu.KLeakyReLU, []int32{7}, []float32{0}, make([]float32, 7), x)
	hostCheckSame(t, "leaky slope 0", out[0], []float32{2, hNegZero, 0, hNegZero, hNaN, hNaN, hInf})
	dy := []float32{1, 1, 1, 1, 1, 1, 1}
	out = hostLaunch(t, gpu.KLeakyReLUGrad, []int32{7}, []float32{0.2}, make([]float32, 7), x, dy)
	hostCheckSame(t, "leaky grad", out[0], []float32{1, 0.2, 1, 1, 0.2, 0.2, 1})

	// Bit for bit against ops.LeakyReLU.
	rng := rand.New(rand.NewPCG(5, 6))
	xs := append(hostRand(rng, 100, 3), x...)
	for _, slope := range []float64{0, 0.2, 0.01} {
		g := G.NewGraph()
		in := G.NewTensor(g, tensor.Float32, 1, G.WithShape(len(xs)), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float32(nil), xs...)))))
		y, err := ops.LeakyReLU(in, slope)
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		want := append([]float32(nil), y.Value().Data().([]float32)...)
		m.Close()
		out := hostLaunch(t, gpu.KLeakyReLU, []int32{int32(len(xs))}, []float32{float32(slope)}, make([]float32, len(xs)), xs)
		hostCheckSame(t, "leaky vs ops", out[0], want)
	}
}

func TestHostAddBiasClamp(t *testing.T) {
	// x [2, 3, 2]
	x := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	b := []float32{100, 200, 300}
	out := hostLaunch(t, gpu.KAddBias, []int32{12, 3, 2}, nil, make([]float32, 12), x, b)
	hostCheckSame(t, "addbias", out[0], []float32{100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311})
	y := []float32{-5, 0.5, 5, hNaN, hNInf, hInf, hNegZero}
	out = hostLaunch(t, gpu.KClamp, []int32{7}, []float32{-1, 1}, y)
	hostCheckSame(t, "clamp", out[0], []float32{-1, 0.5, 1, hNaN, -1, 1, hNegZero})
}

func TestHostRepeatConcatSliceTranspose(t *testing.T) {
	// x [2, 3] repeated R=2 along a middle axis: y [2, 2, 3].
	x := []float32{1, 2, 3, 4, 5, 6}
	out := hostLaunch(t, gpu.KRepeat, []int32{12, 2, 3}, nil, make([]float32, 12), x)
	hostCheckSame(t, "repeat", out[0], []float32{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6})

	// Concat x [2, 1, 2] into y [2, 3, 2] at offset 1, then slice it back.
	xc := []float32{1, 2, 3, 4}
	out = hostLaunch(t, gpu.KConcatPart, []int32{4, 1, 2, 3, 1}, nil, make([]float32, 12), xc)
	hostCheckSame(t, "concat", out[0], []float32{0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0})
	out = hostLaunch(t, gpu.KSlicePart, []int32{4, 1, 2, 3, 1}, nil, make([]float32, 4), out[0])
	hostCheckSame(t, "slice", out[0], xc)

	// Transpose [2, 3, 2] → [3, 2, 2].
	xt := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	out = hostLaunch(t, gpu.KTranspose01, []int32{12, 2, 3, 2}, nil, make([]float32, 12), xt)
	hostCheckSame(t, "transpose", out[0], []float32{0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11})
}

// hostColGatherLoop is KColGather by its definition.
func hostColGatherLoop(g gpu.Geom, y []float32) []float32 {
	nhw := g.N * g.H * g.W
	cols := make([]float32, g.Cout*g.KH*g.KW*nhw)
	for co := 0; co < g.Cout; co++ {
		for ki := 0; ki < g.KH; ki++ {
			for kj := 0; kj < g.KW; kj++ {
				for item := 0; item < g.N; item++ {
					for i := 0; i < g.H; i++ {
						for j := 0; j < g.W; j++ {
							oy, ox := i*g.SH-g.PH+ki, j*g.SW-g.PW+kj
							if oy < 0 || oy >= g.Hout || ox < 0 || ox >= g.Wout {
								continue
							}
							cols[((co*g.KH+ki)*g.KW+kj)*nhw+(item*g.H+i)*g.W+j] =
								y[((item*g.Cout+co)*g.Hout+oy)*g.Wout+ox]
						}
					}
				}
			}
		}
	}
	return cols
}

func hostGeomInts(n int, g gpu.Geom) []int32 {
	var p gpu.Params
	p.I[0] = int32(n)
	g.SetInts(&p)
	return p.I[:13]
}

var hostGeoms = []gpu.Geom{
	{N: 3, Cin: 4, Cout: 5, H: 7, W: 7, Hout: 14, Wout: 14, KH: 4, KW: 4, SH: 2, SW: 2, PH: 1, PW: 1},
	{N: 2, Cin: 3, Cout: 2, H: 4, W: 6, Hout: 13, Wout: 6, KH: 2, KW: 5, SH: 3, SW: 1, PH: 0, PW: 2},
	{N: 1, Cin: 2, Cout: 3, H: 1, W: 1, Hout: 4, Wout: 4, KH: 4, KW: 4, SH: 1, SW: 1},
	{N: 2, Cin: 1, Cout: 2, H: 6, W: 5, Hout: 7, Wout: 9, KH: 2, KW: 3, SH: 2, SW: 3, PH: 3, PW: 4},
}

func TestHostColGatherScatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, g := range hostGeoms {
		ny := g.N * g.Cout * g.Hout * g.Wout
		nc := g.Cout * g.KH * g.KW * g.N * g.H * g.W
		y := hostRand(rng, ny, 1)
		cols := hostLaunch(t, gpu.KColGather, hostGeomInts(nc, g), nil, make([]float32, nc), y)[0]
		hostCheckSame(t, "colgather", cols, hostColGatherLoop(g, y))

		c := hostRand(rng, nc, 1)
		sc := hostLaunch(t, gpu.KColScatter, hostGeomInts(ny, g), nil, make([]float32, ny), c)[0]
		// Adjointness: <c, gather(y)> = <scatter(c), y>.
		var l, r float64
		for i := range c {
			l += float64(c[i]) * float64(cols[i])
		}
		for i := range y {
			r += float64(sc[i]) * float64(y[i])
		}
		if math.Abs(l-r) > 1e-5*max(1, math.Abs(l)) {
			t.Errorf("%+v: <c, gather y> = %v, <scatter c, y> = %v", g, l, r)
		}
	}
}

// hostRunGraph runs a tape machine over g and returns the float32 data of
// the nodes.
func hostRunGraph(t *testing.T, g *G.ExprGraph, nodes ...*G.Node) [][]float32 {
	t.Helper()
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(nodes))
	for i, n := range nodes {
		out[i] = append([]float32(nil), n.Value().Data().([]float32)...)
	}
	return out
}

func hostConst(g *G.ExprGraph, name string, data []float32, shape ...int) *G.Node {
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), data...)))))
}

func hostWiden(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// TestHostConvPipelines builds ConvTranspose2d from KTranspose01, Gemm and
// KColScatter, and Conv2d from KColGather, Gemm and KTranspose01, and
// compares them with the ops package.
func TestHostConvPipelines(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, g := range hostGeoms {
		h := gpu.NewHost()
		alloc := func(data []float32, n int) gpu.Ptr {
			b, err := h.Alloc(max(1, n))
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Upload(gpu.Ptr{Buf: b}, data); err != nil {
				t.Fatal(err)
			}
			return gpu.Ptr{Buf: b}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		hw, ohw := g.H*g.W, g.Hout*g.Wout
		x := hostRand(rng, g.N*g.Cin*hw, 1)
		w := hostRand(rng, g.Cin*g.Cout*g.KH*g.KW, 1)
		// Transposed convolution: xt = x as [Cin, N, HW]; cols = wᵀ·xt;
		// y = col2im(cols).
		px, pw := alloc(x, len(x)), alloc(w, len(w))
		pxt := alloc(nil, len(x))
		var p gpu.Params
		p.P[0], p.P[1] = pxt, px
		p.I[0], p.I[1], p.I[2], p.I[3] = int32(len(x)), int32(g.N), int32(g.Cin), int32(hw)
		must(h.Launch(gpu.KTranspose01, &p))
		rows, ncols := g.Cout*g.KH*g.KW, g.N*hw
		pc := alloc(nil, rows*ncols)
		must(h.Gemm(&gpu.GemmArgs{TransA: true, M: rows, N: ncols, K: g.Cin, Alpha: 1,
			A: pw, LDA: rows, B: pxt, LDB: ncols, C: pc, LDC: ncols}))
		ny := g.N * g.Cout * ohw
		py := alloc(nil, ny)
		p = gpu.Params{}
		p.P[0], p.P[1] = py, pc
		p.I[0] = int32(ny)
		g.SetInts(&p)
		must(h.Launch(gpu.KColScatter, &p))
		got := make([]float32, ny)
		must(h.Download(got, py))

		eg := G.NewGraph()
		xn := hostConst(eg, "x", x, g.N, g.Cin, g.H, g.W)
		wn := hostConst(eg, "w", w, g.Cin, g.Cout, g.KH, g.KW)
		opad := [2]int{g.Hout - ops.ConvTranspose2dOutputSize(g.H, g.KH, g.SH, g.PH, 0),
			g.Wout - ops.ConvTranspose2dOutputSize(g.W, g.KW, g.SW, g.PW, 0)}
		yn, err := ops.ConvTranspose2d(xn, wn, [2]int{g.SH, g.SW}, [2]int{g.PH, g.PW}, opad)
		if err != nil {
			t.Fatal(err)
		}
		want := hostRunGraph(t, eg, yn)[0]
		hostCheckClose(t, "convtranspose", got, hostWiden(want), 1e-5)

		// Convolution of z [N, Cout, Hout, Wout] with k [Cin, Cout, kH, kW]
		// giving [N, Cin, H, W]: the adjoint above; cols = im2col(z),
		// out = k·cols as [Cin, N, HW], transposed to [N, Cin, HW].
		// Only the geometries that Conv2d can express (H, W equal to its
		// output size) are compared.
		if ops.Conv2dOutputSize(g.Hout, g.KH, g.SH, g.PH) != g.H || ops.Conv2dOutputSize(g.Wout, g.KW, g.SW, g.PW) != g.W ||
			g.SH != g.SW || g.PH != g.PW {
			h.Close()
			continue
		}
		z := hostRand(rng, ny, 1)
		pz := alloc(z, ny)
		pc2 := alloc(nil, rows*ncols)
		p = gpu.Params{}
		p.P[0], p.P[1] = pc2, pz
		p.I[0] = int32(rows * ncols)
		g.SetInts(&p)
		must(h.Launch(gpu.KColGather, &p))
		po := alloc(nil, g.Cin*ncols)
		must(h.Gemm(&gpu.GemmArgs{M: g.Cin, N: ncols, K: rows, Alpha: 1,
			A: pw, LDA: rows, B: pc2, LDB: ncols, C: po, LDC: ncols}))
		pot := alloc(nil, g.Cin*ncols)
		p = gpu.Params{}
		p.P[0], p.P[1] = pot, po
		p.I[0], p.I[1], p.I[2], p.I[3] = int32(g.Cin*ncols), int32(g.Cin), int32(g.N), int32(hw)
		must(h.Launch(gpu.KTranspose01, &p))
		got = make([]float32, g.Cin*ncols)
		must(h.Download(got, pot))
		h.Close()

		// Conv2d's kernel is [Cout', Cin', kH, kW] = [Cin, Cout, kH, kW].
		eg = G.NewGraph()
		zn := hostConst(eg, "z", z, g.N, g.Cout, g.Hout, g.Wout)
		wn = hostConst(eg, "w", w, g.Cin, g.Cout, g.KH, g.KW)
		on, err := ops.Conv2d(zn, wn, [2]int{g.SH, g.SW}, [2]int{g.PH, g.PW})
		if err != nil {
			t.Fatal(err)
		}
		want = hostRunGraph(t, eg, on)[0]
		hostCheckClose(t, "conv2d", got, hostWiden(want), 1e-5)
	}
}

func TestHostGemm(t *testing.T) {
	h := gpu.NewHost()
	defer h.Close()
	a, _ := h.Alloc(6) // 2×3
	b, _ := h.Alloc(6) // 3×2
	c, _ := h.Alloc(4)
	_ = h.Upload(gpu.Ptr{Buf: a}, []float32{1, 2, 3, 4, 5, 6})
	_ = h.Upload(gpu.Ptr{Buf: b}, []float32{1, 0, 0, 1, 1, 1})
	_ = h.Upload(gpu.Ptr{Buf: c}, []float32{1, 1, 1, 1})
	if err := h.Gemm(&gpu.GemmArgs{M: 2, N: 2, K: 3, Alpha: 2, Beta: 1,
		A: gpu.Ptr{Buf: a}, LDA: 3, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 2}); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 4)
	_ = h.Download(got, gpu.Ptr{Buf: c})
	hostCheckSame(t, "gemm", got, []float32{1 + 2*4, 1 + 2*5, 1 + 2*10, 1 + 2*11})
	// Transposed: aᵀ (3×2 from the 2×3 storage) times bᵀ (2×3).
	c2, _ := h.Alloc(9)
	if err := h.Gemm(&gpu.GemmArgs{TransA: true, TransB: true, M: 3, N: 3, K: 2, Alpha: 1,
		A: gpu.Ptr{Buf: a}, LDA: 3, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c2}, LDC: 3}); err != nil {
		t.Fatal(err)
	}
	got = make([]float32, 9)
	_ = h.Download(got, gpu.Ptr{Buf: c2})
	// aᵀ = [[1,4],[2,5],[3,6]], bᵀ = [[1,0,1],[0,1,1]].
	hostCheckSame(t, "gemm TT", got, []float32{1, 4, 5, 2, 5, 7, 3, 6, 9})
	// K = 0 with beta 0 clears c, even NaN.
	_ = h.Upload(gpu.Ptr{Buf: c}, []float32{hNaN, 1, 2, 3})
	if err := h.Gemm(&gpu.GemmArgs{M: 2, N: 2, K: 0, Alpha: 1,
		A: gpu.Ptr{Buf: a}, LDA: 1, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 2}); err != nil {
		t.Fatal(err)
	}
	_ = h.Download(got[:4], gpu.Ptr{Buf: c})
	hostCheckSame(t, "gemm k=0", got[:4], []float32{0, 0, 0, 0})
	// Errors: overrun, bad ld.
	for _, g := range []gpu.GemmArgs{
		{M: 2, N: 2, K: 3, A: gpu.Ptr{Buf: a}, LDA: 3, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 3},
		{M: 2, N: 2, K: 3, A: gpu.Ptr{Buf: a}, LDA: 2, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 2},
		{M: 2, N: 2, K: 3, A: gpu.Ptr{Buf: a, Off: 1}, LDA: 3, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 2},
		{M: 2, N: 2, K: 3, A: gpu.Ptr{}, LDA: 3, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 2},
		{M: -1, N: 2, K: 3, A: gpu.Ptr{Buf: a}, LDA: 3, B: gpu.Ptr{Buf: b}, LDB: 2, C: gpu.Ptr{Buf: c}, LDC: 2},
	} {
		if err := h.Gemm(&g); err == nil {
			t.Errorf("Gemm(%+v) succeeded", g)
		}
	}
}

// hostSum64 is Σ terms in float64 (in any order: the tolerances cover it).
func hostSum64(terms []float64) float64 {
	s := 0.0
	for _, v := range terms {
		s += v
	}
	return s
}

func TestHostSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// x [A, K, B]
	A, K, B := 5, 3, 301
	x := hostRand(rng, A*K*B, 1)
	out := hostLaunch(t, gpu.KSumOuter, []int32{int32(K), int32(A), int32(B)}, nil, make([]float32, K), x)[0]
	want := make([]float64, K)
	for a := 0; a < A; a++ {
		for k := 0; k < K; k++ {
			for b := 0; b < B; b++ {
				want[k] += float64(x[(a*K+k)*B+b])
			}
		}
	}
	hostCheckClose(t, "sumouter", out, want, 1e-6)
	// x [A, M, B] summed over M.
	M := 300
	x = hostRand(rng, A*M*3, 1)
	out = hostLaunch(t, gpu.KSumMid, []int32{int32(A * 3), int32(M), 3}, nil, make([]float32, A*3), x)[0]
	want = make([]float64, A*3)
	for a := 0; a < A; a++ {
		for m := 0; m < M; m++ {
			for b := 0; b < 3; b++ {
				want[a*3+b] += float64(x[(a*M+m)*3+b])
			}
		}
	}
	hostCheckClose(t, "summid", out, want, 1e-6)
	// NaN and Inf propagate.
	out = hostLaunch(t, gpu.KSumOuter, []int32{2, 1, 3}, nil, make([]float32, 2), []float32{1, hNaN, 2, hInf, 1, 1})[0]
	hostCheckSame(t, "sum hNaN/hInf", out, []float32{hNaN, hInf})
	out = hostLaunch(t, gpu.KSumOuter, []int32{1, 1, 2}, nil, make([]float32, 1), []float32{hInf, hNInf})[0]
	hostCheckSame(t, "sum hInf-hInf", out, []float32{hNaN})
}

// hostBNRef computes the batch norm kernels in float64 by their definition.
type hostBNRef struct {
	mean, vr, y, sums, dx []float64
}

func hostBNReference(n, c, inner int, x, dy, scale, shift []float32, eps float32) hostBNRef {
	r := hostBNRef{mean: make([]float64, c), vr: make([]float64, c), y: make([]float64, len(x)),
		sums: make([]float64, 2*c), dx: make([]float64, len(x))}
	m := float64(n * inner)
	idx := func(i, ch, j int) int { return (i*c+ch)*inner + j }
	for ch := 0; ch < c; ch++ {
		var s []float64
		for i := 0; i < n; i++ {
			for j := 0; j < inner; j++ {
				s = append(s, float64(x[idx(i, ch, j)]))
			}
		}
		mu := hostSum64(s) / m
		r.mean[ch] = mu
		mu32 := float64(float32(mu))
		var v, sd, sdx float64
		for i := 0; i < n; i++ {
			for j := 0; j < inner; j++ {
				e := float64(x[idx(i, ch, j)]) - mu32
				v += e * e
				g := float64(dy[idx(i, ch, j)])
				sd += g
				sdx += g * e
			}
		}
		r.vr[ch] = v / m
		v32 := float64(float32(v / m))
		is := 1 / math.Sqrt(v32+float64(eps))
		r.sums[ch], r.sums[c+ch] = sd, is*sdx
		s0, s1 := float64(float32(sd)), float64(float32(is*sdx))
		for i := 0; i < n; i++ {
			for j := 0; j < inner; j++ {
				k := idx(i, ch, j)
				xh := (float64(x[k]) - mu32) * is
				r.y[k] = xh*float64(scale[ch]) + float64(shift[ch])
				r.dx[k] = float64(scale[ch]) * is * (float64(dy[k]) - s0/m - xh*s1/m)
			}
		}
	}
	return r
}

func TestHostBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, sh := range [][3]int{{4, 3, 25}, {7, 5, 1}, {2, 2, 300}} {
		n, c, inner := sh[0], sh[1], sh[2]
		x := hostRand(rng, n*c*inner, 2)
		for i := range x {
			x[i] += 0.5
		}
		dy := hostRand(rng, len(x), 1)
		scale, shift := hostRand(rng, c, 1), hostRand(rng, c, 1)
		eps := float32(1e-5)
		ref := hostBNReference(n, c, inner, x, dy, scale, shift, eps)
		ints := []int32{int32(c), int32(n), int32(inner)}
		mean := hostLaunch(t, gpu.KBNMean, ints, nil, make([]float32, c), x)[0]
		hostCheckClose(t, "bn mean", mean, ref.mean, 1e-6)
		vr := hostLaunch(t, gpu.KBNVar, ints, nil, make([]float32, c), x, mean)[0]
		hostCheckClose(t, "bn var", vr, ref.vr, 1e-6)
		fw := []int32{int32(len(x)), int32(c), int32(inner)}
		y := hostLaunch(t, gpu.KBNForward, fw, []float32{eps}, make([]float32, len(x)), x, mean, vr, scale, shift)[0]
		hostCheckClose(t, "bn forward", y, ref.y, 1e-5)
		sums := hostLaunch(t, gpu.KBNGradSums, ints, []float32{eps}, make([]float32, 2*c), x, mean, vr, dy)[0]
		hostCheckClose(t, "bn grad sums", sums, ref.sums, 1e-5)
		gi := []int32{int32(len(x)), int32(c), int32(inner), int32(n * inner)}
		dx := hostLaunch(t, gpu.KBNGradInput, gi, []float32{eps}, make([]float32, len(x)), x, mean, vr, scale, sums, dy)[0]
		hostCheckClose(t, "bn grad input", dx, ref.dx, 1e-4)

		// Against ops.BatchNorm's forward pass (rank 4 with W = 1, or rank 2).
		eg := G.NewGraph()
		var xn *G.Node
		if inner == 1 {
			xn = hostConst(eg, "x", x, n, c)
		} else {
			xn = hostConst(eg, "x", x, n, c, inner, 1)
		}
		sn, bn := hostConst(eg, "scale", scale, c), hostConst(eg, "shift", shift, c)
		yn, err := ops.BatchNorm(xn, sn, bn, float64(eps))
		if err != nil {
			t.Fatal(err)
		}
		mn, vn, err := ops.BatchStats(xn)
		if err != nil {
			t.Fatal(err)
		}
		got := hostRunGraph(t, eg, yn, mn, vn)
		hostCheckClose(t, "bn vs ops mean", mean, hostWiden(got[1]), 1e-6)
		hostCheckClose(t, "bn vs ops var", vr, hostWiden(got[2]), 1e-6)
		hostCheckClose(t, "bn vs ops y", y, hostWiden(got[0]), 1e-5)
	}
	// A NaN in a channel poisons only that channel.
	x := []float32{1, hNaN, 3, 4} // [2, 2, 1]
	mean := hostLaunch(t, gpu.KBNMean, []int32{2, 2, 1}, nil, make([]float32, 2), x)[0]
	hostCheckSame(t, "bn mean hNaN", mean, []float32{2, hNaN})
}

func TestHostBNRunning(t *testing.T) {
	rm, rv := []float32{0, 1, 2}, []float32{1, 1, 3}
	bm, bv := []float32{1, -1, 0.3}, []float32{2, 0.5, 7}
	mom, unbias := float32(0.1), float32(10.0/9)
	out := hostLaunch(t, gpu.KBNRunning, []int32{3}, []float32{mom, unbias}, rm, rv, bm, bv)
	wm, wv := make([]float32, 3), make([]float32, 3)
	m, u := float64(mom), float64(unbias)
	for i := range rm {
		wm[i] = float32((1-m)*float64(rm[i]) + m*float64(bm[i]))
		wv[i] = float32((1-m)*float64(rv[i]) + m*u*float64(bv[i]))
	}
	hostCheckSame(t, "running mean", out[0], wm)
	hostCheckSame(t, "running var", out[1], wv)
}

func hostDense(data []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(len(data)), tensor.WithBacking(append([]float32(nil), data...)))
}

// TestHostOptimizers compares KAdam, KSGD and KRMSProp bit for bit with
// the optim package's float32 updates, over several steps, with
// hyperparameters that float32 represents exactly.
func TestHostOptimizers(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 1000
	p0 := hostRand(rng, n, 1)
	grads := [][]float32{hostRand(rng, n, 1), hostRand(rng, n, 1e-3), hostRand(rng, n, 10)}
	grads[0][0], grads[1][1] = 0, 0

	t.Run("adam", func(t *testing.T) {
		cfg := optim.AdamConfig{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}
		o, err := optim.NewAdam(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pt := hostDense(p0)
		p, m, v := append([]float32(nil), p0...), make([]float32, n), make([]float32, n)
		for s, g := range grads {
			if err := o.Step([]*tensor.Dense{pt}, []*tensor.Dense{hostDense(g)}); err != nil {
				t.Fatal(err)
			}
			tt := float64(s + 1)
			bc1, bc2 := 1-math.Pow(cfg.Beta1, tt), 1-math.Pow(cfg.Beta2, tt)
			f := []float32{float32(cfg.Beta1), float32(1 - cfg.Beta1), float32(cfg.Beta2), float32(1 - cfg.Beta2),
				float32(cfg.LR / bc1), float32(1 / math.Sqrt(bc2)), float32(cfg.Eps)}
			out := hostLaunch(t, gpu.KAdam, []int32{int32(n)}, f, p, g, m, v)
			p, m, v = out[0], out[2], out[3]
			hostCheckSame(t, "adam param", p, pt.Float32s())
		}
	})
	t.Run("sgd", func(t *testing.T) {
		for _, cfg := range []optim.SGDConfig{{LR: 0.125}, {LR: 0.125, Momentum: 0.5}, {LR: 0.25, Momentum: 0.75, Nesterov: true}} {
			o, err := optim.NewSGD(cfg)
			if err != nil {
				t.Fatal(err)
			}
			pt := hostDense(p0)
			p, buf := append([]float32(nil), p0...), make([]float32, n)
			nest := int32(0)
			if cfg.Nesterov {
				nest = 1
			}
			for _, g := range grads {
				if err := o.Step([]*tensor.Dense{pt}, []*tensor.Dense{hostDense(g)}); err != nil {
					t.Fatal(err)
				}
				out := hostLaunch(t, gpu.KSGD, []int32{int32(n), nest}, []float32{float32(cfg.LR), float32(cfg.Momentum)}, p, g, buf)
				p, buf = out[0], out[2]
				hostCheckSame(t, "sgd param", p, pt.Float32s())
			}
		}
	})
	t.Run("rmsprop", func(t *testing.T) {
		cfg := optim.RMSPropConfig{LR: 1.0 / 64, Alpha: 0.75, Eps: 1.0 / 1024}
		o, err := optim.NewRMSProp(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pt := hostDense(p0)
		p, sq := append([]float32(nil), p0...), make([]float32, n)
		for _, g := range grads {
			if err := o.Step([]*tensor.Dense{pt}, []*tensor.Dense{hostDense(g)}); err != nil {
				t.Fatal(err)
			}
			out := hostLaunch(t, gpu.KRMSProp, []int32{int32(n)}, []float32{float32(cfg.LR), float32(cfg.Alpha), float32(cfg.Eps)}, p, g, sq)
			p, sq = out[0], out[2]
			hostCheckSame(t, "rmsprop param", p, pt.Float32s())
		}
	})
}

func TestHostCheckFinite(t *testing.T) {
	for _, c := range []struct {
		x    []float32
		want float32
	}{
		{[]float32{1, 2, 3}, 0},
		{[]float32{1, hNaN, 3}, 1},
		{[]float32{hNInf}, 1},
		{[]float32{3e38, hInf}, 1},
	} {
		out := hostLaunch(t, gpu.KCheckFinite, []int32{int32(len(c.x)), 2}, nil, make([]float32, 4), c.x)
		hostCheckSame(t, "flags", out[0], []float32{0, 0, c.want, 0})
	}
}

func TestHostErrors(t *testing.T) {
	h := gpu.NewHost()
	b, err := h.Alloc(10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Alloc(0); err == nil {
		t.Error("Alloc(0) succeeded")
	}
	if err := h.Upload(gpu.Ptr{Buf: b, Off: 5}, make([]float32, 6)); err == nil || !strings.Contains(err.Error(), "overruns") {
		t.Errorf("Upload overrun: %v", err)
	}
	if err := h.Download(make([]float32, 2), gpu.Ptr{Buf: b, Off: 11}); err == nil {
		t.Error("Download at offset 11 of 10 succeeded")
	}
	if err := h.Download(make([]float32, 2), gpu.Ptr{Buf: b, Off: -1}); err == nil {
		t.Error("Download at offset -1 succeeded")
	}
	var p gpu.Params
	p.I[0] = 11
	p.P[0] = gpu.Ptr{Buf: b}
	if err := h.Launch(gpu.KFill, &p); err == nil || !strings.Contains(err.Error(), "gg_fill") {
		t.Errorf("fill overrun: %v", err)
	}
	p.I[0] = 5
	p.P[0] = gpu.Ptr{Buf: b, Off: 6}
	if err := h.Launch(gpu.KFill, &p); err == nil {
		t.Error("fill overrun from an offset succeeded")
	}
	if err := h.Launch(gpu.KCopy, &p); err == nil || !strings.Contains(err.Error(), "P[1] is nil") {
		t.Errorf("copy with nil P[1]: %v", err)
	}
	if err := h.Launch(gpu.Kernel(-1), &p); err == nil {
		t.Error("unknown kernel -1 succeeded")
	}
	if err := h.Launch(gpu.Kernel(len(gpu.Kernels())), &p); err == nil {
		t.Error("unknown kernel succeeded")
	}
	if err := h.Launch(gpu.KFill, nil); err == nil {
		t.Error("nil params succeeded")
	}
	p = gpu.Params{}
	p.P[0], p.P[1] = gpu.Ptr{Buf: b}, gpu.Ptr{Buf: b}
	p.I[0], p.I[1] = 2, 99
	if err := h.Launch(gpu.KUnary, &p); err == nil {
		t.Error("unknown unary op succeeded")
	}
	// SGD without momentum needs no buffer; with momentum it does.
	p.I[0], p.I[1] = 2, 0
	p.F[0], p.F[1] = 0.5, 0
	if err := h.Launch(gpu.KSGD, &p); err != nil {
		t.Errorf("SGD without a momentum buffer: %v", err)
	}
	p.F[1] = 0.9
	if err := h.Launch(gpu.KSGD, &p); err == nil || !strings.Contains(err.Error(), "P[2] is nil") {
		t.Errorf("SGD with momentum and no buffer: %v", err)
	}
	p.I[1] = 99
	if err := h.Launch(gpu.KBinary, &p); err == nil {
		t.Error("unknown binary op succeeded")
	}
	p.I[0] = -1
	if err := h.Launch(gpu.KCopy, &p); err == nil {
		t.Error("negative n succeeded")
	}
	// Conv geometry that does not match n.
	p = gpu.Params{}
	p.P[0], p.P[1] = gpu.Ptr{Buf: b}, gpu.Ptr{Buf: b}
	gpu.Geom{N: 1, Cout: 1, H: 2, W: 2, Hout: 2, Wout: 2, KH: 1, KW: 1, SH: 1, SW: 1}.SetInts(&p)
	p.I[0] = 5
	if err := h.Launch(gpu.KColGather, &p); err == nil {
		t.Error("col gather with a wrong n succeeded")
	}
	p.I[0] = 4
	if err := h.Launch(gpu.KColGather, &p); err != nil {
		t.Errorf("col gather: %v", err)
	}
	// A buffer of another device, a freed buffer, a closed device.
	other := gpu.NewHost()
	ob, _ := other.Alloc(4)
	if err := h.Upload(gpu.Ptr{Buf: ob}, []float32{1}); err == nil {
		t.Error("upload to another device's buffer succeeded")
	}
	if err := h.Free(b); err != nil {
		t.Fatal(err)
	}
	if err := h.Free(b); err == nil {
		t.Error("double Free succeeded")
	}
	if err := h.Upload(gpu.Ptr{Buf: b}, []float32{1}); err == nil {
		t.Error("upload after Free succeeded")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Alloc(1); err == nil {
		t.Error("Alloc after Close succeeded")
	}
	if err := h.Sync(); err == nil {
		t.Error("Sync after Close succeeded")
	}
}

func TestHostKernelCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range gpu.Kernels() {
		info := k.Info()
		if !strings.HasPrefix(info.Name, "gg_") || seen[info.Name] {
			t.Errorf("kernel %d: bad or duplicate name %q", int(k), info.Name)
		}
		seen[info.Name] = true
		if info.Ptrs > gpu.MaxPtrs || info.Ints > gpu.MaxInts || info.Floats > gpu.MaxFloats {
			t.Errorf("%v: too many arguments", k)
		}
	}
	var p gpu.Params
	p.I[0] = 257
	if b, th := gpu.KCopy.Grid(&p); b != 2 || th != 256 {
		t.Errorf("KCopy.Grid(257) = %d, %d", b, th)
	}
	if b, th := gpu.KSumOuter.Grid(&p); b != 257 || th != 256 {
		t.Errorf("KSumOuter.Grid(257) = %d, %d", b, th)
	}
}
