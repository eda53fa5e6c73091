package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnShapes are the input shapes the batch norm tests run on: 2-D and 4-D,
// odd sizes, one channel, one batch item with H·W > 1, and M = 1.
var bnShapes = [][]int{
	{5, 3}, {7, 1}, {1, 4}, {2, 3, 4, 5}, {3, 1, 2, 5}, {1, 3, 2, 3}, {4, 5, 3, 3}, {2, 2, 1, 1}, {3, 2, 1, 7},
}

// bnRef is batch normalisation by its definition, in float64: the
// per-channel mean and biased variance over every axis but 1, and
// y = (x − mean)/sqrt(var + eps)·γ + β.
func bnRef(shape []int, x, gamma, beta []float64, eps float64) (y, mean, variance []float64) {
	n, c := shape[0], shape[1]
	inner := len(x) / (n * c)
	at := func(i, ch, k int) int { return (i*c+ch)*inner + k }
	m := float64(n * inner)
	mean, variance, y = make([]float64, c), make([]float64, c), make([]float64, len(x))
	for ch := 0; ch < c; ch++ {
		for i := 0; i < n; i++ {
			for k := 0; k < inner; k++ {
				mean[ch] += x[at(i, ch, k)]
			}
		}
		mean[ch] /= m
		for i := 0; i < n; i++ {
			for k := 0; k < inner; k++ {
				e := x[at(i, ch, k)] - mean[ch]
				variance[ch] += e * e
			}
		}
		variance[ch] /= m
		for i := 0; i < n; i++ {
			for k := 0; k < inner; k++ {
				y[at(i, ch, k)] = (x[at(i, ch, k)]-mean[ch])/math.Sqrt(variance[ch]+eps)*gamma[ch] + beta[ch]
			}
		}
	}
	return y, mean, variance
}

// bnTestData returns random x (per-channel offsets and spreads, so that the
// statistics matter), γ, β and r for shape.
func bnTestData(rng *rand.Rand, shape []int) (x, gamma, beta, r []float64) {
	size := 1
	for _, d := range shape {
		size *= d
	}
	c := shape[1]
	inner := size / (shape[0] * c)
	x, r = make([]float64, size), make([]float64, size)
	for i := range x {
		ch := i / inner % c
		x[i] = float64(ch) - 1 + (0.5+float64(ch%3))*rng.NormFloat64()
		r[i] = rng.NormFloat64()
	}
	gamma, beta = make([]float64, c), make([]float64, c)
	for i := range gamma {
		gamma[i] = 1 + 0.3*rng.NormFloat64()
		beta[i] = 0.5 * rng.NormFloat64()
	}
	return x, gamma, beta, r
}

// bnNode adds a tensor node of dtype dt holding vals to g.
func bnNode(g *G.ExprGraph, dt tensor.Dtype, name string, shape []int, vals []float64) *G.Node {
	var back any = append([]float64(nil), vals...)
	if dt == tensor.Float32 {
		f := make([]float32, len(vals))
		for i, v := range vals {
			f[i] = float32(v)
		}
		back = f
	}
	return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back))))
}

func bnFloat64s(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, f := range d {
			out[i] = float64(f)
		}
		return out
	}
	panic("unexpected data")
}

// oldBatchNorm is nn.BatchNorm's training-mode graph before the fused
// ops: Gorgonia broadcast nodes. It returns y, the mean and the biased
// variance.
func oldBatchNorm(t *testing.T, x, gamma, beta *G.Node, eps float64) (y, mean, variance *G.Node) {
	t.Helper()
	shape := x.Shape()
	c := shape[1]
	axes, statShape, pattern := []int{0}, tensor.Shape{1, c}, []byte{0}
	if len(shape) == 4 {
		axes, statShape, pattern = []int{0, 2, 3}, tensor.Shape{1, c, 1, 1}, []byte{0, 2, 3}
	}
	must := G.Must
	reshape := func(n *G.Node) *G.Node { return must(G.Reshape(n, statShape)) }
	mean = must(G.Mean(x, axes...))
	centred := must(G.BroadcastSub(x, reshape(mean), nil, pattern))
	variance = must(G.Mean(must(G.Square(centred)), axes...))
	var epsC *G.Node
	if x.Dtype() == tensor.Float32 {
		epsC = G.NewConstant(float32(eps))
	} else {
		epsC = G.NewConstant(eps)
	}
	invStd := must(G.Inverse(must(G.Sqrt(must(G.Add(variance, epsC))))))
	scale := reshape(must(G.HadamardProd(invStd, gamma)))
	y = must(G.BroadcastHadamardProd(centred, scale, nil, pattern))
	y = must(G.BroadcastAdd(y, reshape(beta), nil, pattern))
	return y, mean, variance
}

// bnGraph is y = BatchNorm(x; γ, β) (fused or the old graph), with
// loss = Σ y ⊙ r and, if grad, the gradients with respect to x, γ and β;
// newBNGraph runs it once and records y, the statistics and the
// gradients; the machine and the nodes stay for finite differences.
type bnGraph struct {
	vm               G.VM
	x, gamma, beta   *G.Node
	y, mean, vr      *G.Node
	loss             *G.Node
	grads            G.Nodes
	gotY, gotM, gotV []float64
	gotGrads         [][]float64
}

func newBNGraph(t *testing.T, dt tensor.Dtype, fused, grad bool, shape []int, xs, gs, bs, rs []float64) *bnGraph {
	t.Helper()
	g := G.NewGraph()
	b := &bnGraph{
		x:     bnNode(g, dt, "x", shape, xs),
		gamma: bnNode(g, dt, "gamma", shape[1:2], gs),
		beta:  bnNode(g, dt, "beta", shape[1:2], bs),
	}
	const eps = 1e-5
	if fused {
		var err error
		b.y, err = BatchNorm(b.x, b.gamma, b.beta, eps)
		require.NoError(t, err)
		b.mean, b.vr, err = BatchStats(b.x)
		require.NoError(t, err)
	} else {
		b.y, b.mean, b.vr = oldBatchNorm(t, b.x, b.gamma, b.beta, eps)
	}
	if grad {
		r := bnNode(g, dt, "r", shape, rs)
		b.loss = G.Must(G.Sum(G.Must(G.HadamardProd(b.y, r))))
		var err error
		b.grads, err = G.Grad(b.loss, b.x, b.gamma, b.beta)
		require.NoError(t, err)
	}
	var mv, vv G.Value
	G.Read(b.mean, &mv)
	G.Read(b.vr, &vv)
	b.vm = G.NewTapeMachine(g)
	t.Cleanup(func() { b.vm.Close() })
	require.NoError(t, b.vm.RunAll())
	b.gotY, b.gotM, b.gotV = bnFloat64s(b.y.Value()), bnFloat64s(mv), bnFloat64s(vv)
	for _, n := range b.grads {
		b.gotGrads = append(b.gotGrads, bnFloat64s(n.Value()))
	}
	b.vm.Reset()
	return b
}

// bnMaxRelErr is max|got − want| / max(1, max|want|).
func bnMaxRelErr(got, want []float64) float64 {
	var e, scale float64 = 0, 1
	for i := range want {
		e = math.Max(e, math.Abs(got[i]-want[i]))
		scale = math.Max(scale, math.Abs(want[i]))
	}
	return e / scale
}

func TestBatchNormForwardAndStatsMatchLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shape := range bnShapes {
		xs, gs, bs, _ := bnTestData(rng, shape)
		for _, c := range []struct {
			dt  tensor.Dtype
			tol float64
		}{{tensor.Float64, 1e-12}, {tensor.Float32, 1e-5}} {
			in := xs
			if c.dt == tensor.Float32 { // the reference sees the rounded inputs
				in = make([]float64, len(xs))
				for i, v := range xs {
					in[i] = float64(float32(v))
				}
			}
			g32 := func(v []float64) []float64 {
				if c.dt == tensor.Float64 {
					return v
				}
				o := make([]float64, len(v))
				for i, f := range v {
					o[i] = float64(float32(f))
				}
				return o
			}
			wantY, wantM, wantV := bnRef(shape, in, g32(gs), g32(bs), 1e-5)
			b := newBNGraph(t, c.dt, true, false, shape, xs, gs, bs, nil)
			require.Equal(t, shape, []int(b.y.Shape()), "y shape")
			require.LessOrEqual(t, bnMaxRelErr(b.gotY, wantY), c.tol, "%v %v y", c.dt, shape)
			require.LessOrEqual(t, bnMaxRelErr(b.gotM, wantM), c.tol, "%v %v mean", c.dt, shape)
			require.LessOrEqual(t, bnMaxRelErr(b.gotV, wantV), c.tol, "%v %v variance", c.dt, shape)
		}
	}
}

func TestBatchNormGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][]int{{5, 3}, {3, 2, 2, 3}, {1, 2, 3, 2}, {4, 1, 3, 1}} {
		xs, gs, bs, rs := bnTestData(rng, shape)
		b := newBNGraph(t, tensor.Float64, true, true, shape, xs, gs, bs, rs)
		eval := func() float64 {
			require.NoError(t, b.vm.RunAll())
			v := b.loss.Value().Data().(float64)
			b.vm.Reset()
			return v
		}
		wrt := G.Nodes{b.x, b.gamma, b.beta}
		for k, n := range wrt {
			vals := n.Value().Data().([]float64)
			fd := make([]float64, len(vals))
			for i := range vals {
				const h = 1e-5
				orig := vals[i]
				vals[i] = orig + h
				up := eval()
				vals[i] = orig - h
				down := eval()
				vals[i] = orig
				fd[i] = (up - down) / (2 * h)
			}
			var num, den float64
			for i := range fd {
				num += (fd[i] - b.gotGrads[k][i]) * (fd[i] - b.gotGrads[k][i])
				den += fd[i] * fd[i]
			}
			require.Less(t, math.Sqrt(num/den), 1e-6, "shape %v input %d: analytic %v, numeric %v", shape, k, b.gotGrads[k], fd)
		}
	}
}

// TestBatchNormMatchesBroadcastGraph: the fused ops give the values and
// gradients of the graph of Gorgonia broadcast nodes they replace.
func TestBatchNormMatchesBroadcastGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, shape := range [][]int{{6, 4}, {4, 3, 3, 5}, {1, 2, 2, 2}, {3, 1, 4, 4}} {
		xs, gs, bs, rs := bnTestData(rng, shape)
		for _, c := range []struct {
			dt  tensor.Dtype
			tol float64
		}{{tensor.Float64, 1e-10}, {tensor.Float32, 2e-5}} {
			fused := newBNGraph(t, c.dt, true, true, shape, xs, gs, bs, rs)
			old := newBNGraph(t, c.dt, false, true, shape, xs, gs, bs, rs)
			require.LessOrEqual(t, bnMaxRelErr(fused.gotY, old.gotY), c.tol, "%v %v y", c.dt, shape)
			require.LessOrEqual(t, bnMaxRelErr(fused.gotM, old.gotM), c.tol, "%v %v mean", c.dt, shape)
			require.LessOrEqual(t, bnMaxRelErr(fused.gotV, old.gotV), c.tol, "%v %v variance", c.dt, shape)
			for k, name := range []string{"dx", "dγ", "dβ"} {
				require.LessOrEqual(t, bnMaxRelErr(fused.gotGrads[k], old.gotGrads[k]), c.tol,
					"%v %v %s: fused %v, old %v", c.dt, shape, name, fused.gotGrads[k], old.gotGrads[k])
			}
		}
	}
}

// TestBatchStatsSharedWithBatchNorm: BatchStats on BatchNorm's input adds
// no nodes (Gorgonia merges them with BatchNorm's own), so reading the
// statistics costs nothing extra.
func TestBatchStatsSharedWithBatchNorm(t *testing.T) {
	g := G.NewGraph()
	x := bnNode(g, tensor.Float32, "x", []int{4, 3, 2, 2}, make([]float64, 48))
	gamma := bnNode(g, tensor.Float32, "gamma", []int{3}, []float64{1, 1, 1})
	beta := bnNode(g, tensor.Float32, "beta", []int{3}, []float64{0, 0, 0})
	_, err := BatchNorm(x, gamma, beta, 1e-5)
	require.NoError(t, err)
	before := len(g.AllNodes())
	m, v, err := BatchStats(x)
	require.NoError(t, err)
	require.Len(t, g.AllNodes(), before)
	require.Equal(t, []int{3}, []int(m.Shape()))
	require.Equal(t, []int{3}, []int(v.Shape()))
}

// TestBatchNormRejectsSecondOrderGradients: differentiating through the
// gradient nodes or the statistics fails instead of silently dropping
// terms.
func TestBatchNormRejectsSecondOrderGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	shape := []int{4, 2}
	xs, gs, bs, rs := bnTestData(rng, shape)
	g := G.NewGraph()
	x := bnNode(g, tensor.Float64, "x", shape, xs)
	gamma := bnNode(g, tensor.Float64, "gamma", shape[1:], gs)
	beta := bnNode(g, tensor.Float64, "beta", shape[1:], bs)
	r := bnNode(g, tensor.Float64, "r", shape, rs)
	y, err := BatchNorm(x, gamma, beta, 1e-5)
	require.NoError(t, err)
	grads, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(y, r)))), x, gamma)
	require.NoError(t, err)
	_, err = G.Grad(G.Must(G.Sum(G.Must(G.Square(grads[0])))), x)
	require.ErrorContains(t, err, "not differentiable")

	mean, _, err := BatchStats(x)
	require.NoError(t, err)
	_, err = G.Grad(G.Must(G.Sum(mean)), x)
	require.ErrorContains(t, err, "not differentiable")
}

func TestBatchNormShapeErrors(t *testing.T) {
	g := G.NewGraph()
	vec := func(name string, n int) *G.Node {
		return bnNode(g, tensor.Float64, name, []int{n}, make([]float64, n))
	}
	x4 := bnNode(g, tensor.Float64, "x4", []int{2, 3, 2, 2}, make([]float64, 24))
	x3 := bnNode(g, tensor.Float64, "x3", []int{2, 3, 4}, make([]float64, 24))
	x1 := vec("x1", 6)
	for _, c := range []struct {
		name         string
		x, g, b      *G.Node
		eps          float64
		want, shapes string
	}{
		{"rank 3", x3, vec("g", 3), vec("b", 3), 1e-5, "x must be [N, C] or [N, C, H, W]", "(2, 3, 4)"},
		{"rank 1", x1, vec("g1", 6), vec("b1", 6), 1e-5, "x must be [N, C] or [N, C, H, W]", "(6)"},
		{"γ length", x4, vec("g4", 4), vec("b3", 3), 1e-5, "scale must have shape [3]", "(4)"},
		{"β length", x4, vec("g3", 3), vec("b2", 2), 1e-5, "shift must have shape [3]", "(2)"},
		{"β matrix", x4, vec("g3b", 3), bnNode(g, tensor.Float64, "bm", []int{3, 1}, make([]float64, 3)), 1e-5, "shift must have shape [3]", "(3, 1)"},
		{"eps", x4, vec("g3c", 3), vec("b3c", 3), -1, "eps must be finite", ""},
	} {
		_, err := BatchNorm(c.x, c.g, c.b, c.eps)
		require.ErrorContains(t, err, c.want, c.name)
		require.ErrorContains(t, err, "BatchNorm", c.name)
		require.ErrorContains(t, err, c.shapes, c.name)
	}
	gf := bnNode(g, tensor.Float32, "gf", []int{3}, make([]float64, 3))
	_, err := BatchNorm(x4, gf, vec("bf", 3), 1e-5)
	require.ErrorContains(t, err, "dtype mismatch")
	_, _, err = BatchStats(x3)
	require.ErrorContains(t, err, "BatchMean: x must be [N, C] or [N, C, H, W], got shape (2, 3, 4)")

	// Run-time validation of values, for ops built for other shapes.
	op := bnOp{kind: bnForward, rank: 2, eps: 1e-5}
	xv := tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(make([]float64, 12)))
	v3 := func() *tensor.Dense { return tensor.New(tensor.WithShape(3), tensor.WithBacking(make([]float64, 3))) }
	v2 := tensor.New(tensor.WithShape(2), tensor.WithBacking(make([]float64, 2)))
	_, err = op.Do(xv, v3(), v3(), v2, v3())
	require.ErrorContains(t, err, "scale must have shape [3] (C of x (4, 3)), got (2)")
	_, err = op.Do(xv, v3(), v3(), v3())
	require.ErrorContains(t, err, "expected 5 inputs, got 4")
	_, err = op.UsePreallocDo(tensor.New(tensor.WithShape(3, 4), tensor.Of(tensor.Float64)), xv, v3(), v3(), v3(), v3())
	require.ErrorContains(t, err, "preallocated value is float64 (3, 4), want float64 (4, 3)")
}

// TestBatchNormOpsPreallocViewsAndAliasing runs every op directly: into a
// preallocated output, from a transposed (view) input, and with the
// output aliasing an input of its shape; all give the plain results.
func TestBatchNormOpsPreallocViewsAndAliasing(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		shape := []int{5, 3}
		xs, gs, bs, rs := bnTestData(rng, shape)
		mk := func(shape []int, v []float64) *tensor.Dense {
			return bnNode(G.NewGraph(), dt, "t", shape, v).Value().(*tensor.Dense)
		}
		x, dy, gamma, beta := mk(shape, xs), mk(shape, rs), mk(shape[1:], gs), mk(shape[1:], bs)
		do := func(op bnOp, prealloc G.Value, in ...G.Value) *tensor.Dense {
			t.Helper()
			v, err := op.UsePreallocDo(prealloc, in...)
			require.NoError(t, err, "%v", op)
			if prealloc != nil {
				require.Same(t, prealloc, v, "%v writes into prealloc", op)
			}
			return v.(*tensor.Dense)
		}
		const eps = 1e-5
		mean := do(bnOp{kind: bnMean, rank: 2}, nil, x)
		vr := do(bnOp{kind: bnVar, rank: 2}, nil, x, mean)
		y := do(bnOp{kind: bnForward, rank: 2, eps: eps}, nil, x, mean, vr, gamma, beta)
		sums := do(bnOp{kind: bnSums, rank: 2, eps: eps}, nil, x, mean, vr, dy)
		dx := do(bnOp{kind: bnGradX, rank: 2, eps: eps}, nil, x, mean, vr, gamma, sums, dy)
		dg := do(bnOp{kind: bnSumRow1, rank: 2}, nil, sums)
		db := do(bnOp{kind: bnSumRow0, rank: 2}, nil, sums)
		require.Equal(t, []int{2, 3}, []int(sums.Shape()))
		require.Equal(t, bnFloat64s(sums)[3:], bnFloat64s(dg))
		require.Equal(t, bnFloat64s(sums)[:3], bnFloat64s(db))
		var sumDy [3]float64
		for i, v := range rs {
			sumDy[i%3] += v
		}
		require.InDeltaSlice(t, sumDy[:], bnFloat64s(db), 1e-5)

		// x as a transposed view of [C, N] data.
		xtData := make([]float64, 15)
		for i := 0; i < 5; i++ {
			for ch := 0; ch < 3; ch++ {
				xtData[ch*5+i] = xs[i*3+ch]
			}
		}
		xt := mk([]int{3, 5}, xtData)
		require.NoError(t, xt.T())
		require.True(t, xt.IsMaterializable())
		require.Equal(t, bnFloat64s(y), bnFloat64s(do(bnOp{kind: bnForward, rank: 2, eps: eps}, nil, xt, mean, vr, gamma, beta)))
		require.Equal(t, bnFloat64s(mean), bnFloat64s(do(bnOp{kind: bnMean, rank: 2}, nil, xt)))

		// Preallocated outputs, fresh and aliasing an input.
		fresh := func(s ...int) *tensor.Dense { return tensor.New(tensor.Of(dt), tensor.WithShape(s...)) }
		require.Equal(t, bnFloat64s(mean), bnFloat64s(do(bnOp{kind: bnMean, rank: 2}, fresh(3), x)))
		require.Equal(t, bnFloat64s(vr), bnFloat64s(do(bnOp{kind: bnVar, rank: 2}, mean.Clone().(*tensor.Dense), x, mean)))
		m2 := mean.Clone().(*tensor.Dense)
		require.Equal(t, bnFloat64s(vr), bnFloat64s(do(bnOp{kind: bnVar, rank: 2}, m2, x, m2)), "variance into its mean input")
		x2 := x.Clone().(*tensor.Dense)
		require.Equal(t, bnFloat64s(y), bnFloat64s(do(bnOp{kind: bnForward, rank: 2, eps: eps}, x2, x2, mean, vr, gamma, beta)), "y into x")
		require.Equal(t, bnFloat64s(sums), bnFloat64s(do(bnOp{kind: bnSums, rank: 2, eps: eps}, fresh(2, 3), x, mean, vr, dy)))
		dy2 := dy.Clone().(*tensor.Dense)
		require.Equal(t, bnFloat64s(dx), bnFloat64s(do(bnOp{kind: bnGradX, rank: 2, eps: eps}, dy2, x, mean, vr, gamma, sums, dy2)), "dx into dy")
		x3 := x.Clone().(*tensor.Dense)
		require.Equal(t, bnFloat64s(dx), bnFloat64s(do(bnOp{kind: bnGradX, rank: 2, eps: eps}, x3, x3, mean, vr, gamma, sums, dy)), "dx into x")
		require.Equal(t, bnFloat64s(dg), bnFloat64s(do(bnOp{kind: bnSumRow1, rank: 2}, fresh(3), sums)))
	}
}

// BenchmarkBatchNormOps times the fused ops alone (no graph) on the
// reference DCGAN discriminator's [64, 128, 7, 7] float32 activations:
// forward (statistics and normalisation) and backward (sums, dx, dγ, dβ),
// into preallocated outputs.
//
//	go test ./ops/ -run '^$' -bench BatchNormOps -benchtime 50x
func BenchmarkBatchNormOps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := []int{64, 128, 7, 7}
	x, dy := randDense32(rng, shape...), randDense32(rng, shape...)
	gamma, beta := randDense32(rng, 128), randDense32(rng, 128)
	const eps = 1e-5
	ops := struct{ mean, vr, fwd, sums, gx, r0, r1 bnOp }{
		bnOp{kind: bnMean, rank: 4}, bnOp{kind: bnVar, rank: 4}, bnOp{kind: bnForward, rank: 4, eps: eps},
		bnOp{kind: bnSums, rank: 4, eps: eps}, bnOp{kind: bnGradX, rank: 4, eps: eps},
		bnOp{kind: bnSumRow0, rank: 4}, bnOp{kind: bnSumRow1, rank: 4},
	}
	out := func(s ...int) *tensor.Dense { return tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(s...)) }
	mean, vr, y, sums, dx, dg, db := out(128), out(128), out(shape...), out(2, 128), out(shape...), out(128), out(128)
	run := func(op bnOp, p G.Value, in ...G.Value) {
		if _, err := op.UsePreallocDo(p, in...); err != nil {
			b.Fatal(err)
		}
	}
	forward := func() {
		run(ops.mean, mean, x)
		run(ops.vr, vr, x, mean)
		run(ops.fwd, y, x, mean, vr, gamma, beta)
	}
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			forward()
		}
	})
	b.Run("forward+backward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			forward()
			run(ops.sums, sums, x, mean, vr, dy)
			run(ops.gx, dx, x, mean, vr, gamma, sums, dy)
			run(ops.r1, dg, sums)
			run(ops.r0, db, sums)
		}
	})
}

// TestBatchNormRowsAssemblyMatchesGo: the vector loops of the affine
// forward and the input gradient give the Go loops' values bit for bit,
// in place too, on lengths around their 4-wide steps, with NaN and Inf.
func TestBatchNormRowsAssemblyMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-45, math.MaxFloat32}
	val := func() float32 {
		if rng.IntN(8) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.NormFloat64() * 3)
	}
	same := func(n int, got, want []float32, what string) {
		for j := range want {
			if math.IsNaN(float64(want[j])) {
				require.True(t, math.IsNaN(float64(got[j])), "%s n=%d j=%d", what, n, j)
				continue
			}
			require.Equal(t, math.Float32bits(want[j]), math.Float32bits(got[j]), "%s n=%d j=%d: %v want %v", what, n, j, got[j], want[j])
		}
	}
	for n := 0; n <= 29; n++ {
		x, g := make([]float32, n), make([]float32, n)
		for j := range x {
			x[j], g[j] = val(), val()
		}
		mu, a, b, q, gm := rng.NormFloat64(), rng.NormFloat64()*5, rng.NormFloat64(), rng.NormFloat64()*0.3, rng.NormFloat64()*0.1
		got, want := make([]float32, n), make([]float32, n)
		bnAffineRow32(x, got, mu, a, b)
		bnAffineRowGo(x, want, mu, a, b)
		same(n, got, want, "affine")
		inPlace := slices.Clone(x)
		bnAffineRow32(inPlace, inPlace, mu, a, b)
		same(n, inPlace, want, "affine in place")

		bnGradInputRow32(x, g, got, mu, a, gm, q)
		bnGradInputRowGo(x, g, want, mu, a, gm, q)
		same(n, got, want, "grad")
		inPlace = slices.Clone(g)
		bnGradInputRow32(x, inPlace, inPlace, mu, a, gm, q)
		same(n, inPlace, want, "grad in place of dy")
	}
}
