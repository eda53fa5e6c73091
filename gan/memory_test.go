package gan_test

import (
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
)

// EstimateGraphBytes extrapolates from small trainers exactly what a
// trainer of the full batch reports, for a network linear in the batch
// and for one with minibatch discrimination, quadratic in it.
func TestEstimateGraphBytesExtrapolatesExactly(t *testing.T) {
	gen, disc := toyNets(t, 1, true, 0)
	mbd, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{
		InputShape: []int{2}, Hidden: []int{8}, Activation: nn.LeakyReLU(0.2), MinibatchKernels: 4,
	}, 1)
	require.NoError(t, err)
	for _, d := range []gan.Discriminator{disc, mbd} {
		for _, batch := range []int{2, 5, 37} {
			cfg := gan.Config{BatchSize: batch, Seed: 1}
			est, err := gan.EstimateGraphBytes([]gan.Generator{gen}, []gan.Discriminator{d}, cfg)
			require.NoError(t, err)
			tr, err := gan.NewTrainer(gen, d, cfg)
			require.NoError(t, err)
			require.Equal(t, tr.GraphBytes(), est, "batch %d", batch)
			require.NoError(t, tr.Close())
		}
	}
	dg, err := models.NewDCGANGenerator(models.DCGANGeneratorConfig{LatentDim: 4, Width: 4, ImageSize: 8, Channels: 1, BatchNorm: true}, 1)
	require.NoError(t, err)
	dd, err := models.NewDCGANDiscriminator(models.DCGANDiscriminatorConfig{Width: 4, ImageSize: 8, Channels: 1, BatchNorm: true}, 1)
	require.NoError(t, err)
	cfg := gan.Config{BatchSize: 11, Seed: 1}
	est, err := gan.EstimateGraphBytes([]gan.Generator{dg}, []gan.Discriminator{dd}, cfg)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(dg, dd, cfg)
	require.NoError(t, err)
	require.Equal(t, tr.GraphBytes(), est, "dcgan")
	require.NoError(t, tr.Close())

	// The graphs grow with the batch: 37 samples take more than 5.
	a, err := gan.EstimateGraphBytes([]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{BatchSize: 5})
	require.NoError(t, err)
	b, err := gan.EstimateGraphBytes([]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{BatchSize: 37})
	require.NoError(t, err)
	require.Greater(t, b, a)
	_, err = gan.EstimateGraphBytes([]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{BatchSize: 0})
	require.ErrorContains(t, err, "batch size 0 is not a positive multiple of Pack 1")
}

// CheckMemory refuses a batch whose graphs do not fit the limit, before a
// trainer of that batch exists, and leaves the networks as they were: a
// run after it is the run without it.
func TestCheckMemory(t *testing.T) {
	gen, disc := toyNets(t, 1, true, 0)
	gens, discs := []gan.Generator{gen}, []gan.Discriminator{disc}
	est, err := gan.EstimateGraphBytes(gens, discs, gan.Config{BatchSize: 100_000_000})
	require.NoError(t, err)
	require.Greater(t, est, int64(100_000_000*8*4)) // at least the inputs and outputs
	err = gan.CheckMemory(gens, discs, gan.Config{BatchSize: 100_000_000})
	require.ErrorIs(t, err, data.ErrTooLarge)
	require.ErrorContains(t, err, "gan: training with a batch of 100000000 needs ")
	require.ErrorContains(t, err, "; or lower the batch size")
	// On a CUDA device the values are in the device's memory: not checked.
	require.NoError(t, gan.CheckMemory(gens, discs, gan.Config{BatchSize: 100_000_000, Device: "cuda:0"}))

	old := data.MaxBytes
	t.Cleanup(func() { data.MaxBytes = old })
	small, err := gan.EstimateGraphBytes(gens, discs, gan.Config{BatchSize: 16})
	require.NoError(t, err)
	data.MaxBytes = small + small/2
	require.NoError(t, gan.CheckMemory(gens, discs, gan.Config{BatchSize: 16}))
	data.MaxBytes--
	require.ErrorIs(t, gan.CheckMemory(gens, discs, gan.Config{BatchSize: 16}), data.ErrTooLarge)

	// Checked or not, the same training.
	data.MaxBytes = old
	run := func(check bool) ([][]float64, []gan.Stats) {
		gen, disc := toyNets(t, 3, true, 0.1)
		cfg := gan.Config{BatchSize: 16, DSteps: 2, Seed: 3}
		if check {
			require.NoError(t, gan.CheckMemory([]gan.Generator{gen}, []gan.Discriminator{disc}, cfg))
		}
		tr, err := gan.NewTrainer(gen, disc, cfg)
		require.NoError(t, err)
		src := data.NewSourceLoader(data.NewRing8(), 3)
		var stats []gan.Stats
		for i := 0; i < 3; i++ {
			s, err := tr.Step(src)
			require.NoError(t, err)
			stats = append(stats, s)
		}
		return weights(gen.Params()), stats
	}
	w1, s1 := run(false)
	w2, s2 := run(true)
	require.Equal(t, s1, s2)
	require.Equal(t, w1, w2)
}
