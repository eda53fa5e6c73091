package gan_test

import (
	"math"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
)

// TestPenaltyGradientWithMinibatchDiscrimination: a gradient penalty on a
// critic with minibatch discrimination differentiates through the
// gradient of ops.MinibatchKernels (its second-order ops); the critic's
// gradient, penalty included, against central differences of its loss
// (float64), for WGAN-GP's penalty and R1.
func TestPenaltyGradientWithMinibatchDiscrimination(t *testing.T) {
	for _, loss := range []losses.Loss{losses.WGANGP{}, losses.NonSaturating{}} {
		gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 2, Hidden: []int{6}, OutputShape: []int{2},
			Activation: nn.LeakyReLU(0.2), Output: nn.Identity(), DType: "float64"}, 3)
		require.NoError(t, err)
		disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{6},
			Activation: nn.LeakyReLU(0.2), MinibatchKernels: 3, MinibatchKernelDim: 2, DType: "float64"}, 3)
		require.NoError(t, err)
		var pen gan.Penalty
		if loss.Name() != "wgan-gp" {
			pen = gan.R1{Gamma: 10}
		}
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 6, Loss: loss, Penalty: pen, Seed: 3})
		require.NoError(t, err)
		_, grads, rerun, err := gan.RunDiscriminatorPass(tr, data.NewSourceLoader(data.NewGrid25(), 3))
		require.NoError(t, err)
		var sawMBD bool
		const h = 1e-6
		for k, p := range disc.Params().Learnables() {
			sawMBD = sawMBD || p.Name == "minibatch/T"
			w := p.Value.Data().([]float64)
			for j := range w {
				w0 := w[j]
				w[j] = w0 + h
				fp, err := rerun()
				require.NoError(t, err)
				w[j] = w0 - h
				fm, err := rerun()
				require.NoError(t, err)
				w[j] = w0
				fd := (fp - fm) / (2 * h)
				require.InDelta(t, fd, grads[k][j], 1e-5*math.Max(1, math.Abs(fd)), "%s: %s[%d]", loss.Name(), p.Name, j)
			}
		}
		require.True(t, sawMBD, "the critic has a minibatch discrimination layer")
	}
}
