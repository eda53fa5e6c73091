package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// biasGraph builds L = Σ((x + b) ⊙ r) with AddBias or with Gorgonia's
// Reshape + BroadcastAdd and returns y's value and ∂L/∂x, ∂L/∂b.
func biasGraph(t *testing.T, dt tensor.Dtype, xs []int, fused bool, seed uint64) (y, dx, db tensor.Tensor) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	fill := func(n int) any {
		if dt == tensor.Float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			return v
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	size := tensor.Shape(xs).TotalSize()
	g := G.NewGraph()
	x := G.NewTensor(g, dt, len(xs), G.WithShape(xs...), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(xs...), tensor.WithBacking(fill(size)))))
	b := G.NewVector(g, dt, G.WithShape(xs[1]), G.WithName("b"), G.WithValue(tensor.New(tensor.WithShape(xs[1]), tensor.WithBacking(fill(xs[1])))))
	r := G.NewTensor(g, dt, len(xs), G.WithShape(xs...), G.WithName("r"), G.WithValue(tensor.New(tensor.WithShape(xs...), tensor.WithBacking(fill(size)))))
	var out *G.Node
	var err error
	if fused {
		out, err = AddBias(x, b)
	} else {
		rs := make(tensor.Shape, len(xs))
		pattern := []byte{0}
		for i := range rs {
			rs[i] = 1
			if i > 1 {
				pattern = append(pattern, byte(i))
			}
		}
		rs[1] = xs[1]
		out, err = G.BroadcastAdd(x, G.Must(G.Reshape(b, rs)), nil, pattern)
	}
	require.NoError(t, err)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, r))))
	grads, err := G.Grad(loss, x, b)
	require.NoError(t, err)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	return out.Value().(tensor.Tensor).Clone().(tensor.Tensor), grads[0].Value().(tensor.Tensor).Clone().(tensor.Tensor), grads[1].Value().(tensor.Tensor).Clone().(tensor.Tensor)
}

func TestAddBiasMatchesBroadcastAdd(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, xs := range [][]int{{5, 3}, {1, 1}, {4, 3, 5, 2}, {2, 1, 3, 3}, {64, 16, 7, 7}} {
			y1, dx1, db1 := biasGraph(t, dt, xs, true, 3)
			y0, dx0, db0 := biasGraph(t, dt, xs, false, 3)
			require.Equal(t, y0.Data(), y1.Data(), "%v %v values", dt, xs)
			require.Equal(t, dx0.Data(), dx1.Data(), "%v %v ∂x", dt, xs)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 2e-4
			}
			require.InDeltaSlice(t, toF64s(db0.Data()), toF64s(db1.Data()), tol, "%v %v ∂b", dt, xs)
		}
	}
}

func toF64s(v any) []float64 {
	switch d := v.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, f := range d {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return d
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	return nil
}

// TestBiasGradSecondOrder: for L = Σ(∂M/∂b ⊙ s) with M = Σ((x + b) ⊙ q),
// ∂M/∂b[c] = Σ_rest q, so ∂L/∂q[n, c, …] = s[c].
func TestBiasGradSecondOrder(t *testing.T) {
	g := G.NewGraph()
	xs := []int{2, 3, 2, 2}
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(xs...), G.WithName("x"), G.WithInit(G.Gaussian(0, 1)))
	q := G.NewTensor(g, tensor.Float64, 4, G.WithShape(xs...), G.WithName("q"), G.WithInit(G.Gaussian(0, 1)))
	b := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("b"), G.WithInit(G.Gaussian(0, 1)))
	s := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("s"), G.WithValue(tensor.New(tensor.WithBacking([]float64{1, -2, 0.5}))))
	y, err := AddBias(x, b)
	require.NoError(t, err)
	m := G.Must(G.Sum(G.Must(G.HadamardProd(y, q))))
	gb, err := G.Grad(m, b)
	require.NoError(t, err)
	l := G.Must(G.Sum(G.Must(G.HadamardProd(gb[0], s))))
	gq, err := G.Grad(l, q)
	require.NoError(t, err)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	got := gq[0].Value().Data().([]float64)
	for i, v := range got {
		c := (i / 4) % 3
		require.Equal(t, []float64{1, -2, 0.5}[c], v, "element %d", i)
	}
}

func TestAddBiasErrors(t *testing.T) {
	g := G.NewGraph()
	x3 := G.NewTensor(g, tensor.Float64, 3, G.WithShape(2, 3, 4), G.WithName("x3"))
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	b4 := G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("b4"))
	b3 := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("b3"))
	_, err := AddBias(x3, b4)
	require.ErrorContains(t, err, "want [N, C] or [N, C, H, W]")
	_, err = AddBias(x, b4)
	require.ErrorContains(t, err, "bias has shape (4), want [3]")
	_, err = AddBias(x, b3)
	require.ErrorContains(t, err, "dtype mismatch")
	_, err = AddBias(nil, b3)
	require.ErrorContains(t, err, "nil input")
}
