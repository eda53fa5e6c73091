package gan_test

import (
	"math"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/stretchr/testify/require"
)

// handNorm returns the mean over the networks of the L2 norm of each
// network's gradients (all its learnables' as one vector).
func handNorm(nets [][][]float32) float64 {
	mean := 0.0
	for _, grads := range nets {
		sq := 0.0
		for _, g := range grads {
			for _, v := range g {
				sq += float64(v) * float64(v)
			}
		}
		mean += math.Sqrt(sq) / float64(len(nets))
	}
	return mean
}

// TestGradNormsAreTheGradientsNorms checks Stats.DGradNorm and GGradNorm
// against the norms of the gradients the step computed, on the CPU and
// on the Host device (which does not download them to compute the norms),
// for one discriminator and for two (their mean).
func TestGradNormsAreTheGradientsNorms(t *testing.T) {
	for _, dev := range []string{"cpu", "host"} {
		for _, nDisc := range []int{1, 2} {
			gens, discs := mlpNets(t)
			for i := 1; i < nDisc; i++ {
				_, dc := models.ReferenceMLP()
				dc.InputShape = []int{2}
				d, err := models.NewMLPDiscriminator(dc, uint64(20+i))
				require.NoError(t, err)
				discs = append(discs, d)
			}
			tr, err := gan.NewMultiTrainer(gens, discs, gan.Config{BatchSize: 16, Seed: 5, Device: dev})
			require.NoError(t, err)
			src := mnistLike(16, 3)()
			for step := 1; step <= 3; step++ {
				st, err := tr.Step(src)
				require.NoError(t, err)
				d, g, err := gan.LastGradients(tr)
				require.NoError(t, err)
				require.Len(t, d, nDisc)
				wantD, wantG := handNorm(d), handNorm(g)
				require.Positive(t, wantD)
				require.Positive(t, wantG)
				require.InDelta(t, wantD, st.DGradNorm, 1e-6*wantD, "%s, %d discriminators, step %d", dev, nDisc, step)
				require.InDelta(t, wantG, st.GGradNorm, 1e-6*wantG, "%s, %d discriminators, step %d", dev, nDisc, step)
			}
			require.NoError(t, tr.Close())
		}
	}
}

// TestDiscriminatorGradNormIsTheMeanOfItsPasses checks that, like DLoss,
// DGradNorm averages the step's k discriminator passes: with k = 2 it is
// the mean of the last pass's norm and the first's, which the first step
// of a k = 1 trainer with the same seed reproduces.
func TestDiscriminatorGradNormIsTheMeanOfItsPasses(t *testing.T) {
	build := func(k int) *gan.Trainer {
		gens, discs := mlpNets(t)
		tr, err := gan.NewMultiTrainer(gens, discs, gan.Config{BatchSize: 16, Seed: 5, DSteps: k})
		require.NoError(t, err)
		return tr
	}
	two := build(2)
	st, err := two.Step(mnistLike(16, 3)())
	require.NoError(t, err)
	last, _, err := gan.LastGradients(two)
	require.NoError(t, err)
	// The first pass of the k = 2 step is the pass of a k = 1 trainer's
	// first step: same seed, same batches, same weights.
	one := build(1)
	first, err := one.Step(mnistLike(16, 3)())
	require.NoError(t, err)
	want := (first.DGradNorm + handNorm(last)) / 2
	require.InDelta(t, want, st.DGradNorm, 1e-6*want)
	require.NotEqual(t, first.DGradNorm, handNorm(last))
}
