package losses_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/losses"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func sigm(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func relativeOf(l losses.RelativisticLoss) func(in ...*G.Node) (*G.Node, error) {
	return func(in ...*G.Node) (*G.Node, error) { return l.GeneratorRelative(in[0], in[1]) }
}

// relCase is a relativistic loss with its losses and gradients written
// out by hand: d(real, fake) returns the D loss and its gradients with
// respect to real and fake; g the same for the generator's loss.
type relCase struct {
	loss losses.RelativisticLoss
	d, g func(r, f []float64) (float64, []float64, []float64)
}

func mean(xs []float64) float64 { return meanOf(xs, id) }

var relCases = []relCase{
	{losses.RSGAN{},
		func(r, f []float64) (float64, []float64, []float64) { // mean softplus(f − r)
			n := float64(len(r))
			v, dr, df := 0.0, make([]float64, len(r)), make([]float64, len(f))
			for i := range r {
				v += sp(f[i]-r[i]) / n
				dr[i], df[i] = -sigm(f[i]-r[i])/n, sigm(f[i]-r[i])/n
			}
			return v, dr, df
		},
		func(r, f []float64) (float64, []float64, []float64) { // mean softplus(r − f)
			n := float64(len(r))
			v, dr, df := 0.0, make([]float64, len(r)), make([]float64, len(f))
			for i := range r {
				v += sp(r[i]-f[i]) / n
				dr[i], df[i] = sigm(r[i]-f[i])/n, -sigm(r[i]-f[i])/n
			}
			return v, dr, df
		}},
	{losses.RaGAN{}, raRef, func(r, f []float64) (float64, []float64, []float64) {
		v, df, dr := raRef(f, r) // the generator's loss swaps the batches
		return v, dr, df
	}},
}

// raRef is mean_i softplus(mean(b) − a_i) + mean_j softplus(b_j − mean(a))
// with its gradients with respect to a and b.
func raRef(a, b []float64) (float64, []float64, []float64) {
	na, nb := float64(len(a)), float64(len(b))
	ma, mb := mean(a), mean(b)
	v, da, db := 0.0, make([]float64, len(a)), make([]float64, len(b))
	sa, sb := 0.0, 0.0 // Σ σ(mb − a_i), Σ σ(b_j − ma)
	for i := range a {
		v += sp(mb-a[i]) / na
		sa += sigm(mb - a[i])
	}
	for j := range b {
		v += sp(b[j]-ma) / nb
		sb += sigm(b[j] - ma)
	}
	for i := range a {
		da[i] = -sigm(mb-a[i])/na - sb/(nb*na)
	}
	for j := range b {
		db[j] = sa/(na*nb) + sigm(b[j]-ma)/nb
	}
	return v, da, db
}

// TestRelativisticClosedForm checks RSGAN and RaGAN on hand-made logits
// against values worked out by hand, and their gradients against the
// derivatives written out above.
func TestRelativisticClosedForm(t *testing.T) {
	real, fake := []float64{1, 3}, []float64{-1, 2}
	// RSGAN: D mean(sp(f − r)) = (sp(−2) + sp(−1))/2, G (sp(2) + sp(1))/2.
	// RaGAN: mean real 2, mean fake 0.5.
	want := map[string][2]float64{
		"rsgan": {(sp(-2) + sp(-1)) / 2, (sp(2) + sp(1)) / 2},
		"ragan": {(sp(-0.5)+sp(-2.5))/2 + (sp(-3)+sp(0))/2, (sp(3)+sp(0))/2 + (sp(0.5)+sp(2.5))/2},
	}
	for _, c := range relCases {
		for _, dt := range dtypes {
			t.Run(c.loss.Name()+"/"+dt.String(), func(t *testing.T) {
				w := want[c.loss.Name()]
				d, dg := evalD(t, dt, c.loss, real, fake)
				g, gg := newGraphLoss(t, dt, relativeOf(c.loss), real, fake).run(t)
				near(t, w[0], d, tolFor(dt), "D loss")
				near(t, w[1], g, tolFor(dt), "G loss")
				rd, rdr, rdf := c.d(real, fake)
				rg, rgr, rgf := c.g(real, fake)
				near(t, w[0], rd, 1e-15)
				near(t, w[1], rg, 1e-15)
				for i := range real {
					near(t, rdr[i], dg[0][i], tolFor(dt), "dD/dreal[%d]", i)
					near(t, rdf[i], dg[1][i], tolFor(dt), "dD/dfake[%d]", i)
					near(t, rgr[i], gg[0][i], tolFor(dt), "dG/dreal[%d]", i)
					near(t, rgf[i], gg[1][i], tolFor(dt), "dG/dfake[%d]", i)
				}
			})
		}
	}
}

// TestRelativisticRandom compares the losses and gradients with the
// formulas on random logits (RaGAN with batches of different sizes).
func TestRelativisticRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range relCases {
		for trial := 0; trial < 4; trial++ {
			nf := 6
			if c.loss.Name() == "ragan" {
				nf = 3 + trial
			}
			real, fake := randLogits(rng, 6, 4), randLogits(rng, nf, 4)
			d, dg := evalD(t, tensor.Float64, c.loss, real, fake)
			g, gg := newGraphLoss(t, tensor.Float64, relativeOf(c.loss), real, fake).run(t)
			rd, rdr, rdf := c.d(real, fake)
			rg, rgr, rgf := c.g(real, fake)
			near(t, rd, d, 1e-12, c.loss.Name())
			near(t, rg, g, 1e-12, c.loss.Name())
			for i := range rdr {
				near(t, rdr[i], dg[0][i], 1e-12)
				near(t, rgr[i], gg[0][i], 1e-12)
			}
			for i := range rdf {
				near(t, rdf[i], dg[1][i], 1e-12)
				near(t, rgf[i], gg[1][i], 1e-12)
			}
		}
	}
}

func TestRelativisticNeedsRealLogits(t *testing.T) {
	for _, l := range []losses.RelativisticLoss{losses.RSGAN{}, losses.RaGAN{}} {
		g := G.NewGraph()
		f := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("f"))
		_, err := l.Generator(f)
		require.ErrorContains(t, err, "GeneratorRelative")
	}
	g := G.NewGraph()
	r := G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("r"))
	f := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("f"))
	_, err := losses.RSGAN{}.Discriminator(r, f)
	require.ErrorContains(t, err, "4 real logits and 3 fake ones cannot be paired")
}

func TestWGANGP(t *testing.T) {
	w, target := losses.WGANGP{}.GradientPenalty()
	require.Equal(t, [2]float64{10, 1}, [2]float64{w, target})
	w, _ = losses.WGANGP{Weight: 5}.GradientPenalty()
	require.Equal(t, 5.0, w)
	// Without clipping: WGANGP is not a WeightClipper.
	_, clips := any(losses.WGANGP{}).(losses.WeightClipper)
	require.False(t, clips)
	real, fake := []float64{1, 3}, []float64{-1, 2}
	d, _ := evalD(t, tensor.Float64, losses.WGANGP{}, real, fake)
	g, _ := evalG(t, tensor.Float64, losses.WGANGP{}, fake)
	near(t, -1.5, d, 1e-15)
	near(t, -0.5, g, 1e-15)
}
