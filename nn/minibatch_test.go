package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mbdReference computes concat(f, o) with loops in float64: f is [n, a]
// row-major, t is [a, b·c] row-major.
func mbdReference(f, t []float64, n, a, b, c int) []float64 {
	m := make([]float64, n*b*c)
	for i := 0; i < n; i++ {
		for k := 0; k < b*c; k++ {
			s := 0.0
			for r := 0; r < a; r++ {
				s += f[i*a+r] * t[r*b*c+k]
			}
			m[i*b*c+k] = s
		}
	}
	out := make([]float64, n*(a+b))
	for i := 0; i < n; i++ {
		copy(out[i*(a+b):], f[i*a:(i+1)*a])
		for kb := 0; kb < b; kb++ {
			o := 0.0
			for j := 0; j < n; j++ {
				l1 := 0.0
				for kc := 0; kc < c; kc++ {
					l1 += math.Abs(m[i*b*c+kb*c+kc] - m[j*b*c+kb*c+kc])
				}
				o += math.Exp(-l1)
			}
			out[i*(a+b)+a+kb] = o
		}
	}
	return out
}

func randomSlice(rng *rand.Rand, n int, std float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = std * rng.NormFloat64()
	}
	return v
}

// mbdGraph builds the layer on a float64 input of shape [n, a] holding fv,
// with T set to tv, and returns the builder, the input and the output.
func mbdGraph(t *testing.T, fv, tv []float64, n, a, b, c int) (*Builder, *MinibatchDiscrimination, *G.Node, *G.Node) {
	t.Helper()
	ps, err := NewParams(tensor.Float64)
	require.NoError(t, err)
	m, err := NewMinibatchDiscrimination(ps, "mbd", a, b, c, newRNG())
	require.NoError(t, err)
	require.NoError(t, m.T.SetFloat64s(tv))
	bld := NewBuilder(G.NewGraph(), Training)
	f := bld.Input("f", tensor.Float64, n, a)
	copy(f.Value().Data().([]float64), fv)
	out, err := m.Apply(bld, f)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{n, a + b}, out.Shape())
	return bld, m, f, out
}

func TestMinibatchDiscriminationForwardMatchesLoops(t *testing.T) {
	const n, a, b, c = 5, 4, 3, 2
	rng := rand.New(rand.NewPCG(3, 4))
	fv := randomSlice(rng, n*a, 1)
	tv := randomSlice(rng, a*b*c, 0.5)
	bld, _, f, out := mbdGraph(t, fv, tv, n, a, b, c)
	vm := G.NewTapeMachine(bld.Graph())
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	want := mbdReference(fv, tv, n, a, b, c)
	got := out.Value().Data().([]float64)
	require.Len(t, got, len(want))
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-12, "element %d", i)
	}
	// A second run on new inputs, as in a training loop.
	fv2 := randomSlice(rng, n*a, 1)
	copy(f.Value().Data().([]float64), fv2)
	vm.Reset()
	require.NoError(t, vm.RunAll())
	want2 := mbdReference(fv2, tv, n, a, b, c)
	got = out.Value().Data().([]float64)
	for i := range want2 {
		require.InDelta(t, want2[i], got[i], 1e-12, "second run, element %d", i)
	}
	// The statistics are neither trivially 1 (all far apart) nor n.
	var spread bool
	for i := 0; i < n; i++ {
		for k := 0; k < b; k++ {
			o := want[i*(a+b)+a+k]
			require.GreaterOrEqual(t, o, 1.0)
			require.LessOrEqual(t, o, float64(n))
			if o > 1.05 && o < float64(n)-0.05 {
				spread = true
			}
		}
	}
	require.True(t, spread, "test inputs should give informative statistics")
}

func TestMinibatchDiscriminationIdenticalSamplesAndSingleSample(t *testing.T) {
	const a, b, c = 3, 2, 4
	rng := rand.New(rand.NewPCG(5, 6))
	tv := randomSlice(rng, a*b*c, 1)
	row := []float64{0.3, -1.2, 2}
	// n identical samples: every closeness is 1, so o = n.
	const n = 4
	var fv []float64
	for range n {
		fv = append(fv, row...)
	}
	bld, _, _, out := mbdGraph(t, fv, tv, n, a, b, c)
	run(t, bld.Graph())
	got := out.Value().Data().([]float64)
	for i := 0; i < n; i++ {
		require.Equal(t, row, got[i*(a+b):i*(a+b)+a])
		require.Equal(t, []float64{n, n}, got[i*(a+b)+a:(i+1)*(a+b)])
	}
	// A batch of one: o = 1 (only the j = i term).
	bld, _, _, out = mbdGraph(t, row, tv, 1, a, b, c)
	run(t, bld.Graph())
	require.Equal(t, []float64{0.3, -1.2, 2, 1, 1}, out.Value().Data().([]float64))
}

func TestMinibatchDiscriminationGradientsMatchFiniteDifferences(t *testing.T) {
	const n, a, b, c = 5, 4, 3, 2
	rng := rand.New(rand.NewPCG(7, 8))
	fv := randomSlice(rng, n*a, 1)
	tv := randomSlice(rng, a*b*c, 0.5)
	weights := randomSlice(rng, n*(a+b), 1) // cost = Σ weights ⊙ out

	// No two samples may tie in any entry of M (|x| has a kink at 0).
	ref := func(f, tt []float64) float64 {
		out := mbdReference(f, tt, n, a, b, c)
		s := 0.0
		for i, v := range out {
			s += weights[i] * v
		}
		return s
	}
	mm := make([]float64, n*b*c)
	for i := 0; i < n; i++ {
		for k := 0; k < b*c; k++ {
			for r := 0; r < a; r++ {
				mm[i*b*c+k] += fv[i*a+r] * tv[r*b*c+k]
			}
		}
	}
	for k := 0; k < b*c; k++ {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				require.Greater(t, math.Abs(mm[i*b*c+k]-mm[j*b*c+k]), 1e-3, "tie in M[:, %d]", k)
			}
		}
	}

	bld, m, f, out := mbdGraph(t, fv, tv, n, a, b, c)
	w := G.NewTensor(bld.Graph(), tensor.Float64, 2, G.WithShape(n, a+b), G.WithName(bld.UniqueName("w")),
		G.WithValue(tensor.New(tensor.WithShape(n, a+b), tensor.WithBacking(weights))))
	prod, err := G.HadamardProd(out, w)
	require.NoError(t, err)
	cost, err := G.Sum(prod)
	require.NoError(t, err)
	tNode := bld.Node(m.T)
	_, err = G.Grad(cost, f, tNode)
	require.NoError(t, err)
	run(t, bld.Graph())
	require.InDelta(t, ref(fv, tv), cost.Value().Data().(float64), 1e-12)

	check := func(name string, x []float64, grad G.Value) {
		t.Helper()
		g := grad.Data().([]float64)
		require.Len(t, g, len(x))
		const h = 1e-5
		for i := range x {
			orig := x[i]
			x[i] = orig + h
			up := ref(fv, tv)
			x[i] = orig - h
			down := ref(fv, tv)
			x[i] = orig
			fd := (up - down) / (2 * h)
			rel := math.Abs(fd-g[i]) / math.Max(1, math.Max(math.Abs(fd), math.Abs(g[i])))
			require.Less(t, rel, 1e-6, "%s[%d]: analytic %v, finite difference %v", name, i, g[i], fd)
		}
	}
	gf, err := f.Grad()
	require.NoError(t, err)
	check("f", fv, gf)
	gt, err := tNode.Grad()
	require.NoError(t, err)
	check("T", tv, gt)
}

func TestMinibatchDiscriminationFloat32(t *testing.T) {
	const n, a, b, c = 6, 5, 4, 3
	rng := rand.New(rand.NewPCG(9, 10))
	ps, err := NewParams(tensor.Float32)
	require.NoError(t, err)
	m, err := NewMinibatchDiscrimination(ps, "mbd", a, b, c, rng)
	require.NoError(t, err)
	tv := randomSlice(rng, a*b*c, 0.5)
	require.NoError(t, m.T.SetFloat64s(tv))
	fv := randomSlice(rng, n*a, 1)
	bld := NewBuilder(G.NewGraph(), Training)
	f := bld.Input("f", tensor.Float32, n, a)
	fd := f.Value().Data().([]float32)
	for i, v := range fv {
		fd[i] = float32(v)
		fv[i] = float64(fd[i])
	}
	tv = m.T.Float64s()
	out, err := m.Apply(bld, f)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{n, a + b}, out.Shape())
	require.Equal(t, a+b, m.OutFeatures())
	cost, err := G.Sum(out)
	require.NoError(t, err)
	_, err = G.Grad(cost, bld.Learnables(ps)...)
	require.NoError(t, err)
	run(t, bld.Graph())
	want := mbdReference(fv, tv, n, a, b, c)
	got := out.Value().Data().([]float32)
	for i := range want {
		require.InDelta(t, want[i], float64(got[i]), 1e-5*math.Max(1, math.Abs(want[i])), "element %d", i)
	}
}

func TestMinibatchDiscriminationInitAndErrors(t *testing.T) {
	ps, _ := NewParams(tensor.Float64)
	m, err := NewMinibatchDiscrimination(ps, "mbd", 8, 10, 5, newRNG())
	require.NoError(t, err)
	require.Equal(t, []int{8, 50}, []int(m.T.Value.Shape()))
	require.True(t, m.T.Learnable)
	p, ok := ps.Get("mbd/T")
	require.True(t, ok)
	require.Same(t, m.T, p)
	var sq float64
	for _, v := range m.T.Float64s() {
		sq += v * v
	}
	require.InDelta(t, 0.02, math.Sqrt(sq/400), 0.004)

	_, err = NewMinibatchDiscrimination(ps, "mbd", 8, 10, 5, newRNG())
	require.ErrorContains(t, err, `duplicate parameter "mbd/T"`)
	require.ErrorContains(t, err, "minibatch discrimination mbd")
	_, err = NewMinibatchDiscrimination(ps, "x", 8, 0, 5, newRNG())
	require.ErrorContains(t, err, "kernels=0")
	_, err = NewMinibatchDiscrimination(ps, "x", 8, 2, 5, nil)
	require.ErrorContains(t, err, "nil random generator")

	b := NewBuilder(G.NewGraph(), Training)
	_, err = m.Apply(b, b.Input("x", tensor.Float64, 4, 7))
	require.ErrorContains(t, err, "input shape (4, 7) has 7 features, the layer 8")
	_, err = m.Apply(b, b.Input("x", tensor.Float64, 4, 8, 1))
	require.ErrorContains(t, err, "want [batch, features]")
	_, err = m.Apply(b, b.Input("x", tensor.Float32, 4, 8))
	require.ErrorContains(t, err, "input dtype float32, the layer float64")
	require.ErrorContains(t, err, "nn: minibatch discrimination mbd/T")
}

// BenchmarkMinibatchDiscrimination times a forward and backward pass at
// DCGAN-like sizes: a batch of 64, 256 features, 100 kernels of dimension 5.
func BenchmarkMinibatchDiscrimination(bm *testing.B) {
	const n, a, b, c = 64, 256, 100, 5
	rng := newRNG()
	ps, _ := NewParams(tensor.Float32)
	m, err := NewMinibatchDiscrimination(ps, "mbd", a, b, c, rng)
	if err != nil {
		bm.Fatal(err)
	}
	bld := NewBuilder(G.NewGraph(), Training)
	f := bld.Input("f", tensor.Float32, n, a)
	for i, v := range randomSlice(rng, n*a, 1) {
		f.Value().Data().([]float32)[i] = float32(v)
	}
	out, err := m.Apply(bld, f)
	if err != nil {
		bm.Fatal(err)
	}
	cost, err := G.Sum(out)
	if err != nil {
		bm.Fatal(err)
	}
	if _, err := G.Grad(cost, bld.Learnables(ps)...); err != nil {
		bm.Fatal(err)
	}
	vm := G.NewTapeMachine(bld.Graph())
	defer vm.Close()
	bm.ResetTimer()
	for bm.Loop() {
		if err := vm.RunAll(); err != nil {
			bm.Fatal(err)
		}
		vm.Reset()
	}
}
