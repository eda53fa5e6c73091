package gan_test

import (
	"math"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/gpu"
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

// mbdMLPNets are the reference MLPs on 2-D data with a minibatch
// discrimination layer (8 kernels of dimension 3) before D's output.
func mbdMLPNets(t *testing.T) ([]gan.Generator, []gan.Discriminator) {
	gc, dc := models.ReferenceMLP()
	gc.OutputShape, dc.InputShape = []int{2}, []int{2}
	dc.MinibatchKernels, dc.MinibatchKernelDim = 8, 3
	g, err := models.NewMLPGenerator(gc, 7)
	require.NoError(t, err)
	d, err := models.NewMLPDiscriminator(dc, 8)
	require.NoError(t, err)
	return []gan.Generator{g}, []gan.Discriminator{d}
}

// TestDeviceMinibatchDiscrimination: minibatch discrimination on the MLPs
// compiles for the device and agrees with the CPU (on "host", package
// gpu's reference kernels; SGD, as for the DCGAN comparisons, because
// Adam's first steps turn the rounding of near-zero gradients into
// parameter differences of ~1e-5). With a gradient penalty the training
// graph is refused with gpu.ErrUnsupported, as it was before
// ops.MinibatchKernels: the second derivative of the layer's G.Concat is
// Gorgonia's sliceIncrOp, which the device compiler has no kernel for (the
// second-order minibatch kernels themselves are compiled and checked in
// package gpu).
func TestDeviceMinibatchDiscrimination(t *testing.T) {
	compareDevice(t, mbdMLPNets, dcganAgreeConfig(gan.Config{BatchSize: 16, Seed: 5}), mnistLike(16, 3), 3)
	for _, cfg := range []gan.Config{
		{BatchSize: 16, Seed: 5, Loss: losses.WGANGP{}},
		{BatchSize: 16, Seed: 6, Penalty: gan.R1{Gamma: 10}},
	} {
		gens, discs := mbdMLPNets(t)
		cfg.Device = "host"
		_, err := gan.NewTrainer(gens[0], discs[0], cfg)
		require.ErrorIs(t, err, gpu.ErrUnsupported)
		require.ErrorContains(t, err, "sliceIncrOp")
	}
}
