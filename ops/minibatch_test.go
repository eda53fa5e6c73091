package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mbdLoops is the float64 reference of the four minibatch ops, written
// from their definitions: e, s and u are computed per pair and summed
// plainly.
func mbdLoops(kind mbdKind, n, nb, nc int, m, g, h []float64) []float64 {
	bc := nb * nc
	at := func(x []float64, i, b, c int) float64 { return x[i*bc+b*nc+c] }
	e := func(i, j, b int) float64 {
		d := 0.0
		for c := range nc {
			d += math.Abs(at(m, i, b, c) - at(m, j, b, c))
		}
		return math.Exp(-d)
	}
	s := func(i, j, b, c int) float64 {
		v := at(m, i, b, c) - at(m, j, b, c)
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0
	}
	u := func(i, j, b int) float64 {
		v := 0.0
		for c := range nc {
			v += s(i, j, b, c) * (at(h, i, b, c) - at(h, j, b, c))
		}
		return v
	}
	var out []float64
	for i := range n {
		for b := range nb {
			switch kind {
			case mbdForward, mbdGradG:
				v := 0.0
				for j := range n {
					if kind == mbdForward {
						v += e(i, j, b)
					} else {
						v -= e(i, j, b) * u(i, j, b)
					}
				}
				out = append(out, v)
			default:
				for c := range nc {
					v := 0.0
					for j := range n {
						w := (g[i*nb+b] + g[j*nb+b]) * e(i, j, b) * s(i, j, b, c)
						if kind == mbdGrad {
							v -= w
						} else {
							v += w * u(i, j, b)
						}
					}
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// mbdDo runs one op on float64 inputs (converted to dt) and returns its
// output as float64.
func mbdDo(t *testing.T, dt tensor.Dtype, kind mbdKind, nb int, shapes []tensor.Shape, ins ...[]float64) []float64 {
	t.Helper()
	vals := make([]G.Value, len(ins))
	for i, v := range ins {
		vals[i] = denseOf(dt, shapes[i], v)
	}
	out, err := mbdOp{kind: kind, kernels: nb}.Do(vals...)
	require.NoError(t, err)
	return mbdF64(out)
}

func denseOf(dt tensor.Dtype, shape tensor.Shape, v []float64) *tensor.Dense {
	var back any = append([]float64(nil), v...)
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		back = f
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(back))
}

func mbdF64(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		o := make([]float64, len(d))
		for i, x := range d {
			o[i] = float64(x)
		}
		return o
	case []float64:
		return append([]float64(nil), d...)
	}
	panic(fmt.Sprintf("float64s: %T", v.Data()))
}

func mbdShapes(kind mbdKind, n, nb, nc int) []tensor.Shape {
	ms, gs := tensor.Shape{n, nb * nc}, tensor.Shape{n, nb}
	switch kind {
	case mbdGrad:
		return []tensor.Shape{ms, gs}
	case mbdGradG:
		return []tensor.Shape{ms, ms}
	case mbdGradM:
		return []tensor.Shape{ms, gs, ms}
	}
	return []tensor.Shape{ms}
}

// mbdInputs draws m (with a tied pair of entries, so that sign(0) is
// exercised), g and h.
func mbdInputs(rng *rand.Rand, n, nb, nc int) (m, g, h []float64) {
	m = make([]float64, n*nb*nc)
	for i := range m {
		m[i] = rng.NormFloat64() * 0.5
	}
	if n > 1 {
		m[nb*nc] = m[0] // row 1 equals row 0 in entry (b 0, c 0)
	}
	g = make([]float64, n*nb)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	h = make([]float64, n*nb*nc)
	for i := range h {
		h[i] = rng.NormFloat64()
	}
	return m, g, h
}

func mbdArgsOf(kind mbdKind, m, g, h []float64) [][]float64 {
	switch kind {
	case mbdGrad:
		return [][]float64{m, g}
	case mbdGradG:
		return [][]float64{m, h}
	case mbdGradM:
		return [][]float64{m, g, h}
	}
	return [][]float64{m}
}

// TestMinibatchKernelsMatchLoops: the four ops against the float64 loops
// on odd sizes, in float64 (to rounding) and float32 (to float32
// rounding of values of order n).
func TestMinibatchKernelsMatchLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 2, 7} {
		for _, nb := range []int{1, 3} {
			for _, nc := range []int{1, 5} {
				m, g, h := mbdInputs(rng, n, nb, nc)
				for kind := mbdForward; kind <= mbdGradM; kind++ {
					want := mbdLoops(kind, n, nb, nc, m, g, h)
					for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
						name := fmt.Sprintf("%s n=%d B=%d C=%d %v", mbdNames[kind], n, nb, nc, dt)
						got := mbdDo(t, dt, kind, nb, mbdShapes(kind, n, nb, nc), mbdArgsOf(kind, m, g, h)...)
						require.Len(t, got, len(want), name)
						tol := 1e-12
						if dt == tensor.Float32 {
							tol = 2e-5
						}
						for i := range want {
							require.InDelta(t, want[i], got[i], tol*(1+math.Abs(want[i])), "%s element %d", name, i)
						}
					}
				}
			}
		}
	}
}

// TestMinibatchKernelsGradientsFiniteDifferences: in float64, the
// gradient op is the derivative of Σ g ⊙ forward(m), and the second-order
// ops the derivatives of Σ h ⊙ grad(m, g) with respect to m and g, by
// central differences.
func TestMinibatchKernelsGradientsFiniteDifferences(t *testing.T) {
	const n, nb, nc = 5, 3, 4
	rng := rand.New(rand.NewPCG(23, 24))
	m, g, h := mbdInputs(rng, n, nb, nc)
	m[nb*nc] = m[0] + 0.3 // no ties: the sign must not flip within ±eps
	dot := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	forward := func(m []float64) float64 { return dot(g, mbdLoops(mbdForward, n, nb, nc, m, nil, nil)) }
	grad2 := func(m, g []float64) float64 { return dot(h, mbdLoops(mbdGrad, n, nb, nc, m, g, nil)) }
	const eps = 1e-6
	fd := func(x []float64, f func() float64) []float64 {
		out := make([]float64, len(x))
		for i := range x {
			v := x[i]
			x[i] = v + eps
			up := f()
			x[i] = v - eps
			down := f()
			x[i] = v
			out[i] = (up - down) / (2 * eps)
		}
		return out
	}
	check := func(what string, got, want []float64) {
		t.Helper()
		require.Len(t, got, len(want), what)
		var nonzero bool
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-6*(1+math.Abs(want[i])), "%s element %d", what, i)
			nonzero = nonzero || math.Abs(want[i]) > 1e-3
		}
		require.True(t, nonzero, what)
	}
	sh := mbdShapes(mbdGradM, n, nb, nc)
	check("dm", mbdDo(t, tensor.Float64, mbdGrad, nb, sh[:2], m, g), fd(m, func() float64 { return forward(m) }))
	check("d²m", mbdDo(t, tensor.Float64, mbdGradM, nb, sh, m, g, h), fd(m, func() float64 { return grad2(m, g) }))
	check("dg", mbdDo(t, tensor.Float64, mbdGradG, nb, []tensor.Shape{sh[0], sh[0]}, m, h), fd(g, func() float64 { return grad2(m, g) }))
}

// TestMinibatchKernelsSymbolic: G.Grad through the op, and through its
// gradient (the double backprop of a gradient penalty), gives the ops'
// values; the second-order nodes refuse a third differentiation.
func TestMinibatchKernelsSymbolic(t *testing.T) {
	const n, nb, nc = 4, 2, 3
	rng := rand.New(rand.NewPCG(25, 26))
	mv, gv, _ := mbdInputs(rng, n, nb, nc)
	gr := G.NewGraph()
	m := G.NewMatrix(gr, tensor.Float64, G.WithShape(n, nb*nc), G.WithName("m"), G.WithValue(denseOf(tensor.Float64, tensor.Shape{n, nb * nc}, mv)))
	w := G.NewMatrix(gr, tensor.Float64, G.WithShape(n, nb), G.WithName("w"), G.WithValue(denseOf(tensor.Float64, tensor.Shape{n, nb}, gv)))
	o, err := MinibatchKernels(m, nb)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{n, nb}, o.Shape())
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(o, w))))
	// The first-order gradient as a node (as gan's inputGradient builds
	// it), then a loss on it differentiated again.
	dm, err := o.Op().(G.SDOp).SymDiff(G.Nodes{m}, o, w)
	require.NoError(t, err)
	pen := G.Must(G.Sum(G.Must(G.Square(dm[0]))))
	grads, err := G.Grad(pen, m, w)
	require.NoError(t, err)
	var lossV, dmV, d2m, dw G.Value
	G.Read(loss, &lossV)
	G.Read(dm[0], &dmV)
	G.Read(grads[0], &d2m)
	G.Read(grads[1], &dw)
	vm := G.NewTapeMachine(gr)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	wantDm := mbdLoops(mbdGrad, n, nb, nc, mv, gv, nil)
	gotDm := mbdF64(dmV)
	for i := range wantDm {
		require.InDelta(t, wantDm[i], gotDm[i], 1e-12)
	}
	// d pen / d dm = 2·dm, fed to the second-order ops as h.
	h := make([]float64, len(wantDm))
	for i, v := range wantDm {
		h[i] = 2 * v
	}
	wantD2m := mbdLoops(mbdGradM, n, nb, nc, mv, gv, h)
	wantDw := mbdLoops(mbdGradG, n, nb, nc, mv, nil, h)
	for i, v := range mbdF64(d2m) {
		require.InDelta(t, wantD2m[i], v, 1e-12)
	}
	for i, v := range mbdF64(dw) {
		require.InDelta(t, wantDw[i], v, 1e-12)
	}
	_, err = mbdOp{kind: mbdGradM, kernels: nb}.SymDiff(G.Nodes{m, w, m}, nil, m)
	require.ErrorContains(t, err, "third-order")
}

// TestMinibatchKernelsNonFinite: NaN and ±Inf in m reach the outputs as
// through the composite graph: a NaN every row (each row's sum runs over
// the whole batch), an infinity its own row (|Inf − Inf| is NaN) while the
// other rows see closeness 0 to it.
func TestMinibatchKernelsNonFinite(t *testing.T) {
	const n, nb, nc = 3, 2, 2
	rng := rand.New(rand.NewPCG(27, 28))
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		m, g, _ := mbdInputs(rng, n, nb, nc)
		m[1*nb*nc+0] = bad // sample 1, kernel 0
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			o := mbdDo(t, dt, mbdForward, nb, mbdShapes(mbdForward, n, nb, nc), m)
			dm := mbdDo(t, dt, mbdGrad, nb, mbdShapes(mbdGrad, n, nb, nc), m, g)
			// Sample 1's own term is |bad − bad| = NaN; the others'
			// distances to it are +Inf, their closeness 0.
			require.True(t, math.IsNaN(o[1*nb+0]), "%v %v: o[1, 0] = %v", bad, dt, o[1*nb+0])
			if math.IsNaN(bad) { // every distance to sample 1 is NaN
				require.True(t, math.IsNaN(o[0*nb+0]), "%v %v: o[0, 0] = %v", bad, dt, o[0])
			} else {
				require.Equal(t, 1.0, o[0*nb+0]-o[2*nb+0]+1, "closeness 0 to sample 1 (%v %v)", bad, dt)
			}
			require.False(t, math.IsNaN(o[1*nb+1]), "kernel 1 is unaffected")
			for c := range nc {
				require.True(t, math.IsNaN(dm[1*nb*nc+c]), "%v %v: dm[1, 0, %d] = %v", bad, dt, c, dm[1*nb*nc+c])
			}
		}
		// A NaN upstream gradient reaches the rows it is summed into.
		m, g, _ = mbdInputs(rng, n, nb, nc)
		g[2*nb+1] = math.NaN()
		dm := mbdDo(t, tensor.Float64, mbdGrad, nb, mbdShapes(mbdGrad, n, nb, nc), m, g)
		for i := range n {
			require.True(t, math.IsNaN(dm[i*nb*nc+1*nc]), "row %d", i)
			require.False(t, math.IsNaN(dm[i*nb*nc]), "row %d kernel 0", i)
		}
	}
}

// TestMinibatchKernelsDeterministic: the same bits with 1 and with 4
// threads, on a batch large enough to be split.
func TestMinibatchKernelsDeterministic(t *testing.T) {
	const n, nb, nc = 48, 8, 5
	rng := rand.New(rand.NewPCG(29, 30))
	m, g, h := mbdInputs(rng, n, nb, nc)
	require.Greater(t, n*n*nb*nc/(1<<14), 2, "the batch must be split")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for kind := mbdForward; kind <= mbdGradM; kind++ {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			runtime.GOMAXPROCS(1)
			one := mbdDo(t, dt, kind, nb, mbdShapes(kind, n, nb, nc), mbdArgsOf(kind, m, g, h)...)
			runtime.GOMAXPROCS(4)
			four := mbdDo(t, dt, kind, nb, mbdShapes(kind, n, nb, nc), mbdArgsOf(kind, m, g, h)...)
			require.Equal(t, one, four, "%s %v", mbdNames[kind], dt)
		}
	}
}

func TestMinibatchKernelsErrors(t *testing.T) {
	g := G.NewGraph()
	m := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 10), G.WithName("m"))
	_, err := MinibatchKernels(m, 3)
	require.ErrorContains(t, err, "B·C")
	_, err = MinibatchKernels(m, 0)
	require.ErrorContains(t, err, "kernels")
	_, err = MinibatchKernels(nil, 2)
	require.Error(t, err)
	v := G.NewVector(g, tensor.Float64, G.WithShape(10), G.WithName("v"))
	_, err = MinibatchKernels(v, 2)
	require.Error(t, err)
	// A preallocated output that aliases the input is refused.
	x := denseOf(tensor.Float64, tensor.Shape{2, 2}, []float64{1, 2, 3, 4})
	_, err = mbdOp{kind: mbdGrad, kernels: 2}.UsePreallocDo(x, x, denseOf(tensor.Float64, tensor.Shape{2, 2}, []float64{1, 1, 1, 1}))
	require.ErrorContains(t, err, "aliases")
}

// TestMinibatchKernelsReusedCloseness: the gradient node reuses the
// closeness its forward node computed when m is the same, with the same
// bits as computing it afresh, and recomputes when m has changed (or is
// NaN somewhere: NaN never matches).
func TestMinibatchKernelsReusedCloseness(t *testing.T) {
	const n, nb, nc = 6, 3, 4
	rng := rand.New(rand.NewPCG(31, 32))
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		pairs := new(mbdPairs)
		fwd := mbdOp{kind: mbdForward, kernels: nb, pairs: pairs}
		grad := mbdOp{kind: mbdGrad, kernels: nb, pairs: pairs}
		sh := mbdShapes(mbdGrad, n, nb, nc)
		for round := range 3 {
			m, g, _ := mbdInputs(rng, n, nb, nc)
			if round == 2 {
				m[5] = math.NaN()
			}
			mv := denseOf(dt, sh[0], m)
			_, err := fwd.Do(mv)
			require.NoError(t, err)
			if round == 1 { // m changes after the forward pass: no reuse
				m[3] += 0.25
				mv = denseOf(dt, sh[0], m)
			}
			// Reused in round 0 only: m changed in round 1, m has a NaN in 2.
			require.Equal(t, round == 0, mbdReuseOf(dt, pairs, mv) != nil, "%v round %d: reuse", dt, round)
			got, err := grad.Do(mv, denseOf(dt, sh[1], g))
			require.NoError(t, err)
			want := mbdDo(t, dt, mbdGrad, nb, sh, m, g) // no cache
			gotF := mbdF64(got)
			for i := range want {
				if math.IsNaN(want[i]) {
					require.True(t, math.IsNaN(gotF[i]), "%v round %d element %d", dt, round, i)
					continue
				}
				require.Equal(t, want[i], gotF[i], "%v round %d element %d", dt, round, i)
			}
		}
	}
}

// mbdReuseOf is mbdReuse for a tensor of dtype dt (nil if no reuse).
func mbdReuseOf(dt tensor.Dtype, p *mbdPairs, m *tensor.Dense) any {
	if dt == tensor.Float32 {
		if e := mbdReuse(p, m.Data().([]float32)); e != nil {
			return e
		}
		return nil
	}
	if e := mbdReuse(p, m.Data().([]float64)); e != nil {
		return e
	}
	return nil
}
