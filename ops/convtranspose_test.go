package ops

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convCase describes one transposed convolution: x [n, cin, h, w],
// kernel [cin, cout, kh, kw].
type convCase struct {
	name                string
	n, cin, cout, h, w  int
	kh, kw              int
	stride, pad, outPad [2]int
	wantHout, wantWout  int // 0: not checked
}

func (c convCase) xShape() []int { return []int{c.n, c.cin, c.h, c.w} }
func (c convCase) wShape() []int { return []int{c.cin, c.cout, c.kh, c.kw} }
func (c convCase) outHW() (int, int) {
	return ConvTranspose2dOutputSize(c.h, c.kh, c.stride[0], c.pad[0], c.outPad[0]),
		ConvTranspose2dOutputSize(c.w, c.kw, c.stride[1], c.pad[1], c.outPad[1])
}
func (c convCase) params() convTParams {
	return convTParams{strideH: c.stride[0], strideW: c.stride[1], padH: c.pad[0], padW: c.pad[1], outPadH: c.outPad[0], outPadW: c.outPad[1]}
}

var forwardCases = []convCase{
	{name: "dcgan-7to14", n: 2, cin: 8, cout: 4, h: 7, w: 7, kh: 4, kw: 4, stride: [2]int{2, 2}, pad: [2]int{1, 1}, wantHout: 14, wantWout: 14},
	{name: "dcgan-14to28", n: 2, cin: 4, cout: 1, h: 14, w: 14, kh: 4, kw: 4, stride: [2]int{2, 2}, pad: [2]int{1, 1}, wantHout: 28, wantWout: 28},
	{name: "dcgan-1to4", n: 3, cin: 5, cout: 3, h: 1, w: 1, kh: 4, kw: 4, stride: [2]int{1, 1}, wantHout: 4, wantWout: 4},
	{name: "stride1-same", n: 1, cin: 3, cout: 2, h: 6, w: 5, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, wantHout: 6, wantWout: 5},
	{name: "stride1-nopad", n: 2, cin: 2, cout: 3, h: 4, w: 4, kh: 3, kw: 3, stride: [2]int{1, 1}, wantHout: 6, wantWout: 6},
	{name: "odd-outpad", n: 3, cin: 2, cout: 3, h: 5, w: 3, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, outPad: [2]int{1, 1}, wantHout: 10, wantWout: 6},
	{name: "nonsquare", n: 2, cin: 3, cout: 2, h: 4, w: 6, kh: 2, kw: 5, stride: [2]int{3, 1}, pad: [2]int{0, 2}, outPad: [2]int{2, 0}, wantHout: 13, wantWout: 6},
	{name: "stride>kernel", n: 2, cin: 2, cout: 2, h: 3, w: 4, kh: 2, kw: 2, stride: [2]int{3, 3}, outPad: [2]int{2, 1}, wantHout: 10, wantWout: 12},
	{name: "heavy-crop", n: 1, cin: 2, cout: 2, h: 5, w: 5, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{2, 2}, wantHout: 3, wantWout: 3},
	{name: "pad>kernel", n: 1, cin: 1, cout: 2, h: 6, w: 5, kh: 2, kw: 3, stride: [2]int{2, 3}, pad: [2]int{3, 4}, outPad: [2]int{1, 2}, wantHout: 7, wantWout: 9},
	{name: "1x1", n: 2, cin: 4, cout: 3, h: 3, w: 2, kh: 1, kw: 1, stride: [2]int{2, 2}, wantHout: 5, wantWout: 3},
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*rng.Float64() - 1
	}
	return s
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func to32(s []float64) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = float32(v)
	}
	return r
}

func to64(s []float32) []float64 {
	r := make([]float64, len(s))
	for i, v := range s {
		r[i] = float64(v)
	}
	return r
}

// refConvT is the loop-by-loop definition:
// out[n, co, i·s−p+ki, j·s−p+kj] += x[n, ci, i, j]·w[ci, co, ki, kj],
// keeping only positions inside the output.
func refConvT(c convCase, x, w []float64) []float64 {
	ho, wo := c.outHW()
	out := make([]float64, c.n*c.cout*ho*wo)
	for n := 0; n < c.n; n++ {
		for ci := 0; ci < c.cin; ci++ {
			for i := 0; i < c.h; i++ {
				for j := 0; j < c.w; j++ {
					xv := x[((n*c.cin+ci)*c.h+i)*c.w+j]
					for co := 0; co < c.cout; co++ {
						for ki := 0; ki < c.kh; ki++ {
							for kj := 0; kj < c.kw; kj++ {
								oi := i*c.stride[0] - c.pad[0] + ki
								oj := j*c.stride[1] - c.pad[1] + kj
								if oi < 0 || oi >= ho || oj < 0 || oj >= wo {
									continue
								}
								out[((n*c.cout+co)*ho+oi)*wo+oj] += xv * w[((ci*c.cout+co)*c.kh+ki)*c.kw+kj]
							}
						}
					}
				}
			}
		}
	}
	return out
}

// maxRelErr returns max|got−want| / max|want|.
func maxRelErr(got, want []float64) float64 {
	var num, den float64
	for i := range want {
		num = math.Max(num, math.Abs(got[i]-want[i]))
		den = math.Max(den, math.Abs(want[i]))
	}
	if den == 0 {
		return num
	}
	return num / den
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func valueNode(g *G.ExprGraph, name string, shape []int, backing any) *G.Node {
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
	return G.NewTensor(g, t.Dtype(), len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

func float64s(t *testing.T, v G.Value) []float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		return to64(d)
	}
	t.Fatalf("unexpected data %T", v.Data())
	return nil
}

func TestConvTranspose2dForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range forwardCases {
		t.Run(c.name, func(t *testing.T) {
			ho, wo := c.outHW()
			require.Equal(t, c.wantHout, ho, "Hout")
			require.Equal(t, c.wantWout, wo, "Wout")
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				xs, ws := x, w
				var xb, wb any = x, w
				if dt == tensor.Float32 {
					xs, ws = to64(to32(x)), to64(to32(w))
					xb, wb = to32(x), to32(w)
				}
				want := refConvT(c, xs, ws)

				g := G.NewGraph()
				xn := valueNode(g, "x", c.xShape(), xb)
				wn := valueNode(g, "w", c.wShape(), wb)
				y, err := ConvTranspose2d(xn, wn, c.stride, c.pad, c.outPad)
				require.NoError(t, err)
				assert.Equal(t, tensor.Shape{c.n, c.cout, ho, wo}, y.Shape())
				assert.Equal(t, dt, y.Dtype())
				m := G.NewTapeMachine(g)
				require.NoError(t, m.RunAll())
				require.NoError(t, m.Close())
				require.Equal(t, dt, y.Value().Dtype())
				got := float64s(t, y.Value())
				tol := 1e-13
				if dt == tensor.Float32 {
					tol = 1e-5
				}
				assert.Less(t, maxRelErr(got, want), tol, "%v", dt)
				// The inputs are untouched.
				assert.Equal(t, xb, xn.Value().Data())
				assert.Equal(t, wb, wn.Value().Data())
			}
		})
	}
}

// TestReferenceIsNotTrivial guards the reference itself: a hand-computed
// 1-D-like case with overlap between kernel windows.
func TestReferenceIsNotTrivial(t *testing.T) {
	c := convCase{n: 1, cin: 1, cout: 1, h: 1, w: 3, kh: 1, kw: 3, stride: [2]int{1, 2}, pad: [2]int{0, 1}}
	// full output (before cropping 1 each side) is
	// [1·1, 1·2, 1·3+2·1, 2·2, 2·3+3·1, 3·2, 3·3] = [1 2 5 4 9 6 9].
	got := refConvT(c, []float64{1, 2, 3}, []float64{1, 2, 3})
	assert.Equal(t, []float64{2, 5, 4, 9, 6}, got)

	g := G.NewGraph()
	xn := valueNode(g, "x", c.xShape(), []float64{1, 2, 3})
	wn := valueNode(g, "w", c.wShape(), []float64{1, 2, 3})
	y, err := ConvTranspose2d(xn, wn, c.stride, c.pad, c.outPad)
	require.NoError(t, err)
	m := G.NewTapeMachine(g)
	defer m.Close()
	require.NoError(t, m.RunAll())
	assert.Equal(t, []float64{2, 5, 4, 9, 6}, y.Value().Data())
}

func TestConvTranspose2dOutputSize(t *testing.T) {
	for _, tc := range []struct{ in, k, s, p, op, want int }{
		{7, 4, 2, 1, 0, 14},
		{14, 4, 2, 1, 0, 28},
		{1, 4, 1, 0, 0, 4},
		{5, 3, 2, 1, 1, 10},
		{3, 3, 2, 1, 0, 5},
		{4, 3, 1, 1, 0, 4},
		{1, 1, 1, 1, 0, -1},
	} {
		assert.Equal(t, tc.want, ConvTranspose2dOutputSize(tc.in, tc.k, tc.s, tc.p, tc.op), "%+v", tc)
	}
}

func TestConvTranspose2dErrors(t *testing.T) {
	f64 := tensor.Float64
	for _, tc := range []struct {
		name                string
		xShape, wShape      []int
		xDt, wDt            tensor.Dtype
		stride, pad, outPad [2]int
		want                []string
	}{
		{"x-3d", []int{1, 2, 3}, []int{2, 1, 3, 3}, f64, f64, [2]int{1, 1}, [2]int{}, [2]int{}, []string{"x must be 4-D", "(1, 2, 3)"}},
		{"w-2d", []int{1, 2, 3, 3}, []int{2, 1}, f64, f64, [2]int{1, 1}, [2]int{}, [2]int{}, []string{"w must be 4-D", "(2, 1)"}},
		{"cin-mismatch", []int{1, 2, 3, 3}, []int{3, 1, 2, 2}, f64, f64, [2]int{1, 1}, [2]int{}, [2]int{}, []string{"channel mismatch", "(1, 2, 3, 3)", "(3, 1, 2, 2)"}},
		{"stride-zero", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, f64, [2]int{0, 1}, [2]int{}, [2]int{}, []string{"stride must be positive", "(0, 1)"}},
		{"stride-negative", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, f64, [2]int{1, -2}, [2]int{}, [2]int{}, []string{"stride must be positive"}},
		{"pad-negative", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, f64, [2]int{1, 1}, [2]int{-1, 0}, [2]int{}, []string{"pad must be ≥ 0", "(-1, 0)"}},
		{"outpad-eq-stride", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, f64, [2]int{2, 2}, [2]int{}, [2]int{0, 2}, []string{"outputPad", "< stride"}},
		{"outpad-eq-stride-h", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, f64, [2]int{2, 3}, [2]int{}, [2]int{2, 0}, []string{"outputPad", "(2, 0)", "stride (2, 3)"}},
		{"outpad-negative", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, f64, [2]int{2, 2}, [2]int{}, [2]int{-1, 0}, []string{"outputPad"}},
		{"kernel-zero", []int{1, 2, 3, 3}, []int{2, 1, 0, 2}, f64, f64, [2]int{1, 1}, [2]int{}, [2]int{}, []string{"w must have positive dimensions", "(2, 1, 0, 2)"}},
		{"output-empty", []int{1, 2, 1, 1}, []int{2, 1, 1, 1}, f64, f64, [2]int{1, 1}, [2]int{1, 0}, [2]int{}, []string{"non-positive output size", "-1×1"}},
		{"dtype-mismatch", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, f64, tensor.Float32, [2]int{1, 1}, [2]int{}, [2]int{}, []string{"dtype mismatch", "float64", "float32"}},
		{"dtype-int", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, tensor.Int, tensor.Int, [2]int{1, 1}, [2]int{}, [2]int{}, []string{"unsupported dtype int"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := G.NewGraph()
			x := G.NewTensor(g, tc.xDt, len(tc.xShape), G.WithShape(tc.xShape...), G.WithName("x"))
			w := G.NewTensor(g, tc.wDt, len(tc.wShape), G.WithShape(tc.wShape...), G.WithName("w"))
			y, err := ConvTranspose2d(x, w, tc.stride, tc.pad, tc.outPad)
			require.Error(t, err)
			assert.Nil(t, y)
			for _, s := range tc.want {
				assert.Contains(t, err.Error(), s)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "ops: ConvTranspose2d: "), err.Error())
		})
	}
	_, err := ConvTranspose2d(nil, nil, [2]int{1, 1}, [2]int{}, [2]int{})
	assert.ErrorContains(t, err, "nil input")
}

// TestOpDoErrors checks that the ops validate values at run time too.
func TestOpDoErrors(t *testing.T) {
	op := convTransposeOp{convTParams{strideH: 1, strideW: 1}}
	x := tensor.New(tensor.WithShape(1, 2, 3, 3), tensor.Of(tensor.Float64))
	w := tensor.New(tensor.WithShape(2, 1, 2, 2), tensor.Of(tensor.Float64))
	w32 := tensor.New(tensor.WithShape(2, 1, 2, 2), tensor.Of(tensor.Float32))
	wBad := tensor.New(tensor.WithShape(3, 1, 2, 2), tensor.Of(tensor.Float64))

	_, err := op.Do(x)
	assert.ErrorContains(t, err, "expected 2 inputs")
	_, err = op.Do(x, w32)
	assert.ErrorContains(t, err, "dtype mismatch")
	_, err = op.Do(x, wBad)
	assert.ErrorContains(t, err, "channel mismatch")
	_, err = op.InferShape(tensor.Shape{1, 2, 3, 3}, tensor.Shape{3, 1, 2, 2})
	assert.ErrorContains(t, err, "channel mismatch")
	s, err := op.InferShape(tensor.Shape{1, 2, 3, 3}, tensor.Shape{2, 5, 2, 2})
	require.NoError(t, err)
	assert.Equal(t, tensor.Shape{1, 5, 4, 4}, s)

	gi := convTransposeGradInputOp{op.convTParams, 3, 3}
	_, err = gi.Do(tensor.New(tensor.WithShape(1, 1, 5, 4), tensor.Of(tensor.Float64)), w)
	assert.ErrorContains(t, err, "dy has shape (1, 1, 5, 4), want (1, 1, 4, 4)")
	gk := convTransposeGradKernelOp{op.convTParams, 2, 2}
	_, err = gk.Do(x, tensor.New(tensor.WithShape(1, 1, 4, 5), tensor.Of(tensor.Float64)))
	assert.ErrorContains(t, err, "dy has shape (1, 1, 4, 5), want (1, 1, 4, 4)")
}

// lossGrads builds y = ConvTranspose2d(x, w), L = Σ(y ⊙ r) and its
// gradients with G.Grad, runs a tape machine and returns ∂L/∂x, ∂L/∂w.
func lossGrads(t *testing.T, c convCase, x, w, r []float64) (dx, dw []float64) {
	t.Helper()
	ho, wo := c.outHW()
	g := G.NewGraph()
	xn := valueNode(g, "x", c.xShape(), append([]float64(nil), x...))
	wn := valueNode(g, "w", c.wShape(), append([]float64(nil), w...))
	rn := valueNode(g, "r", []int{c.n, c.cout, ho, wo}, r)
	y, err := ConvTranspose2d(xn, wn, c.stride, c.pad, c.outPad)
	require.NoError(t, err)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
	grads, err := G.Grad(loss, xn, wn)
	require.NoError(t, err)
	m := G.NewTapeMachine(g)
	defer m.Close()
	require.NoError(t, m.RunAll())
	require.Equal(t, xn.Shape(), grads[0].Shape())
	require.Equal(t, wn.Shape(), grads[1].Shape())
	return float64s(t, grads[0].Value()), float64s(t, grads[1].Value())
}

// centralDiff returns the central finite-difference gradient of f at p
// (p is restored afterwards).
func centralDiff(p []float64, f func() float64) []float64 {
	const eps = 1e-5
	grad := make([]float64, len(p))
	for i := range p {
		old := p[i]
		p[i] = old + eps
		fp := f()
		p[i] = old - eps
		fm := f()
		p[i] = old
		grad[i] = (fp - fm) / (2 * eps)
	}
	return grad
}

// applyOp runs op.Do on float64 tensors and returns the result's data.
func applyOp(t *testing.T, op G.Op, a []float64, as []int, b []float64, bs []int) []float64 {
	t.Helper()
	v, err := op.Do(tensor.New(tensor.WithShape(as...), tensor.WithBacking(a)), tensor.New(tensor.WithShape(bs...), tensor.WithBacking(b)))
	require.NoError(t, err)
	return v.Data().([]float64)
}

var gradCases = []convCase{
	forwardCases[0], // DCGAN shape (small channels)
	forwardCases[3], // stride 1, padding
	forwardCases[5], // odd sizes, outputPad
	forwardCases[6], // non-square kernel and strides
	forwardCases[9], // pad > kernel
}

func TestConvTranspose2dGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			ho, wo := c.outHW()
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			r := randSlice(rng, c.n*c.cout*ho*wo)
			dx, dw := lossGrads(t, c, x, w, r)

			op := convTransposeOp{c.params()}
			loss := func() float64 { return dot(applyOp(t, op, x, c.xShape(), w, c.wShape()), r) }
			fdx := centralDiff(x, loss)
			fdw := centralDiff(w, loss)
			assert.Less(t, maxRelErr(dx, fdx), 1e-6, "dL/dx")
			assert.Less(t, maxRelErr(dw, fdw), 1e-6, "dL/dw")
			// Not vacuous: the gradients are far from zero.
			assert.Greater(t, maxAbs(dx), 0.1)
			assert.Greater(t, maxAbs(dw), 0.1)
		})
	}
}

func maxAbs(s []float64) float64 {
	var m float64
	for _, v := range s {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// TestGradOpsGradients checks the SymDiff of the two gradient ops (used for
// second-order gradients) against finite differences.
func TestGradOpsGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []convCase{forwardCases[5], forwardCases[6]} {
		t.Run(c.name, func(t *testing.T) {
			ho, wo := c.outHW()
			ys := []int{c.n, c.cout, ho, wo}
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			dy := randSlice(rng, prod(ys))
			rx := randSlice(rng, len(x))
			rw := randSlice(rng, len(w))

			gi := convTransposeGradInputOp{c.params(), c.h, c.w}
			gk := convTransposeGradKernelOp{c.params(), c.kh, c.kw}

			for _, tc := range []struct {
				name   string
				op     G.Op
				a, b   []float64
				as, bs []int
				r      []float64
			}{
				{"gradInput", gi, dy, w, ys, c.wShape(), rx},
				{"gradKernel", gk, x, dy, c.xShape(), ys, rw},
			} {
				g := G.NewGraph()
				an := valueNode(g, "a", tc.as, append([]float64(nil), tc.a...))
				bn := valueNode(g, "b", tc.bs, append([]float64(nil), tc.b...))
				rn := valueNode(g, "r", shapeOfLen(tc.op, tc.as, tc.bs), tc.r)
				out, err := G.ApplyOp(tc.op, an, bn)
				require.NoError(t, err)
				loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, rn))))
				grads, err := G.Grad(loss, an, bn)
				require.NoError(t, err)
				m := G.NewTapeMachine(g)
				require.NoError(t, m.RunAll())
				m.Close()

				f := func() float64 { return dot(applyOp(t, tc.op, tc.a, tc.as, tc.b, tc.bs), tc.r) }
				assert.Less(t, maxRelErr(float64s(t, grads[0].Value()), centralDiff(tc.a, f)), 1e-6, "%s: first input", tc.name)
				assert.Less(t, maxRelErr(float64s(t, grads[1].Value()), centralDiff(tc.b, f)), 1e-6, "%s: second input", tc.name)
			}
		})
	}
}

func shapeOfLen(op G.Op, as, bs []int) []int {
	s, err := op.InferShape(tensor.Shape(as), tensor.Shape(bs))
	if err != nil {
		panic(err)
	}
	return s
}

// TestSecondOrder differentiates a function of the first-order gradients
// (as a gradient penalty does) and compares with finite differences. With
// L = Σ(convT(x, w) ⊙ r), ∂L/∂x = gradInput(r, w) and ∂L/∂w =
// gradKernel(x, r), so the second G.Grad goes through the SymDiff of both
// gradient ops. (The loss is kept linear in y on purpose: Gorgonia v0.9.18's
// own second-order gradients through element-wise products are wrong even
// without this package's ops.)
func TestSecondOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []convCase{forwardCases[5], forwardCases[6]} {
		t.Run(c.name, func(t *testing.T) {
			ho, wo := c.outHW()
			ys := []int{c.n, c.cout, ho, wo}
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			r := randSlice(rng, prod(ys))

			g := G.NewGraph()
			xn := valueNode(g, "x", c.xShape(), append([]float64(nil), x...))
			wn := valueNode(g, "w", c.wShape(), append([]float64(nil), w...))
			rn := valueNode(g, "r", ys, r)
			y, err := ConvTranspose2d(xn, wn, c.stride, c.pad, c.outPad)
			require.NoError(t, err)
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
			grads, err := G.Grad(loss, xn, wn)
			require.NoError(t, err)
			pen := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(grads[0])))), G.Must(G.Sum(G.Must(G.Square(grads[1]))))))
			grads2, err := G.Grad(pen, xn, wn)
			require.NoError(t, err)
			m := G.NewTapeMachine(g)
			defer m.Close()
			require.NoError(t, m.RunAll())

			// penalty(x, w) evaluated directly with the ops.
			gi := convTransposeGradInputOp{c.params(), c.h, c.w}
			gk := convTransposeGradKernelOp{c.params(), c.kh, c.kw}
			penalty := func() float64 {
				gx := applyOp(t, gi, r, ys, w, c.wShape())
				gw := applyOp(t, gk, x, c.xShape(), r, ys)
				return dot(gx, gx) + dot(gw, gw)
			}
			d2x, d2w := float64s(t, grads2[0].Value()), float64s(t, grads2[1].Value())
			assert.Less(t, maxRelErr(d2x, centralDiff(x, penalty)), 1e-6, "d pen/dx")
			assert.Less(t, maxRelErr(d2w, centralDiff(w, penalty)), 1e-6, "d pen/dw")
			assert.Greater(t, maxAbs(d2x), 0.1)
			assert.Greater(t, maxAbs(d2w), 0.1)
		})
	}
}

// TestAdjointWithConv2d checks ⟨conv(y), x⟩ = ⟨y, convT(x)⟩ where conv is
// Gorgonia's own Conv2d with the same [Cin, Cout, kH, kW] kernel, which
// for Conv2d is a filter mapping Cout channels to Cin channels.
func TestAdjointWithConv2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []convCase{forwardCases[0], forwardCases[1], forwardCases[3], forwardCases[5], forwardCases[6], forwardCases[7]} {
		t.Run(c.name, func(t *testing.T) {
			ho, wo := c.outHW()
			ys := []int{c.n, c.cout, ho, wo}
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			y := randSlice(rng, prod(ys))

			g := G.NewGraph()
			xn := valueNode(g, "x", c.xShape(), x)
			wn := valueNode(g, "w", c.wShape(), w)
			yn := valueNode(g, "y", ys, y)
			ct, err := ConvTranspose2d(xn, wn, c.stride, c.pad, c.outPad)
			require.NoError(t, err)
			conv, err := G.Conv2d(yn, wn, tensor.Shape{c.kh, c.kw}, c.pad[:], c.stride[:], []int{1, 1})
			require.NoError(t, err)
			require.Equal(t, xn.Shape(), conv.Shape())
			m := G.NewTapeMachine(g)
			defer m.Close()
			require.NoError(t, m.RunAll())

			lhs := dot(float64s(t, conv.Value()), x)
			rhs := dot(y, float64s(t, ct.Value()))
			assert.InDelta(t, 0, (lhs-rhs)/math.Abs(rhs), 1e-9, "⟨conv(y), x⟩ = %v, ⟨y, convT(x)⟩ = %v", lhs, rhs)
			assert.Greater(t, math.Abs(rhs), 1e-3)
		})
	}
}

// TestRerunIdentical runs forward and backward twice in one machine (with
// Reset) and checks bit-identical results and untouched inputs.
func TestRerunIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		c := forwardCases[5]
		ho, wo := c.outHW()
		var xb, wb, rb any = randSlice(rng, prod(c.xShape())), randSlice(rng, prod(c.wShape())), randSlice(rng, c.n*c.cout*ho*wo)
		if dt == tensor.Float32 {
			xb, wb, rb = to32(xb.([]float64)), to32(wb.([]float64)), to32(rb.([]float64))
		}
		g := G.NewGraph()
		xn := valueNode(g, "x", c.xShape(), xb)
		wn := valueNode(g, "w", c.wShape(), wb)
		rn := valueNode(g, "r", []int{c.n, c.cout, ho, wo}, rb)
		y, err := ConvTranspose2d(xn, wn, c.stride, c.pad, c.outPad)
		require.NoError(t, err)
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
		grads, err := G.Grad(loss, xn, wn)
		require.NoError(t, err)
		xCopy := xn.Value().(*tensor.Dense).Clone().(*tensor.Dense)
		wCopy := wn.Value().(*tensor.Dense).Clone().(*tensor.Dense)

		m := G.NewTapeMachine(g)
		var runs [3][3][]float64
		for i := range runs {
			require.NoError(t, m.RunAll())
			for j, n := range []*G.Node{y, grads[0], grads[1]} {
				runs[i][j] = float64s(t, n.Value())
			}
			m.Reset()
		}
		m.Close()
		assert.Equal(t, runs[0], runs[1], "%v", dt)
		assert.Equal(t, runs[0], runs[2], "%v", dt)
		assert.Equal(t, xCopy.Data(), xn.Value().Data(), "x modified")
		assert.Equal(t, wCopy.Data(), wn.Value().Data(), "w modified")
	}
}

// TestUsePreallocDo checks that all three ops overwrite a dirty
// preallocated output completely and reject an unsuitable one.
func TestUsePreallocDo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	c := forwardCases[6]
	ho, wo := c.outHW()
	ys := []int{c.n, c.cout, ho, wo}
	x := tensor.New(tensor.WithShape(c.xShape()...), tensor.WithBacking(randSlice(rng, prod(c.xShape()))))
	w := tensor.New(tensor.WithShape(c.wShape()...), tensor.WithBacking(randSlice(rng, prod(c.wShape()))))
	dy := tensor.New(tensor.WithShape(ys...), tensor.WithBacking(randSlice(rng, prod(ys))))
	for _, tc := range []struct {
		op   G.Op
		a, b *tensor.Dense
	}{
		{convTransposeOp{c.params()}, x, w},
		{convTransposeGradInputOp{c.params(), c.h, c.w}, dy, w},
		{convTransposeGradKernelOp{c.params(), c.kh, c.kw}, x, dy},
	} {
		t.Run(tc.op.String(), func(t *testing.T) {
			fresh, err := tc.op.Do(tc.a, tc.b)
			require.NoError(t, err)
			dirty := tensor.New(tensor.WithShape(fresh.Shape()...), tensor.Of(tensor.Float64))
			for i := range dirty.Data().([]float64) {
				dirty.Data().([]float64)[i] = math.NaN()
			}
			pd := tc.op.(G.UsePreallocDoer)
			got, err := pd.UsePreallocDo(dirty, tc.a, tc.b)
			require.NoError(t, err)
			assert.Same(t, dirty, got)
			assert.Equal(t, fresh.Data(), got.Data())
			// again into the same (now clean but stale) buffer
			got, err = pd.UsePreallocDo(dirty, tc.a, tc.b)
			require.NoError(t, err)
			assert.Equal(t, fresh.Data(), got.Data())

			wrongShape := tensor.New(tensor.WithShape(prod(fresh.Shape())), tensor.Of(tensor.Float64))
			_, err = pd.UsePreallocDo(wrongShape, tc.a, tc.b)
			assert.ErrorContains(t, err, "preallocated value")
			wrongType := tensor.New(tensor.WithShape(fresh.Shape()...), tensor.Of(tensor.Float32))
			_, err = pd.UsePreallocDo(wrongType, tc.a, tc.b)
			assert.ErrorContains(t, err, "preallocated value")
			_, err = pd.UsePreallocDo(tc.a, tc.a, tc.b)
			assert.Error(t, err)
		})
	}
}

// TestDistinctParamsDistinctNodes guards against Gorgonia's hash-consing
// merging two ops with different hyper-parameters but equal output shapes.
func TestDistinctParamsDistinctNodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	c1 := convCase{n: 1, cin: 2, cout: 2, h: 4, w: 4, kh: 3, kw: 3, stride: [2]int{1, 1}}
	c2 := c1
	c2.stride, c2.pad, c2.outPad = [2]int{2, 2}, [2]int{2, 2}, [2]int{1, 1}
	h1, _ := c1.outHW()
	h2, _ := c2.outHW()
	require.Equal(t, h1, h2)
	x := randSlice(rng, prod(c1.xShape()))
	w := randSlice(rng, prod(c1.wShape()))

	g := G.NewGraph()
	xn := valueNode(g, "x", c1.xShape(), x)
	wn := valueNode(g, "w", c1.wShape(), w)
	y1, err := ConvTranspose2d(xn, wn, c1.stride, c1.pad, c1.outPad)
	require.NoError(t, err)
	y2, err := ConvTranspose2d(xn, wn, c2.stride, c2.pad, c2.outPad)
	require.NoError(t, err)
	require.NotSame(t, y1, y2)
	m := G.NewTapeMachine(g)
	defer m.Close()
	require.NoError(t, m.RunAll())
	assert.Less(t, maxRelErr(float64s(t, y1.Value()), refConvT(c1, x, w)), 1e-13)
	assert.Less(t, maxRelErr(float64s(t, y2.Value()), refConvT(c2, x, w)), 1e-13)
	assert.NotEqual(t, convTransposeOp{c1.params()}.Hashcode(), convTransposeOp{c2.params()}.Hashcode())
}

// TestGatherScatter checks the im2col/col2im kernels directly: gather
// against its definition, writing every element of a dirty buffer, and
// scatter as its adjoint.
func TestGatherScatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, c := range forwardCases {
		t.Run(c.name, func(t *testing.T) {
			p := c.params()
			gm, err := p.geometry(tensor.Shape(c.xShape()), tensor.Shape(c.wShape()))
			require.NoError(t, err)
			y := randSlice(rng, gm.outItem())
			cols := make([]float64, gm.colRows()*gm.inPlane())
			for i := range cols {
				cols[i] = math.NaN()
			}
			gather(gm, y, cols, make([]float64, gm.hout*gm.wout+1), gm.inPlane(), 0)
			for co := 0; co < c.cout; co++ {
				for ki := 0; ki < c.kh; ki++ {
					for kj := 0; kj < c.kw; kj++ {
						for i := 0; i < c.h; i++ {
							for j := 0; j < c.w; j++ {
								oi, oj := i*gm.sh-gm.ph+ki, j*gm.sw-gm.pw+kj
								var want float64
								if oi >= 0 && oi < gm.hout && oj >= 0 && oj < gm.wout {
									want = y[(co*gm.hout+oi)*gm.wout+oj]
								}
								require.Equal(t, want, cols[(((co*c.kh+ki)*c.kw+kj)*c.h+i)*c.w+j])
							}
						}
					}
				}
			}
			cr := randSlice(rng, len(cols))
			sy := make([]float64, len(y))
			for i := range sy {
				sy[i] = math.NaN() // scatter overwrites y
			}
			scatter(gm, cr, sy, make([]float64, gm.hout*gm.wout+1), gm.inPlane(), 0)
			assert.InDelta(t, dot(cols, cr), dot(y, sy), 1e-12)
		})
	}
}
