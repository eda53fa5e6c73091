package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func newRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func run(t *testing.T, g *G.ExprGraph) {
	t.Helper()
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
}

func TestDenseMatchesHandComputation(t *testing.T) {
	ps, err := NewParams(tensor.Float64)
	require.NoError(t, err)
	w, err := ps.New("w", []int{2, 3}, nil, nil)
	require.NoError(t, err)
	bias, err := ps.New("b", []int{3}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, w.SetFloat64s([]float64{1, 2, 3, 4, 5, 6}))
	require.NoError(t, bias.SetFloat64s([]float64{0.5, -1, 2}))

	b := NewBuilder(G.NewGraph(), Training)
	x := b.Input("x", tensor.Float64, 2, 2)
	copy(x.Value().Data().([]float64), []float64{1, -1, 0.5, 2})
	y, err := Dense(b, x, w, bias)
	require.NoError(t, err)
	run(t, b.Graph())
	// [1 -1]·W = [1-4, 2-5, 3-6] = [-3 -3 -3]; [0.5 2]·W = [8.5 11 13.5]
	require.Equal(t, []float64{-2.5, -4, -1, 9, 10, 15.5}, y.Value().Data().([]float64))
}

func TestSameParamInTwoGraphsSharesTensor(t *testing.T) {
	ps, _ := NewParams(tensor.Float32)
	w, err := ps.New("w", []int{1, 1}, Constant(2), nil)
	require.NoError(t, err)
	outs := make([]*G.Node, 2)
	graphs := make([]*G.ExprGraph, 2)
	for i := range outs {
		b := NewBuilder(G.NewGraph(), Training)
		x := b.Input("x", tensor.Float32, 1, 1)
		x.Value().Data().([]float32)[0] = 3
		outs[i], err = Dense(b, x, w, nil)
		require.NoError(t, err)
		graphs[i] = b.Graph()
	}
	run(t, graphs[0])
	require.Equal(t, float32(6), outs[0].Value().Data().([]float32)[0])
	w.Value.Data().([]float32)[0] = 5 // an in-place update, as an optimizer makes
	run(t, graphs[1])
	require.Equal(t, float32(15), outs[1].Value().Data().([]float32)[0])
}

func TestTwoNetworksWithEqualParamNamesStayApart(t *testing.T) {
	// Gorgonia merges input nodes of equal name, type and shape; the
	// builder must keep two networks' "w" apart.
	b := NewBuilder(G.NewGraph(), Training)
	p1, _ := NewParams(tensor.Float64)
	p2, _ := NewParams(tensor.Float64)
	w1, _ := p1.New("w", []int{1, 1}, Constant(2), nil)
	w2, _ := p2.New("w", []int{1, 1}, Constant(7), nil)
	require.NotSame(t, b.Node(w1), b.Node(w2))
	require.Same(t, b.Node(w1), b.Node(w1))
}

func TestParamsRejectBadInput(t *testing.T) {
	_, err := NewParams(tensor.Int)
	require.ErrorContains(t, err, "unsupported dtype")
	ps, _ := NewParams(tensor.Float32)
	_, err = ps.New("w", []int{2, 0}, nil, nil)
	require.ErrorContains(t, err, "non-positive dimension")
	_, err = ps.New("w", []int{2}, nil, nil)
	require.NoError(t, err)
	_, err = ps.New("w", []int{2}, nil, nil)
	require.ErrorContains(t, err, `duplicate parameter "w"`)
}

func TestGlorotUniformBoundsAndSpread(t *testing.T) {
	vals := make([]float64, 300*100)
	GlorotUniform(1)(newRNG(), []int{300, 100}, vals)
	a := math.Sqrt(6.0 / 400)
	var sum, sq float64
	for _, v := range vals {
		require.LessOrEqual(t, math.Abs(v), a)
		sum += v
		sq += v * v
	}
	n := float64(len(vals))
	require.InDelta(t, 0, sum/n, 0.01*a)
	require.InDelta(t, a*a/3, sq/n, 0.02*a*a/3) // variance of U(-a, a)
	in, out := Fans([]int{64, 32, 4, 4})
	require.Equal(t, []int{32 * 16, 64 * 16}, []int{in, out})
}

func TestNormalInit(t *testing.T) {
	vals := make([]float64, 50000)
	Normal(1, 0.02)(newRNG(), nil, vals)
	var sum, sq float64
	for _, v := range vals {
		sum += v
	}
	mean := sum / float64(len(vals))
	for _, v := range vals {
		sq += (v - mean) * (v - mean)
	}
	require.InDelta(t, 1, mean, 0.001)
	require.InDelta(t, 0.02, math.Sqrt(sq/float64(len(vals))), 0.0005)
}

func TestActivations(t *testing.T) {
	in := []float64{-2, -0.5, 0, 1.5}
	cases := []struct {
		spec string
		want []float64
	}{
		{"identity", in},
		{"relu", []float64{0, 0, 0, 1.5}},
		{"leakyrelu:0.2", []float64{-0.4, -0.1, 0, 1.5}},
		{"tanh", []float64{math.Tanh(-2), math.Tanh(-0.5), 0, math.Tanh(1.5)}},
		{"sigmoid", []float64{1 / (1 + math.Exp(2)), 1 / (1 + math.Exp(0.5)), 0.5, 1 / (1 + math.Exp(-1.5))}},
	}
	for _, c := range cases {
		a, err := ParseActivation(c.spec)
		require.NoError(t, err)
		require.Equal(t, c.spec, a.String())
		g := G.NewGraph()
		x := G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithBacking(append([]float64(nil), in...)))))
		y, err := a.Apply(x)
		require.NoError(t, err)
		run(t, g)
		require.InDeltaSlice(t, c.want, y.Value().Data().([]float64), 1e-12, c.spec)
	}
	_, err := ParseActivation("swish")
	require.ErrorContains(t, err, `unknown activation "swish"`)
	a, err := ParseActivation("leakyrelu")
	require.NoError(t, err)
	require.Equal(t, 0.2, a.Slope)
}

func TestBatchNormTrainingNormalisesAndUpdatesRunningStats(t *testing.T) {
	ps, _ := NewParams(tensor.Float64)
	bn, err := NewBatchNorm(ps, "bn", 2, nil, nil)
	require.NoError(t, err)
	require.NoError(t, bn.Scale.SetFloat64s([]float64{2, 1}))
	require.NoError(t, bn.Shift.SetFloat64s([]float64{0, 10}))

	b := NewBuilder(G.NewGraph(), Training)
	x := b.Input("x", tensor.Float64, 4, 2)
	// feature 0: 1 2 3 4 (mean 2.5, biased var 1.25); feature 1: all 7.
	copy(x.Value().Data().([]float64), []float64{1, 7, 2, 7, 3, 7, 4, 7})
	y, err := bn.Apply(b, x)
	require.NoError(t, err)
	run(t, b.Graph())
	require.NoError(t, b.AfterRun())

	got := y.Value().Data().([]float64)
	s := 1 / math.Sqrt(1.25+1e-5)
	for i, v := range []float64{1, 2, 3, 4} {
		require.InDelta(t, 2*(v-2.5)*s, got[2*i], 1e-9)
		require.InDelta(t, 10, got[2*i+1], 1e-9)
	}
	// running = 0.9·initial + 0.1·batch, with the unbiased variance (1.25·4/3).
	require.InDeltaSlice(t, []float64{0.25, 0.7}, bn.RunMean.Float64s(), 1e-12)
	require.InDeltaSlice(t, []float64{0.9 + 0.1*1.25*4/3, 0.9}, bn.RunVar.Float64s(), 1e-12)
}

func TestBatchNormInferenceUsesRunningStats(t *testing.T) {
	ps, _ := NewParams(tensor.Float32)
	bn, err := NewBatchNorm(ps, "bn", 3, nil, nil)
	require.NoError(t, err)
	require.NoError(t, bn.RunMean.SetFloat64s([]float64{1, 2, 3}))
	require.NoError(t, bn.RunVar.SetFloat64s([]float64{4, 1, 0.25}))

	b := NewBuilder(G.NewGraph(), Inference)
	x := b.Input("x", tensor.Float32, 1, 3, 1, 2) // NCHW: 3 channels of 1×2
	copy(x.Value().Data().([]float32), []float32{3, 5, 2, 0, 3, 4})
	y, err := bn.Apply(b, x)
	require.NoError(t, err)
	run(t, b.Graph())
	require.NoError(t, b.AfterRun()) // nothing to update in inference mode
	want := []float64{1, 2, 0, -2, 0, 2}
	got := y.Value().Data().([]float32)
	for i := range want {
		require.InDelta(t, want[i], float64(got[i]), 1e-4)
	}
	require.Equal(t, []float64{1, 2, 3}, bn.RunMean.Float64s())
}

func TestBatchNormConvTrainingPerChannel(t *testing.T) {
	ps, _ := NewParams(tensor.Float64)
	bn, err := NewBatchNorm(ps, "bn", 2, nil, nil)
	require.NoError(t, err)
	b := NewBuilder(G.NewGraph(), Training)
	x := b.Input("x", tensor.Float64, 2, 2, 2, 2)
	vals := x.Value().Data().([]float64)
	rng := newRNG()
	for i := range vals {
		vals[i] = 3 + 2*rng.NormFloat64()
	}
	y, err := bn.Apply(b, x)
	require.NoError(t, err)
	run(t, b.Graph())
	out := y.Value().Data().([]float64)
	for c := 0; c < 2; c++ {
		var sum, sq float64
		for n := 0; n < 2; n++ {
			for k := 0; k < 4; k++ {
				v := out[n*8+c*4+k]
				sum += v
				sq += v * v
			}
		}
		require.InDelta(t, 0, sum/8, 1e-9, "channel %d mean", c)
		require.InDelta(t, 1, sq/8, 1e-4, "channel %d variance", c)
	}
}

func TestDropout(t *testing.T) {
	b := NewBuilder(G.NewGraph(), Training)
	x := b.Input("x", tensor.Float64, 100, 100)
	for i := range x.Value().Data().([]float64) {
		x.Value().Data().([]float64)[i] = 1
	}
	y, err := Dropout(b, x, 0.25)
	require.NoError(t, err)
	vm := G.NewTapeMachine(b.Graph())
	b.BeforeRun(newRNG())
	require.NoError(t, vm.RunAll())
	kept := 0
	for _, v := range y.Value().Data().([]float64) {
		if v != 0 {
			require.InDelta(t, 1/0.75, v, 1e-12)
			kept++
		}
	}
	require.InDelta(t, 7500, kept, 200)

	inf := NewBuilder(G.NewGraph(), Inference)
	x2 := inf.Input("x", tensor.Float64, 2, 2)
	y2, err := Dropout(inf, x2, 0.5)
	require.NoError(t, err)
	require.Same(t, x2, y2)
	_, err = Dropout(b, x, 1)
	require.ErrorContains(t, err, "outside [0, 1)")
}

// TestBatchNormGradientMatchesFiniteDifferences checks the gradient of a
// batch norm layer with respect to its input, scale and shift, in 2-D and
// NCHW form; it caught Gorgonia's wrong InverseSqrt gradient.
func TestBatchNormGradientMatchesFiniteDifferences(t *testing.T) {
	for _, shape := range [][]int{{5, 3}, {3, 2, 2, 3}} {
		ps, _ := NewParams(tensor.Float64)
		bn, err := NewBatchNorm(ps, "bn", shape[1], Normal(1, 0.3), newRNG())
		require.NoError(t, err)
		require.NoError(t, bn.Shift.SetFloat64s([]float64{0.3, -0.2, 0.1}[:shape[1]]))
		b := NewBuilder(G.NewGraph(), Training)
		x := b.Input("x", tensor.Float64, shape...)
		xs := x.Value().Data().([]float64)
		rng := newRNG()
		for i := range xs {
			xs[i] = rng.NormFloat64()
		}
		y, err := bn.Apply(b, x)
		require.NoError(t, err)
		// loss = Σ y ⊙ r for a fixed random r, so that no gradient vanishes by symmetry
		r := b.Input("r", tensor.Float64, shape...)
		for i, rs := 0, r.Value().Data().([]float64); i < len(rs); i++ {
			rs[i] = rng.NormFloat64()
		}
		loss, err := G.Sum(G.Must(G.HadamardProd(y, r)))
		require.NoError(t, err)
		wrt := G.Nodes{x, b.Node(bn.Scale), b.Node(bn.Shift)}
		grads, err := G.Grad(loss, wrt...)
		require.NoError(t, err)
		vm := G.NewTapeMachine(b.Graph())
		require.NoError(t, vm.RunAll())
		var analytic [][]float64
		for _, g := range grads {
			analytic = append(analytic, append([]float64(nil), g.Value().Data().([]float64)...))
		}
		vm.Reset()
		eval := func() float64 {
			require.NoError(t, vm.RunAll())
			v := loss.Value().Data().(float64)
			vm.Reset()
			return v
		}
		for k, n := range wrt {
			vals := n.Value().Data().([]float64)
			for i := range vals {
				const h = 1e-6
				orig := vals[i]
				vals[i] = orig + h
				up := eval()
				vals[i] = orig - h
				down := eval()
				vals[i] = orig
				require.InDelta(t, (up-down)/(2*h), analytic[k][i], 1e-6, "shape %v input %d element %d", shape, k, i)
			}
		}
	}
}

// TestReLUMatchesGorgoniaRectify: the fused ReLU gives G.Rectify's values
// and gradients, bit for bit, on values of both signs, both zeros and in
// both element types.
func TestReLUMatchesGorgoniaRectify(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		in := []float64{-2, -0.5, math.Copysign(0, -1), 0, 1e-30, -1e-30, 1.5, 3}
		eval := func(fused bool) (y, dx []float64) {
			g := G.NewGraph()
			x := G.NewVector(g, dt, G.WithShape(len(in)), G.WithName("x"), G.WithInit(func(tensor.Dtype, ...int) interface{} {
				if dt == tensor.Float32 {
					v := make([]float32, len(in))
					for i, f := range in {
						v[i] = float32(f)
					}
					return v
				}
				return append([]float64(nil), in...)
			}))
			var out *G.Node
			var err error
			if fused {
				out, err = ReLU().Apply(x)
			} else {
				out, err = G.Rectify(x)
			}
			require.NoError(t, err)
			w := G.NewVector(g, dt, G.WithShape(len(in)), G.WithName("w"), G.WithInit(G.RangedFrom(-3)))
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, w))))
			grads, err := G.Grad(loss, x)
			require.NoError(t, err)
			run(t, g)
			return toF64(out.Value()), toF64(grads[0].Value())
		}
		y1, d1 := eval(true)
		y0, d0 := eval(false)
		require.Equal(t, y0, y1, "%v values", dt)
		require.Equal(t, d0, d1, "%v gradients", dt)
		for i := range y0 {
			require.Equal(t, math.Signbit(y0[i]), math.Signbit(y1[i]), "%v sign of element %d", dt, i)
		}
	}
}

func toF64(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, f := range d {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}
