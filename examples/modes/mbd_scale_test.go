package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// meanSDOf returns the mean and standard deviation of v.
func meanSDOf(v []float32) (mean, sd float64) {
	for _, f := range v {
		mean += float64(f)
	}
	mean /= float64(len(v))
	for _, f := range v {
		sd += (float64(f) - mean) * (float64(f) - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)))
}

// TestMinibatchStatisticsAtInitialisation measures what the two forms of
// the minibatch layer feed D's output layer at initialisation, on a real
// batch of 100 points: the paper's formula gives every sample a statistic
// of about n = 100 in every kernel (D's maxout features are ~1e-3, so
// every pair is close), which swamps D's logits; the code's form starts
// centred. Run with -v for the figures README quotes.
func TestMinibatchStatisticsAtInitialisation(t *testing.T) {
	for _, name := range []string{"ring", "grid"} {
		mix := mixture(name)
		pts := make([]float32, 200)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < len(pts); i += 2 {
			mix.Draw(rng, pts[i:i+2])
		}
		for seed := uint64(1); seed <= 3; seed++ {
			logitSD := map[string]float64{}
			for _, form := range []string{"plain", "minibatch", "minibatch-wn"} {
				kernels, f := 100, mbdPaper
				switch form {
				case "plain":
					kernels = 0
				case "minibatch-wn":
					f = mbdCode
				}
				d, err := newDiscriminator(1, kernels, 5, f, seed*16)
				require.NoError(t, err)
				if f == mbdCode {
					require.NoError(t, d.initMinibatch(mix, 100, seed*16))
				}
				b := nn.NewBuilder(G.NewGraph(), nn.Training)
				x := b.Input("x", tensor.Float32, 100, 2)
				copy(x.Value().Data().([]float32), pts)
				logits, err := d.Discriminate(b, x)
				require.NoError(t, err)
				var lv G.Value
				G.Read(logits, &lv)
				vm := G.NewTapeMachine(b.Graph())
				require.NoError(t, vm.RunAll())
				vm.Close()
				lm, ls := meanSDOf(lv.Data().([]float32))
				logitSD[form] = math.Max(math.Abs(lm), ls)
				if kernels == 0 {
					t.Logf("%s seed %d %-12s logits %.3f ± %.3f", name, seed, form, lm, ls)
					continue
				}
				od := minibatchStatistics(t, d, pts)
				om, os := meanSDOf(od)
				cm, _ := meanSDOf(withBias(d, od))
				t.Logf("%s seed %d %-12s logits %.3f ± %.3f; statistic %.3f ± %.3f, with bias %.3f",
					name, seed, form, lm, ls, om, os, cm)
				if f == mbdPaper {
					require.Greater(t, om, 98.0, "the paper's form: every statistic about n")
					require.Less(t, os, 0.5)
				} else {
					require.InDelta(t, 0, cm, 0.1, "the code's form: centred statistics (initialised on another batch)")
				}
			}
			require.Greater(t, logitSD["minibatch"], 10*logitSD["plain"], "the statistics swamp the paper form's logits")
			require.Less(t, logitSD["minibatch-wn"], 10*logitSD["minibatch"])
		}
	}
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
