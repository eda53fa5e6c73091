package gpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/ops"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mbdNet builds o = ops.MinibatchKernels(m, B) on m [N, B·C] with a loss
// Σ w ⊙ o, its first-order gradient node dm (as a gradient penalty builds
// it), and the gradients of Σ dm² with respect to m and w (the double
// backprop through the second-order kernels).
func mbdNet(t *testing.T, n, nb, nc int) (g *G.ExprGraph, keep G.Nodes) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(nb*nc)))
	g = G.NewGraph()
	mv := randTensor(rng, 0.3, n, nb*nc)
	wv := randTensor(rng, 1, n, nb)
	m := G.NewMatrix(g, tensor.Float32, G.WithShape(n, nb*nc), G.WithName("m"), G.WithValue(mv))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(n, nb), G.WithName("w"), G.WithValue(wv))
	o, err := ops.MinibatchKernels(m, nb)
	require.NoError(t, err)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(o, w))))
	dm, err := o.Op().(G.SDOp).SymDiff(G.Nodes{m}, o, w)
	require.NoError(t, err)
	pen := G.Must(G.Sum(G.Must(G.Square(dm[0]))))
	grads, err := G.Grad(pen, m, w)
	require.NoError(t, err)
	return g, G.Nodes{o, loss, dm[0], grads[0], grads[1]}
}

// TestProgramMinibatchDiscrimination: the device program of a graph with
// ops.MinibatchKernels, its gradient and its second-order gradients, run
// on the Host, agrees with the tape machine (the CPU op: float64
// exponentials; the kernels: their own float32 one) on odd sizes.
func TestProgramMinibatchDiscrimination(t *testing.T) {
	for _, d := range [][3]int{{1, 2, 3}, {2, 1, 1}, {7, 3, 5}, {9, 4, 2}} {
		g, keep := mbdNet(t, d[0], d[1], d[2])
		vals := make([]G.Value, len(keep))
		for i, n := range keep {
			G.Read(n, &vals[i])
		}
		vm := G.NewTapeMachine(g)
		require.NoError(t, vm.RunAll())
		want := make([][]float32, len(keep))
		for i, v := range vals {
			switch x := v.Data().(type) {
			case float32:
				want[i] = []float32{x}
			case []float32:
				want[i] = append([]float32(nil), x...)
			}
		}
		vm.Close()
		prog, err := gpu.Compile(g, gpu.NewStore(gpu.NewHost()), keep)
		require.NoError(t, err, "%v", d)
		require.NoError(t, prog.Run())
		for i, n := range keep {
			got := make([]float32, len(want[i]))
			require.NoError(t, prog.Read(n, got))
			scale := 0.0
			for _, v := range want[i] {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for j := range got {
				require.InDelta(t, want[i][j], got[j], 2e-5*math.Max(scale, 1e-3), "%v node %d (%v) element %d", d, i, n.Op(), j)
			}
		}
		prog.Close()
	}
}

// TestHostMinibatchKernels: the reference kernels on values worked out by
// hand, NaN propagation, and the size checks.
func TestHostMinibatchKernels(t *testing.T) {
	// N = 2, B = 1, C = 2: m = [[0, 1], [0.5, 0]]: distance 1.5.
	m := []float32{0, 1, 0.5, 0}
	e := float32(math.Exp(-1.5))
	out := hostLaunch(t, gpu.KMBD, []int32{2, 2, 1, 2}, nil, make([]float32, 2), m)
	require.InDeltaSlice(t, []float32{1 + e, 1 + e}, out[0], 1e-6)
	// g = [1, 2]: dm[0, c] = −(g0 + g1)·e·sign(m[0, c] − m[1, c]).
	g := []float32{1, 2}
	out = hostLaunch(t, gpu.KMBDGrad, []int32{4, 2, 1, 2}, nil, make([]float32, 4), m, g)
	require.InDeltaSlice(t, []float32{3 * e, -3 * e, -3 * e, 3 * e}, out[0], 1e-6)
	// h = [[1, 0], [0, 0]]: u[0, 1] = sign(−0.5)·1 = −1, u[1, 0] = −1.
	h := []float32{1, 0, 0, 0}
	out = hostLaunch(t, gpu.KMBDGradG, []int32{2, 2, 1, 2}, nil, make([]float32, 2), m, h)
	require.InDeltaSlice(t, []float32{e, e}, out[0], 1e-6)
	out = hostLaunch(t, gpu.KMBDGradM, []int32{4, 2, 1, 2}, nil, make([]float32, 4), m, g, h)
	// dm'[p, c] = (g0 + g1)·e·u·sign(m[p, c] − m[1−p, c]) with u = −1.
	require.InDeltaSlice(t, []float32{3 * e, -3 * e, -3 * e, 3 * e}, out[0], 1e-6)

	nan := float32(math.NaN())
	out = hostLaunch(t, gpu.KMBD, []int32{2, 2, 1, 2}, nil, make([]float32, 2), []float32{0, nan, 0.5, 0})
	require.True(t, math.IsNaN(float64(out[0][0])) && math.IsNaN(float64(out[0][1])), "%v", out[0])

	_, err := hostTryLaunch(gpu.KMBD, []int32{3, 2, 1, 2}, nil, make([]float32, 3), m)
	require.ErrorContains(t, err, "I[0] = 3")
	_, err = hostTryLaunch(gpu.KMBDGrad, []int32{4, 2, 1, 2}, nil, make([]float32, 4), m, g[:1])
	require.ErrorContains(t, err, "P[2]")
	_, err = hostTryLaunch(gpu.KMBD, []int32{0, 0, 1, 2}, nil, make([]float32, 1), m)
	require.ErrorContains(t, err, "at least 1")
}
