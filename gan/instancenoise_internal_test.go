package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tanhGen is pgen with a tanh before the reshape: tanh's gradient reads
// its output, which the generator returns through a view.
type tanhGen struct{ *pgen }

func (g tanhGen) Generate(b *nn.Builder, z *G.Node) (*G.Node, error) {
	h, err := G.Mul(z, b.Node(g.w))
	if err != nil {
		return nil, err
	}
	if h, err = G.Tanh(h); err != nil {
		return nil, err
	}
	return G.Reshape(h, append(tensor.Shape{z.Shape()[0]}, g.shape...))
}

// TestInstanceNoiseKeepsGeneratorGradient: with instance noise on, the
// generator's gradient still matches finite differences of its loss (the
// noise addition once overwrote the generator's output in place, which
// tanh's gradient then read: an error of 0.03 here).
func TestInstanceNoiseKeepsGeneratorGradient(t *testing.T) {
	for _, noise := range []float64{0, 0.3} {
		g0, d := newPenaltyNets(t, "leaky", 6)
		g := tanhGen{g0}
		tr, err := NewTrainer(g, d, Config{BatchSize: 4, Seed: 7, InstanceNoise: noise})
		require.NoError(t, err)
		p, params := tr.g, tr.gParams[0]
		require.NoError(t, tr.feed(p, &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(8, 1))}))
		require.NoError(t, tr.run(p))
		sym := append([]float64(nil), f64s(p.grads[0][0])...)
		worst := 0.0
		w := params[0].Data().([]float64)
		for j := range w {
			w0 := w[j]
			w[j] = w0 + 1e-6
			require.NoError(t, tr.run(p))
			fp := f64s(p.losses[0])[0]
			w[j] = w0 - 1e-6
			require.NoError(t, tr.run(p))
			fm := f64s(p.losses[0])[0]
			w[j] = w0
			worst = math.Max(worst, math.Abs((fp-fm)/2e-6-sym[j]))
		}
		require.Less(t, worst, 1e-8, "instance noise %v: worst |FD − symbolic| of G's gradient", noise)
	}
}
