package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// leakyGraph builds loss = Σ act(x) ⊙ r and returns the output, the
// gradient w.r.t. x and the machine.
func leakyGraph(t *testing.T, dt tensor.Dtype, fused bool, xs, rs []float64) (out, grad []float64) {
	t.Helper()
	g := G.NewGraph()
	mk := func(name string, vals []float64) *G.Node {
		var back any = vals
		if dt == tensor.Float32 {
			f := make([]float32, len(vals))
			for i, v := range vals {
				f[i] = float32(v)
			}
			back = f
		}
		return G.NewMatrix(g, dt, G.WithShape(3, len(vals)/3), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(3, len(vals)/3), tensor.WithBacking(back))))
	}
	x, r := mk("x", xs), mk("r", rs)
	var y *G.Node
	var err error
	if fused {
		y, err = LeakyReLU(x, 0.2)
	} else {
		y, err = G.LeakyRelu(x, 0.2)
	}
	require.NoError(t, err)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, r))))
	grads, err := G.Grad(loss, x)
	require.NoError(t, err)
	var yv, gv G.Value
	G.Read(y, &yv)
	G.Read(grads[0], &gv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for run := 0; run < 2; run++ { // a second run must give the same (no stale memory)
		require.NoError(t, vm.RunAll())
		vm.Reset()
	}
	conv := func(v G.Value) []float64 {
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
		return nil
	}
	return conv(yv), conv(gv)
}

func TestLeakyReLUMatchesGorgoniaCompositeBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs, rs := make([]float64, 30), make([]float64, 30)
	for i := range xs {
		xs[i], rs[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	xs[0], xs[1] = 0, -1e-30 // the boundary and a tiny negative
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		y1, g1 := leakyGraph(t, dt, true, xs, rs)
		y2, g2 := leakyGraph(t, dt, false, xs, rs)
		require.Equal(t, y2, y1, "%v forward", dt)
		require.Equal(t, g2, g1, "%v gradient", dt)
		for i, x := range xs {
			want := x
			if x < 0 {
				want = 0.2 * x
			}
			if dt == tensor.Float64 {
				require.Equal(t, want, y1[i])
			}
		}
	}
}

func TestLeakyReLUErrors(t *testing.T) {
	_, err := LeakyReLU(nil, 0.2)
	require.ErrorContains(t, err, "nil input")
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Int, G.WithShape(2, 2), G.WithName("x"))
	_, err = LeakyReLU(x, 0.2)
	require.Error(t, err)
	_, err = leakyReLUGradOp{slope: 0.2}.Do(tensor.New(tensor.WithBacking([]float64{1, 2})), tensor.New(tensor.WithBacking([]float64{1})))
	require.ErrorContains(t, err, "differ")
}

func BenchmarkLeakyReLU(b *testing.B) {
	for _, fused := range []bool{true, false} {
		name := "gorgonia-composite"
		if fused {
			name = "fused"
		}
		b.Run(name, func(b *testing.B) {
			g := G.NewGraph()
			x := G.NewMatrix(g, tensor.Float32, G.WithShape(64, 512), G.WithName("x"), G.WithInit(G.GlorotN(1)))
			var y *G.Node
			if fused {
				y = G.Must(LeakyReLU(x, 0.2))
			} else {
				y = G.Must(G.LeakyRelu(x, 0.2))
			}
			loss := G.Must(G.Sum(y))
			if _, err := G.Grad(loss, x); err != nil {
				b.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
				vm.Reset()
			}
		})
	}
}

// TestLeaky32 checks the vector LeakyReLU kernel (forward: m = x;
// gradient: m = dy) against the scalar definition bit for bit, with NaN,
// ±Inf, ±0 and subnormal inputs, on lengths around its 8-float step.
func TestLeaky32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-42, -1e-42}
	const slope = float32(0.2)
	for _, n := range []int{0, 1, 7, 8, 9, 16, 37, 64} {
		x, dy := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], dy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			if rng.IntN(4) == 0 {
				x[i] = special[rng.IntN(len(special))]
			}
			if rng.IntN(4) == 0 {
				dy[i] = special[rng.IntN(len(special))]
			}
		}
		for _, m := range [][]float32{x, dy} {
			out := make([]float32, n)
			for i := range out {
				out[i] = 42
			}
			k := leaky32(x, m, out, slope)
			if leakyAsm != nil {
				require.Equal(t, n&^7, k)
			}
			for i := range k {
				f := slope
				if x[i] >= 0 {
					f = 1
				}
				want := m[i] * f
				require.True(t, math.Float32bits(out[i]) == math.Float32bits(want) || (want != want && out[i] != out[i]), "n=%d i=%d x=%v m=%v: %v, want %v", n, i, x[i], m[i], out[i], want)
			}
			for i := k; i < n; i++ {
				require.Equal(t, float32(42), out[i], "n=%d: wrote past the prefix", n)
			}
		}
	}
}
