package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// conv2dCase is one convolution: x [n, cin, h, w], w [cout, cin, k, k].
type conv2dCase struct {
	name                  string
	n, cin, cout, h, w, k int
	stride, pad           [2]int
	wantH, wantW          int
}

var conv2dCases = []conv2dCase{
	{"dcgan-k4s2p1", 2, 2, 3, 6, 6, 4, [2]int{2, 2}, [2]int{1, 1}, 3, 3},
	{"odd-size", 2, 1, 2, 7, 7, 4, [2]int{2, 2}, [2]int{1, 1}, 3, 3},
	{"k4s1p0-to-1x1", 3, 3, 1, 4, 4, 4, [2]int{1, 1}, [2]int{0, 0}, 1, 1},
	{"nonsquare", 2, 3, 2, 5, 8, 3, [2]int{1, 3}, [2]int{2, 0}, 7, 2},
}

func (c conv2dCase) xShape() []int { return []int{c.n, c.cin, c.h, c.w} }
func (c conv2dCase) wShape() []int { return []int{c.cout, c.cin, c.k, c.k} }
func (c conv2dCase) yShape() []int { return []int{c.n, c.cout, c.wantH, c.wantW} }

// refConv2d is the loop-by-loop definition of the convolution.
func refConv2d(c conv2dCase, x, w []float64) []float64 {
	out := make([]float64, prod(c.yShape()))
	for n := 0; n < c.n; n++ {
		for co := 0; co < c.cout; co++ {
			for i := 0; i < c.wantH; i++ {
				for j := 0; j < c.wantW; j++ {
					var s float64
					for ci := 0; ci < c.cin; ci++ {
						for ki := 0; ki < c.k; ki++ {
							for kj := 0; kj < c.k; kj++ {
								xi, xj := i*c.stride[0]-c.pad[0]+ki, j*c.stride[1]-c.pad[1]+kj
								if xi < 0 || xi >= c.h || xj < 0 || xj >= c.w {
									continue
								}
								s += x[((n*c.cin+ci)*c.h+xi)*c.w+xj] * w[((co*c.cin+ci)*c.k+ki)*c.k+kj]
							}
						}
					}
					out[((n*c.cout+co)*c.wantH+i)*c.wantW+j] = s
				}
			}
		}
	}
	return out
}

// TestConv2dForward compares Conv2d with the loop-by-loop definition and
// with Gorgonia's own G.Conv2d, in float64 and float32.
func TestConv2dForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range conv2dCases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.wantH, Conv2dOutputSize(c.h, c.k, c.stride[0], c.pad[0]))
			require.Equal(t, c.wantW, Conv2dOutputSize(c.w, c.k, c.stride[1], c.pad[1]))
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			want := refConv2d(c, x, w)
			for _, f32 := range []bool{false, true} {
				g := G.NewGraph()
				var xb, wb any = x, w
				tol := 1e-12
				if f32 {
					xb, wb, tol = to32(x), to32(w), 1e-5
				}
				xn := valueNode(g, "x", c.xShape(), xb)
				wn := valueNode(g, "w", c.wShape(), wb)
				y, err := Conv2d(xn, wn, c.stride, c.pad)
				require.NoError(t, err)
				require.Equal(t, c.yShape(), []int(y.Shape()))
				ref, err := G.Conv2d(xn, wn, tensor.Shape{c.k, c.k}, c.pad[:], c.stride[:], []int{1, 1})
				require.NoError(t, err)
				m := G.NewTapeMachine(g)
				require.NoError(t, m.RunAll())
				m.Close()
				require.Less(t, maxRelErr(float64s(t, y.Value()), want), tol, "float32: %v", f32)
				require.Less(t, maxRelErr(float64s(t, ref.Value()), want), tol, "G.Conv2d, float32: %v", f32)
			}
		})
	}
}

// conv2dLossGrads builds L = Σ(conv(x, w) ⊙ r) with Conv2d, or with
// G.Conv2d if gorgonia is set, and returns L, ∂L/∂x and ∂L/∂w from G.Grad.
func conv2dLossGrads(t *testing.T, c conv2dCase, x, w, r []float64, gorgonia bool) (float64, []float64, []float64) {
	t.Helper()
	g := G.NewGraph()
	xn := valueNode(g, "x", c.xShape(), append([]float64(nil), x...))
	wn := valueNode(g, "w", c.wShape(), append([]float64(nil), w...))
	rn := valueNode(g, "r", c.yShape(), r)
	var y *G.Node
	var err error
	if gorgonia {
		y, err = G.Conv2d(xn, wn, tensor.Shape{c.k, c.k}, c.pad[:], c.stride[:], []int{1, 1})
	} else {
		y, err = Conv2d(xn, wn, c.stride, c.pad)
	}
	require.NoError(t, err)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
	grads, err := G.Grad(loss, xn, wn)
	require.NoError(t, err)
	m := G.NewTapeMachine(g)
	defer m.Close()
	require.NoError(t, m.RunAll())
	return loss.Value().Data().(float64), float64s(t, grads[0].Value()), float64s(t, grads[1].Value())
}

// TestConv2dGradients checks Conv2d's gradients with respect to x and w
// against central finite differences, and Gorgonia's G.Conv2d's against
// the same differences (v0.9.18's are right on these cases, but its
// col2im gradient op is not itself differentiable, which is one reason
// the models use Conv2d).
func TestConv2dGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, c := range conv2dCases {
		t.Run(c.name, func(t *testing.T) {
			x := randSlice(rng, prod(c.xShape()))
			w := randSlice(rng, prod(c.wShape()))
			r := randSlice(rng, prod(c.yShape()))
			f := func() float64 { return dot(refConv2d(c, x, w), r) }
			fdx, fdw := centralDiff(x, f), centralDiff(w, f)
			for _, gorgonia := range []bool{false, true} {
				loss, dx, dw := conv2dLossGrads(t, c, x, w, r, gorgonia)
				require.InDelta(t, f(), loss, 1e-9)
				require.Less(t, maxRelErr(dx, fdx), 1e-7, "dx, G.Conv2d: %v", gorgonia)
				require.Less(t, maxRelErr(dw, fdw), 1e-7, "dw, G.Conv2d: %v", gorgonia)
			}
		})
	}
}

// TestConv2dSecondOrder differentiates a function of the first-order
// gradients, as a gradient penalty does, and compares with finite
// differences. As in TestSecondOrder the loss is linear in the output,
// since Gorgonia v0.9.18's own second-order gradients through element-wise
// products are wrong.
func TestConv2dSecondOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	c := conv2dCases[1]
	x := randSlice(rng, prod(c.xShape()))
	w := randSlice(rng, prod(c.wShape()))
	r := randSlice(rng, prod(c.yShape()))

	g := G.NewGraph()
	xn := valueNode(g, "x", c.xShape(), append([]float64(nil), x...))
	wn := valueNode(g, "w", c.wShape(), append([]float64(nil), w...))
	rn := valueNode(g, "r", c.yShape(), r)
	y, err := Conv2d(xn, wn, c.stride, c.pad)
	require.NoError(t, err)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
	grads, err := G.Grad(loss, xn, wn)
	require.NoError(t, err)
	pen := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(grads[0])))), G.Must(G.Sum(G.Must(G.Square(grads[1]))))))
	grads2, err := G.Grad(pen, xn, wn)
	require.NoError(t, err)
	m := G.NewTapeMachine(g)
	defer m.Close()
	require.NoError(t, m.RunAll())

	// The penalty from the first-order gradients, checked against finite
	// differences in TestConv2dGradients.
	penalty := func() float64 {
		_, dx, dw := conv2dLossGrads(t, c, x, w, r, false)
		return dot(dx, dx) + dot(dw, dw)
	}
	d2x, d2w := float64s(t, grads2[0].Value()), float64s(t, grads2[1].Value())
	require.Less(t, maxRelErr(d2x, centralDiff(x, penalty)), 1e-6, "d pen/dx")
	require.Less(t, maxRelErr(d2w, centralDiff(w, penalty)), 1e-6, "d pen/dw")
	require.Greater(t, maxAbs(d2x), 0.1)
	require.Greater(t, maxAbs(d2w), 0.1)
}

func TestConv2dErrors(t *testing.T) {
	g := G.NewGraph()
	node := func(dt tensor.Dtype, shape ...int) *G.Node {
		return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithInit(G.Zeroes()))
	}
	x := node(tensor.Float64, 1, 2, 5, 5)
	cases := map[string]func() (*G.Node, error){
		"nil input":               func() (*G.Node, error) { return Conv2d(nil, x, [2]int{1, 1}, [2]int{}) },
		"dtype mismatch":          func() (*G.Node, error) { return Conv2d(x, node(tensor.Float32, 3, 2, 3, 3), [2]int{1, 1}, [2]int{}) },
		"channel mismatch":        func() (*G.Node, error) { return Conv2d(x, node(tensor.Float64, 3, 4, 3, 3), [2]int{1, 1}, [2]int{}) },
		"stride must be positive": func() (*G.Node, error) { return Conv2d(x, node(tensor.Float64, 3, 2, 3, 3), [2]int{0, 1}, [2]int{}) },
		"pad must be ≥ 0": func() (*G.Node, error) {
			return Conv2d(x, node(tensor.Float64, 3, 2, 3, 3), [2]int{1, 1}, [2]int{-1, 0})
		},
		"non-positive output size": func() (*G.Node, error) { return Conv2d(x, node(tensor.Float64, 3, 2, 6, 6), [2]int{1, 1}, [2]int{}) },
		"w must be 4-D":            func() (*G.Node, error) { return Conv2d(x, node(tensor.Float64, 3, 2), [2]int{1, 1}, [2]int{}) },
		"unsupported dtype": func() (*G.Node, error) {
			return Conv2d(node(tensor.Int, 1, 2, 5, 5), node(tensor.Int, 3, 2, 3, 3), [2]int{1, 1}, [2]int{})
		},
	}
	for want, f := range cases {
		_, err := f()
		require.ErrorContains(t, err, want)
	}
}
