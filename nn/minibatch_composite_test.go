package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mbdComposite is the construction MinibatchDiscrimination.Apply used
// before ops.MinibatchKernels: Gorgonia's composite ops over the n×n×B·C
// tensor of pairwise differences. It is kept here as the reference the
// fused op must agree with.
func mbdComposite(b *Builder, m *MinibatchDiscrimination, f *G.Node) (*G.Node, error) {
	n, nb, nc := f.Shape()[0], m.NumKernels, m.KernelDim
	bc := nb * nc
	mat, err := G.Mul(f, b.Node(m.T))
	if err != nil {
		return nil, err
	}
	left, err := G.Reshape(mat, tensor.Shape{n, 1, bc})
	if err != nil {
		return nil, err
	}
	right, err := G.Reshape(mat, tensor.Shape{1, n, bc})
	if err != nil {
		return nil, err
	}
	diff, err := G.BroadcastSub(left, right, []byte{1}, []byte{0})
	if err != nil {
		return nil, err
	}
	abs, err := G.Abs(diff)
	if err != nil {
		return nil, err
	}
	if abs, err = G.Reshape(abs, tensor.Shape{n * n * nb, nc}); err != nil {
		return nil, err
	}
	dist, err := G.Sum(abs, 1)
	if err != nil {
		return nil, err
	}
	neg, err := G.Neg(dist)
	if err != nil {
		return nil, err
	}
	closeness, err := G.Exp(neg)
	if err != nil {
		return nil, err
	}
	if closeness, err = G.Reshape(closeness, tensor.Shape{n, n, nb}); err != nil {
		return nil, err
	}
	o, err := G.Sum(closeness, 1)
	if err != nil {
		return nil, err
	}
	if !o.Shape().Eq(tensor.Shape{n, nb}) {
		if o, err = G.Reshape(o, tensor.Shape{1, nb}); err != nil {
			return nil, err
		}
	}
	return G.Concat(1, f, o)
}

// mbdRun builds the layer (fused or composite) on features fv and tensor
// tv, and returns the output and the gradients of Σ w ⊙ out with respect
// to f and T, as float64.
func mbdRun(t *testing.T, dt tensor.Dtype, composite bool, fv, tv, wv []float64, n, a, b, c int) (out, df, dT []float64) {
	t.Helper()
	ps, err := NewParams(dt)
	require.NoError(t, err)
	m, err := NewMinibatchDiscrimination(ps, "mbd", a, b, c, newRNG())
	require.NoError(t, err)
	require.NoError(t, m.T.SetFloat64s(tv))
	bld := NewBuilder(G.NewGraph(), Training)
	f := bld.Input("f", dt, n, a)
	w := bld.Input("w", dt, n, a+b)
	for node, vals := range map[*G.Node][]float64{f: fv, w: wv} {
		switch d := node.Value().Data().(type) {
		case []float64:
			copy(d, vals)
		case []float32:
			for i, v := range vals {
				d[i] = float32(v)
			}
		}
	}
	var y *G.Node
	if composite {
		y, err = mbdComposite(bld, m, f)
	} else {
		y, err = m.Apply(bld, f)
	}
	require.NoError(t, err)
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, w))))
	tNode := bld.Node(m.T)
	_, err = G.Grad(cost, f, tNode)
	require.NoError(t, err)
	run(t, bld.Graph())
	conv := func(v G.Value) []float64 {
		switch d := v.Data().(type) {
		case []float64:
			return append([]float64(nil), d...)
		case []float32:
			o := make([]float64, len(d))
			for i, x := range d {
				o[i] = float64(x)
			}
			return o
		}
		t.Fatalf("data %T", v.Data())
		return nil
	}
	gf, err := f.Grad()
	require.NoError(t, err)
	gt, err := tNode.Grad()
	require.NoError(t, err)
	return conv(y.Value()), conv(gf), conv(gt)
}

// TestMinibatchDiscriminationMatchesComposite: the fused layer and the
// composite graph it replaced give the same outputs and gradients, to
// float rounding, on odd sizes (a batch of one, one kernel, kernels of
// dimension one), in float64 and float32.
func TestMinibatchDiscriminationMatchesComposite(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, sz := range [][4]int{{1, 3, 2, 3}, {2, 4, 1, 5}, {7, 5, 3, 1}, {7, 6, 3, 5}, {5, 2, 4, 2}} {
		n, a, b, c := sz[0], sz[1], sz[2], sz[3]
		fv := randomSlice(rng, n*a, 1)
		tv := randomSlice(rng, a*b*c, 0.5)
		wv := randomSlice(rng, n*(a+b), 1)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			name := fmt.Sprintf("n=%d A=%d B=%d C=%d %v", n, a, b, c, dt)
			o1, f1, t1 := mbdRun(t, dt, false, fv, tv, wv, n, a, b, c)
			o2, f2, t2 := mbdRun(t, dt, true, fv, tv, wv, n, a, b, c)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 5e-5 // math32.Exp in the composite graph is off by up to ~1e-5
			}
			for _, p := range []struct {
				what      string
				got, want []float64
			}{{"out", o1, o2}, {"df", f1, f2}, {"dT", t1, t2}} {
				require.Len(t, p.got, len(p.want), name)
				for i := range p.want {
					require.InDelta(t, p.want[i], p.got[i], tol*(1+math.Abs(p.want[i])), "%s %s[%d]", name, p.what, i)
				}
			}
		}
	}
}
