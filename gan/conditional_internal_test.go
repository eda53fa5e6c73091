package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// linGen is a linear conditional generator of 2-D points: z·Wz + y·Wy.
type linGen struct {
	ps     *nn.Params
	wz, wy *nn.Param
}

func (g *linGen) LatentDim() int     { return 2 }
func (g *linGen) SampleShape() []int { return []int{2} }
func (g *linGen) Params() *nn.Params { return g.ps }
func (g *linGen) NumClasses() int    { return 3 }
func (g *linGen) Generate(*nn.Builder, *G.Node) (*G.Node, error) {
	panic("linGen needs the classes")
}
func (g *linGen) GenerateConditional(b *nn.Builder, z, y *G.Node) (*G.Node, error) {
	a, err := G.Mul(z, b.Node(g.wz))
	if err != nil {
		return nil, err
	}
	c, err := G.Mul(y, b.Node(g.wy))
	if err != nil {
		return nil, err
	}
	return G.Add(a, c)
}

// linACGAN is a linear ACGAN discriminator: logit x·w, class logits x·C.
type linACGAN struct {
	ps   *nn.Params
	w, c *nn.Param
}

func (d *linACGAN) InputShape() []int  { return []int{2} }
func (d *linACGAN) Params() *nn.Params { return d.ps }
func (d *linACGAN) NumClasses() int    { return 3 }
func (d *linACGAN) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	l, _, err := d.DiscriminateConditional(b, x, nil)
	return l, err
}
func (d *linACGAN) DiscriminateConditional(b *nn.Builder, x, _ *G.Node) (logits, classLogits *G.Node, err error) {
	l, err := G.Mul(x, b.Node(d.w))
	if err != nil {
		return nil, nil, err
	}
	if logits, err = G.Reshape(l, tensor.Shape{x.Shape()[0]}); err != nil {
		return nil, nil, err
	}
	classLogits, err = G.Mul(x, b.Node(d.c))
	return logits, classLogits, err
}

// TestACGANDiscriminatorLossByHand checks the discriminator loss of an
// ACGAN step against its definition, computed on the host from the
// step's own inputs (the real batch and its classes, the generated batch
// and the classes drawn for it) and D's weights before the update:
// mean softplus(−D(x)) + mean softplus(D(G(z))) + CE(real) + CE(fake),
// each CE the mean of −log softmax(x·C)[class].
func TestACGANDiscriminatorLossByHand(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gps, err := nn.NewParams(tensor.Float64)
	require.NoError(t, err)
	g := &linGen{ps: gps}
	g.wz, _ = gps.New("wz", []int{2, 2}, nn.Normal(0, 1), rng)
	g.wy, _ = gps.New("wy", []int{3, 2}, nn.Normal(0, 1), rng)
	dps, err := nn.NewParams(tensor.Float64)
	require.NoError(t, err)
	d := &linACGAN{ps: dps}
	d.w, _ = dps.New("w", []int{2, 1}, nn.Normal(0, 1), rng)
	d.c, _ = dps.New("c", []int{2, 3}, nn.Normal(0, 1), rng)
	tr, err := NewTrainer(g, d, Config{BatchSize: 5, Seed: 7})
	require.NoError(t, err)

	vals := make([]float32, 2*12)
	labels := make([]int, 12)
	for i := range labels {
		labels[i] = i % 3
		vals[2*i], vals[2*i+1] = float32(i)/6-1, float32(labels[i])-1
	}
	pts, err := data.NewSlices([]int{2}, vals)
	require.NoError(t, err)
	ds, err := data.NewLabeled(pts, labels, 3)
	require.NoError(t, err)
	w, c := d.w.Float64s(), d.c.Float64s() // before the update
	st, err := tr.Step(data.NewLoader(ds, 3))
	require.NoError(t, err)

	p := tr.d
	real, yReal := p.real.Data().([]float64), p.realY.Data().([]float64)
	fake, yFake := p.samples.Data().([]float64), p.ys[0].Data().([]float64)
	softplus := func(v float64) float64 { return math.Log1p(math.Exp(v)) }
	ce := func(x, y []float64) float64 { // mean over the batch
		s := 0.0
		for i := 0; i < 5; i++ {
			var l [3]float64
			picked, norm, classes := 0.0, 0.0, 0.0
			for k := range l {
				l[k] = x[2*i]*c[k] + x[2*i+1]*c[3+k]
				norm += math.Exp(l[k])
				picked += y[3*i+k] * l[k]
				classes += y[3*i+k]
			}
			require.Equal(t, 1.0, classes, "one-hot row %d", i)
			s += (math.Log(norm) - picked) / 5
		}
		return s
	}
	want := 0.0
	for i := 0; i < 5; i++ {
		want += softplus(-(real[2*i]*w[0] + real[2*i+1]*w[1])) / 5
		want += softplus(fake[2*i]*w[0]+fake[2*i+1]*w[1]) / 5
	}
	adv := want
	want += ce(real, yReal) + ce(fake, yFake)
	require.Greater(t, want-adv, 0.1, "the class losses count")
	require.InDelta(t, want, st.DLoss, 1e-12)
}
