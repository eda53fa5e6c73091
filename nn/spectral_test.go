package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// snWeight returns a float64 Params holding one weight of the given shape
// and values, and its spectral normalisation.
func snWeight(t *testing.T, shape []int, vals []float64) (*Params, *SpectralNorm) {
	t.Helper()
	ps, err := NewParams(tensor.Float64)
	require.NoError(t, err)
	w, err := ps.New("w", shape, nil, nil)
	require.NoError(t, err)
	require.NoError(t, w.SetFloat64s(vals))
	sn, err := NewSpectralNorm(ps, w, newRNG())
	require.NoError(t, err)
	return ps, sn
}

// largestSV is M's largest singular value by gonum's SVD.
func largestSV(t *testing.T, rows, cols int, vals []float64) float64 {
	t.Helper()
	var svd mat.SVD
	require.True(t, svd.Factorize(mat.NewDense(rows, cols, vals), mat.SVDNone))
	return svd.Values(nil)[0]
}

func TestSpectralNormSigmaClosedForms(t *testing.T) {
	iterate := func(sn *SpectralNorm, n int) {
		for i := 0; i < n; i++ {
			sn.PowerIteration()
		}
	}
	// diag(3, −5, 2): σ = 5.
	_, sn := snWeight(t, []int{3, 3}, []float64{3, 0, 0, 0, -5, 0, 0, 0, 2})
	iterate(sn, 60)
	require.InDelta(t, 5, sn.Sigma(), 1e-9)
	// [[a b] [c d]]: σ² is the larger root of λ² − (a²+b²+c²+d²)λ + (ad−bc)².
	a, b, c, d := 2.0, 1.0, -1.0, 3.0
	s2 := a*a + b*b + c*c + d*d
	det := a*d - b*c
	want := math.Sqrt((s2 + math.Sqrt(s2*s2-4*det*det)) / 2)
	_, sn = snWeight(t, []int{2, 2}, []float64{a, b, c, d})
	iterate(sn, 60)
	require.InDelta(t, want, sn.Sigma(), 1e-9)
	// A random convolution kernel [out 4, in 3, 2, 2], as the [4, 12]
	// matrix, against gonum's SVD.
	rng := rand.New(rand.NewPCG(5, 6))
	vals := make([]float64, 4*3*2*2)
	for i := range vals {
		vals[i] = rng.NormFloat64()
	}
	_, sn = snWeight(t, []int{4, 3, 2, 2}, vals)
	iterate(sn, 300)
	require.InDelta(t, largestSV(t, 4, 12, vals), sn.Sigma(), 1e-8)
}

// W/σ from a Training-mode graph: the power iteration happens before
// each run, only in Training mode, and the normalised weight's largest
// singular value is 1.
func TestSpectralNormGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	vals := make([]float64, 5*3)
	for i := range vals {
		vals[i] = rng.NormFloat64()
	}
	_, sn := snWeight(t, []int{5, 3}, vals)
	u0 := sn.U.Float64s()

	inf := NewBuilder(G.NewGraph(), Inference)
	yi, err := sn.Apply(inf)
	require.NoError(t, err)
	var outI G.Value
	G.Read(yi, &outI)
	inf.BeforeRun(rng)
	run(t, inf.Graph())
	require.Equal(t, u0, sn.U.Float64s(), "inference must not iterate")
	require.Empty(t, inf.SpectralNorms())

	b := NewBuilder(G.NewGraph(), Training)
	y, err := sn.Apply(b)
	require.NoError(t, err)
	again, err := sn.Apply(b)
	require.NoError(t, err)
	require.Same(t, y, again, "one node per builder")
	require.Len(t, b.SpectralNorms(), 1)
	var out G.Value
	G.Read(y, &out)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	for i := 0; i < 100; i++ {
		b.BeforeRun(rng)
		require.NoError(t, vm.RunAll())
		vm.Reset()
	}
	require.NotEqual(t, u0, sn.U.Float64s())
	got := append([]float64(nil), out.Data().([]float64)...)
	require.InDelta(t, 1, largestSV(t, 5, 3, got), 1e-9)
	for i := range got {
		require.InDelta(t, vals[i]/sn.Sigma(), got[i], 1e-12)
	}
}

// The gradient of L = Σ C∘(W/σ(W)) with U, V fixed, against central
// finite differences of the same function, for a dense and a conv shape.
func TestSpectralNormGradientFiniteDifferences(t *testing.T) {
	for _, shape := range [][]int{{4, 3}, {2, 3, 2, 2}} {
		rng := rand.New(rand.NewPCG(9, uint64(len(shape))))
		n := tensor.Shape(shape).TotalSize()
		vals, coef := make([]float64, n), make([]float64, n)
		for i := range vals {
			vals[i], coef[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		ps, sn := snWeight(t, shape, vals)
		for i := 0; i < 3; i++ { // U, V somewhere between random and converged
			sn.PowerIteration()
		}
		b := NewBuilder(G.NewGraph(), Inference) // no iteration: U, V stay fixed
		y, err := sn.Apply(b)
		require.NoError(t, err)
		c := G.NewTensor(b.Graph(), tensor.Float64, len(shape), G.WithShape(shape...), G.WithName("c"),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(coef))))
		prod, err := G.HadamardProd(y, c)
		require.NoError(t, err)
		loss, err := G.Sum(prod)
		require.NoError(t, err)
		grads, err := G.Grad(loss, b.Learnables(ps)...)
		require.NoError(t, err)
		var g G.Value
		G.Read(grads[0], &g)
		run(t, b.Graph())
		sym := append([]float64(nil), g.Data().([]float64)...)

		lossAt := func(w []float64) float64 {
			require.NoError(t, sn.W.SetFloat64s(w))
			s, l := sn.Sigma(), 0.0
			for i := range w {
				l += coef[i] * w[i] / s
			}
			return l
		}
		const h = 1e-6
		for i := range vals {
			w := append([]float64(nil), vals...)
			w[i] += h
			lp := lossAt(w)
			w[i] -= 2 * h
			lm := lossAt(w)
			require.InDelta(t, (lp-lm)/(2*h), sym[i], 1e-6, "shape %v element %d", shape, i)
		}
	}
}

func TestSpectralNormSetAndErrors(t *testing.T) {
	ps, err := NewParams(tensor.Float32)
	require.NoError(t, err)
	w, err := ps.New("w", []int{3, 2}, GlorotUniform(1), newRNG())
	require.NoError(t, err)
	bias, err := ps.New("b", []int{2}, Zeros(), newRNG())
	require.NoError(t, err)
	_, err = NewSpectralNorm(ps, bias, newRNG())
	require.ErrorContains(t, err, `spectral norm of "b": want a weight of at least two dimensions`)
	set, err := NewSpectralNormSet(ps, []*Param{w}, newRNG())
	require.NoError(t, err)
	require.Equal(t, []int{3}, []int(set[w].U.Value.Shape()))
	require.Equal(t, []int{2}, []int(set[w].V.Value.Shape()))
	require.False(t, set[w].U.Learnable)
	require.Len(t, ps.Learnables(), 2, "the vectors are buffers")

	// A dense layer through the set is x·(W/σ) + b; through nil, x·W + b.
	b := NewBuilder(G.NewGraph(), Training)
	x := b.Input("x", tensor.Float32, 1, 3)
	copy(x.Value().Data().([]float32), []float32{1, 2, 3})
	y, err := set.Dense(b, x, w, bias)
	require.NoError(t, err)
	plain, err := SpectralNormSet(nil).Dense(b, x, w, bias)
	require.NoError(t, err)
	var yv, pv G.Value
	G.Read(y, &yv)
	G.Read(plain, &pv)
	b.BeforeRun(newRNG())
	run(t, b.Graph())
	sigma := set[w].Sigma()
	require.Greater(t, sigma, 0.0)
	for i, v := range yv.Data().([]float32) {
		require.InDelta(t, float64(pv.Data().([]float32)[i])/sigma, float64(v), 1e-5)
	}
}
