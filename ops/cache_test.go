package ops

import (
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestOutputCaches: every node of this package's ops has a cache of its
// own, even where one op value is derived from another (gradients,
// gradients of gradients), and a second run reuses the output tensors and
// gives the first run's values.
func TestOutputCaches(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(3, 2, 5, 5), G.WithName("x"), G.WithInit(G.Gaussian(0, 1)))
	w := G.NewTensor(g, tensor.Float64, 4, G.WithShape(4, 2, 3, 3), G.WithName("w"), G.WithInit(G.Gaussian(0, 1)))
	wt := G.NewTensor(g, tensor.Float64, 4, G.WithShape(4, 2, 4, 4), G.WithName("wt"), G.WithInit(G.Gaussian(0, 1)))
	scale := G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("scale"), G.WithInit(G.Gaussian(1, 0.1)))
	shift := G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("shift"), G.WithInit(G.Gaussian(0, 0.1)))
	c, err := Conv2d(x, w, [2]int{1, 1}, [2]int{1, 1})
	require.NoError(t, err)
	n, err := BatchNorm(c, scale, shift, 1e-5)
	require.NoError(t, err)
	a, err := LeakyReLU(n, 0.2)
	require.NoError(t, err)
	y, err := ConvTranspose2d(a, wt, [2]int{2, 2}, [2]int{1, 1}, [2]int{0, 0})
	require.NoError(t, err)
	sq := G.Must(G.Square(y))
	loss := G.Must(G.Sum(sq))
	grads, err := G.Grad(loss, x, w, wt, scale, shift)
	require.NoError(t, err)
	require.Len(t, grads, 5)
	// Second order through the convolutions and LeakyReLU (batch norm's
	// gradient ops are not differentiable again): ‖∂L₂/∂x‖² for a branch
	// without batch norm.
	c2, err := Conv2d(x, w, [2]int{2, 2}, [2]int{0, 0})
	require.NoError(t, err)
	a2, err := LeakyReLU(c2, 0.1)
	require.NoError(t, err)
	y2, err := ConvTranspose2d(a2, wt, [2]int{1, 1}, [2]int{0, 0}, [2]int{0, 0})
	require.NoError(t, err)
	g2, err := G.Grad(G.Must(G.Sum(G.Must(G.Square(y2)))), x)
	require.NoError(t, err)
	_, err = G.Grad(G.Must(G.Sum(G.Must(G.Square(g2[0])))), wt)
	require.NoError(t, err)

	seen := map[*outCache]*G.Node{}
	var cached G.Nodes
	for _, node := range g.AllNodes() {
		op, ok := node.Op().(interface{ outputs() *outCache })
		if !ok {
			if b, isBN := node.Op().(bnOp); isBN {
				op = bnCache{b}
			} else {
				continue
			}
		}
		c := op.outputs()
		require.NotNil(t, c, "node %v has no output cache", node)
		if other, dup := seen[c]; dup {
			t.Fatalf("nodes %v and %v share an output cache", other, node)
		}
		seen[c] = node
		cached = append(cached, node)
	}
	require.Greater(t, len(cached), 12)

	vm := G.NewTapeMachine(g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	first := map[*G.Node][]float64{}
	ptr := map[*G.Node]*tensor.Dense{}
	for _, node := range cached {
		d := node.Value().(*tensor.Dense)
		first[node] = append([]float64(nil), d.Float64s()...)
		ptr[node] = d
	}
	vm.Reset()
	require.NoError(t, vm.RunAll())
	reused := 0
	for _, node := range cached {
		d := node.Value().(*tensor.Dense)
		require.Equal(t, first[node], d.Float64s(), "node %v", node)
		if d == ptr[node] {
			reused++
		}
	}
	require.Equal(t, len(cached), reused, "every cached output is reused")
}

type bnCache struct{ op bnOp }

func (b bnCache) outputs() *outCache { return b.op.cache }
