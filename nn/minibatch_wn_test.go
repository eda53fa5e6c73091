package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// wnReference computes the weight-normalised layer's output with loops:
// θ is [a, b·c], logScale [b·c], bias [b].
func wnReference(f, theta, logScale, bias []float64, n, a, b, c int) []float64 {
	cols := b * c
	w := append([]float64(nil), theta...)
	for k := 0; k < cols; k++ {
		ss := 0.0
		for r := 0; r < a; r++ {
			ss += theta[r*cols+k] * theta[r*cols+k]
		}
		for r := 0; r < a; r++ {
			w[r*cols+k] = theta[r*cols+k] * math.Exp(logScale[k]) / math.Sqrt(ss)
		}
	}
	out := mbdReference(f, w, n, a, b, c)
	for i := 0; i < n; i++ {
		for kb := 0; kb < b; kb++ {
			out[i*(a+b)+a+kb] += bias[kb]
		}
	}
	return out
}

func TestMinibatchDiscriminationWeightNormMatchesLoopsAndFiniteDifferences(t *testing.T) {
	const n, a, b, c = 5, 4, 3, 2
	rng := rand.New(rand.NewPCG(11, 12))
	ps, err := NewParams(tensor.Float64)
	require.NoError(t, err)
	m, err := NewMinibatchDiscriminationWeightNorm(ps, "mbd", a, b, c, rng)
	require.NoError(t, err)
	require.Equal(t, []float64{-2, -2, -2}, m.Bias.Float64s())
	require.Equal(t, make([]float64, b*c), m.LogScale.Float64s())
	fv := randomSlice(rng, n*a, 1)
	theta := randomSlice(rng, a*b*c, 0.5)
	ls := randomSlice(rng, b*c, 0.3)
	bias := randomSlice(rng, b, 1)
	require.NoError(t, m.T.SetFloat64s(theta))
	require.NoError(t, m.LogScale.SetFloat64s(ls))
	require.NoError(t, m.Bias.SetFloat64s(bias))
	weights := randomSlice(rng, n*(a+b), 1)
	ref := func() float64 {
		s := 0.0
		for i, v := range wnReference(fv, theta, ls, bias, n, a, b, c) {
			s += weights[i] * v
		}
		return s
	}

	bld := NewBuilder(G.NewGraph(), Training)
	f := bld.Input("f", tensor.Float64, n, a)
	copy(f.Value().Data().([]float64), fv)
	out, err := m.Apply(bld, f)
	require.NoError(t, err)
	w := G.NewTensor(bld.Graph(), tensor.Float64, 2, G.WithShape(n, a+b), G.WithName(bld.UniqueName("w")),
		G.WithValue(tensor.New(tensor.WithShape(n, a+b), tensor.WithBacking(weights))))
	prod, err := G.HadamardProd(out, w)
	require.NoError(t, err)
	cost, err := G.Sum(prod)
	require.NoError(t, err)
	nodes := G.Nodes{f, bld.Node(m.T), bld.Node(m.LogScale), bld.Node(m.Bias)}
	_, err = G.Grad(cost, nodes...)
	require.NoError(t, err)
	run(t, bld.Graph())
	want := wnReference(fv, theta, ls, bias, n, a, b, c)
	got := out.Value().Data().([]float64)
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-12, "output %d", i)
	}
	require.InDelta(t, ref(), cost.Value().Data().(float64), 1e-12)
	// The host copy of the tensor agrees with the graph's.
	tw := m.Tensor()
	require.InDelta(t, want[a], mbdReference(fv, tw, n, a, b, c)[a]+bias[0], 1e-12)

	for k, x := range [][]float64{fv, theta, ls, bias} {
		grad, err := nodes[k].Grad()
		require.NoError(t, err)
		g := grad.Data().([]float64)
		require.Len(t, g, len(x))
		const h = 1e-5
		for i := range x {
			orig := x[i]
			x[i] = orig + h
			up := ref()
			x[i] = orig - h
			down := ref()
			x[i] = orig
			fd := (up - down) / (2 * h)
			rel := math.Abs(fd-g[i]) / math.Max(1, math.Max(math.Abs(fd), math.Abs(g[i])))
			require.Less(t, rel, 1e-6, "input %d [%d]: analytic %v, finite difference %v", k, i, g[i], fd)
		}
	}
}

func TestMinibatchDiscriminationInitFromFeatures(t *testing.T) {
	const n, a, b, c = 40, 6, 7, 3
	rng := rand.New(rand.NewPCG(13, 14))
	ps, _ := NewParams(tensor.Float32)
	m, err := NewMinibatchDiscriminationWeightNorm(ps, "mbd", a, b, c, rng)
	require.NoError(t, err)
	var sq float64
	for _, v := range m.T.Float64s() {
		sq += v * v
	}
	require.InDelta(t, 0.05, math.Sqrt(sq/float64(a*b*c)), 0.01, "the code's N(0, 0.05²)")
	// Small features, as a freshly initialised network gives: every pair
	// is close, so the plain statistic is about n in every kernel.
	fv := randomSlice(rng, n*a, 1e-3)
	require.NoError(t, m.InitFromFeatures(fv, n))

	// Independently of InitFromFeatures: the tensor it leaves, the L1
	// distances per kernel, their nearest-neighbour mean (the code's
	// criterion: 2) and the centred statistic (the code's: mean 0).
	tw := m.Tensor()
	cols := b * c
	mat := make([]float64, n*cols)
	for i := 0; i < n; i++ {
		for k := 0; k < cols; k++ {
			for r := 0; r < a; r++ {
				mat[i*cols+k] += fv[i*a+r] * tw[r*cols+k]
			}
		}
	}
	out := mbdReference(fv, tw, n, a, b, c)
	bias := m.Bias.Float64s()
	for kb := 0; kb < b; kb++ {
		meanMin, meanStat := 0.0, 0.0
		for i := 0; i < n; i++ {
			lo := math.Inf(1)
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				d := 0.0
				for cc := 0; cc < c; cc++ {
					d += math.Abs(mat[i*cols+kb*c+cc] - mat[j*cols+kb*c+cc])
				}
				lo = math.Min(lo, d)
			}
			meanMin += lo / n
			meanStat += (out[i*(a+b)+a+kb] + bias[kb]) / n
		}
		require.InDelta(t, 2, meanMin, 1e-3, "kernel %d: mean nearest-neighbour distance", kb) // float32 parameters
		require.InDelta(t, 0, meanStat, 1e-3, "kernel %d: mean statistic", kb)
	}

	// Refusals.
	plain, err := NewMinibatchDiscrimination(ps, "plain", a, b, c, rng)
	require.NoError(t, err)
	require.ErrorContains(t, plain.InitFromFeatures(fv, n), "no log scale and bias")
	require.ErrorContains(t, m.InitFromFeatures(fv[:a], 1), "want at least 2 samples")
	require.ErrorContains(t, m.InitFromFeatures(fv[:a*3], 2), "18 values for 2 samples")
	same := make([]float64, 4*a)
	require.ErrorContains(t, m.InitFromFeatures(same, 4), "do not tell the samples apart")
	bad := append([]float64(nil), fv...)
	bad[5] = math.NaN()
	require.ErrorContains(t, m.InitFromFeatures(bad, n), "feature 5 is NaN")
	_, err = NewMinibatchDiscriminationWeightNorm(ps, "x", a, 0, c, rng)
	require.ErrorContains(t, err, "kernels=0")
}
