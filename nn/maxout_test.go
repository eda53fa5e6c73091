package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxoutReference computes max_k (x·W_k + b_k) with loops; x is [n, in],
// ws[k] is [in, out] and bs[k] is [out], row-major.
func maxoutReference(x []float64, ws, bs [][]float64, n, in, out int) []float64 {
	y := make([]float64, n*out)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			best := math.Inf(-1)
			for k := range ws {
				z := bs[k][o]
				for r := 0; r < in; r++ {
					z += x[i*in+r] * ws[k][r*out+o]
				}
				best = math.Max(best, z)
			}
			y[i*out+o] = best
		}
	}
	return y
}

func TestMaxoutForwardAndGradientsMatchLoopsAndFiniteDifferences(t *testing.T) {
	const n, in, out, pieces = 4, 3, 5, 3
	rng := rand.New(rand.NewPCG(5, 6))
	ps, err := NewParams(tensor.Float64)
	require.NoError(t, err)
	m, err := NewMaxout(ps, "mx", in, out, pieces, Normal(0, 1), rng)
	require.NoError(t, err)
	require.Len(t, m.W, pieces)
	xv := randomSlice(rng, n*in, 1)
	ws := make([][]float64, pieces)
	bs := make([][]float64, pieces)
	for k := range ws {
		ws[k] = randomSlice(rng, in*out, 1)
		bs[k] = randomSlice(rng, out, 1)
		require.NoError(t, m.W[k].SetFloat64s(ws[k]))
		require.NoError(t, m.B[k].SetFloat64s(bs[k]))
	}
	weights := randomSlice(rng, n*out, 1) // cost = Σ weights ⊙ y
	ref := func() float64 {
		s := 0.0
		for i, v := range maxoutReference(xv, ws, bs, n, in, out) {
			s += weights[i] * v
		}
		return s
	}

	bld := NewBuilder(G.NewGraph(), Training)
	x := bld.Input("x", tensor.Float64, n, in)
	copy(x.Value().Data().([]float64), xv)
	y, err := m.Apply(bld, x)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{n, out}, y.Shape())
	w := G.NewTensor(bld.Graph(), tensor.Float64, 2, G.WithShape(n, out), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(n, out), tensor.WithBacking(weights))))
	prod, err := G.HadamardProd(y, w)
	require.NoError(t, err)
	cost, err := G.Sum(prod)
	require.NoError(t, err)
	wrt := G.Nodes{x}
	for k := 0; k < pieces; k++ {
		wrt = append(wrt, bld.Node(m.W[k]), bld.Node(m.B[k]))
	}
	_, err = G.Grad(cost, wrt...)
	require.NoError(t, err)
	run(t, bld.Graph())

	require.InDeltaSlice(t, maxoutReference(xv, ws, bs, n, in, out), y.Value().Data().([]float64), 1e-12)
	// The maximum must be reached by different pieces somewhere, or the
	// test would not tell a maxout from a dense layer.
	winners := map[int]bool{}
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			best, arg := math.Inf(-1), -1
			for k := 0; k < pieces; k++ {
				z := bs[k][o]
				for r := 0; r < in; r++ {
					z += xv[i*in+r] * ws[k][r*out+o]
				}
				if z > best {
					best, arg = z, k
				}
			}
			winners[arg] = true
		}
	}
	require.Len(t, winners, pieces)

	check := func(name string, v []float64, node *G.Node) {
		t.Helper()
		gv, err := node.Grad()
		require.NoError(t, err)
		g := gv.Data().([]float64)
		require.Len(t, g, len(v))
		const h = 1e-6
		for i := range v {
			orig := v[i]
			v[i] = orig + h
			up := ref()
			v[i] = orig - h
			down := ref()
			v[i] = orig
			fd := (up - down) / (2 * h)
			require.InDelta(t, fd, g[i], 1e-6, "%s[%d]", name, i)
		}
	}
	check("x", xv, x)
	for k := 0; k < pieces; k++ {
		check("w", ws[k], bld.Node(m.W[k]))
		check("b", bs[k], bld.Node(m.B[k]))
	}
}

func TestMaxoutFloat32AndErrors(t *testing.T) {
	ps, err := NewParams(tensor.Float32)
	require.NoError(t, err)
	m, err := NewMaxout(ps, "mx", 2, 3, 2, Normal(0, 0.02), newRNG())
	require.NoError(t, err)
	bld := NewBuilder(G.NewGraph(), Training)
	x := bld.Input("x", tensor.Float32, 4, 2)
	y, err := m.Apply(bld, x)
	require.NoError(t, err)
	require.Equal(t, tensor.Float32, y.Dtype())
	run(t, bld.Graph())

	_, err = m.Apply(bld, bld.Input("bad", tensor.Float32, 4, 3))
	require.ErrorContains(t, err, "input shape (4, 3), want [batch, 2]")
	_, err = NewMaxout(ps, "z", 2, 3, 0, Zeros(), newRNG())
	require.ErrorContains(t, err, "pieces=0")
	_, err = NewMaxout(ps, "z", 2, 3, 1, nil, newRNG())
	require.ErrorContains(t, err, "nil weight initialisation")
}
