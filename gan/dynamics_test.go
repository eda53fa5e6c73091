package gan_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
)

func ringNets(t *testing.T, seed uint64, pack int) (*models.MLPGenerator, *models.MLPDiscriminator) {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 2, Hidden: []int{16}, OutputShape: []int{2},
		Activation: nn.LeakyReLU(0.2)}, seed)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2 * pack}, Hidden: []int{16},
		Activation: nn.LeakyReLU(0.2)}, seed)
	require.NoError(t, err)
	return gen, disc
}

func TestPackingFeedsDPackedSamples(t *testing.T) {
	gen, disc := ringNets(t, 1, 4)
	_, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16})
	require.ErrorContains(t, err, "generator makes samples of shape [2] but the discriminator takes [8]")
	_, err = gan.NewTrainer(gen, disc, gan.Config{BatchSize: 18, Pack: 4})
	require.ErrorContains(t, err, "Pack must be at least 1 and divide BatchSize 18, got 4")
	g3, d3 := ringNets(t, 1, 3)
	_, err = gan.NewTrainer(g3, d3, gan.Config{BatchSize: 16, Pack: 4})
	require.ErrorContains(t, err, "with Pack 4 the discriminator must take 4 samples of shape [2] (8 values), but it takes [6]")

	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Pack: 4})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 1)
	for i := 0; i < 5; i++ {
		s, err := tr.Step(src)
		require.NoError(t, err)
		require.False(t, math.IsNaN(s.V))
	}
	x, err := tr.Sample(7)
	require.NoError(t, err)
	require.Equal(t, []int{7, 2}, []int(x.Shape()))
}

func TestLosingScheduleSkipsTheNetworkAhead(t *testing.T) {
	gen, disc := ringNets(t, 1, 1)
	// With margin 0 some network is always ahead: every pass skips one.
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, DSteps: 2, Balance: gan.Balance{Kind: "losing", Margin: 1e-9}})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 1)
	var dSkipped, gSkipped int
	for i := 0; i < 30; i++ {
		s, err := tr.Step(src)
		require.NoError(t, err)
		require.Equal(t, 2, s.DUpdates+s.DSkipped)
		require.Equal(t, 1, s.GUpdates+s.GSkipped)
		dSkipped += s.DSkipped
		gSkipped += s.GSkipped
	}
	require.Positive(t, dSkipped+gSkipped)

	// A margin of 0.99 is never exceeded: nothing is skipped.
	g2, d2 := ringNets(t, 1, 1)
	tr2, err := gan.NewTrainer(g2, d2, gan.Config{BatchSize: 16, Balance: gan.Balance{Kind: "losing", Margin: 0.99}})
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		s, err := tr2.Step(src)
		require.NoError(t, err)
		require.Equal(t, 0, s.DSkipped+s.GSkipped)
	}
	_, err = gan.NewTrainer(g2, d2, gan.Config{Balance: gan.Balance{Kind: "sometimes"}})
	require.ErrorContains(t, err, `unknown Balance.Kind "sometimes"`)
}

func TestSkippedUpdateLeavesWeights(t *testing.T) {
	gen, disc := ringNets(t, 2, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Balance: gan.Balance{Kind: "losing", Margin: 1e-9}})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 2)
	for i := 0; i < 20; i++ {
		dBefore, gBefore := weights(disc.Params()), weights(gen.Params())
		s, err := tr.Step(src)
		require.NoError(t, err)
		if s.DSkipped == 1 {
			require.Equal(t, dBefore, weights(disc.Params()))
		} else {
			require.NotEqual(t, dBefore, weights(disc.Params()))
		}
		if s.GSkipped == 1 {
			require.Equal(t, gBefore, weights(gen.Params()))
		} else {
			require.NotEqual(t, gBefore, weights(gen.Params()))
		}
	}
}

func TestSeveralAdversaries(t *testing.T) {
	g1, d1 := ringNets(t, 1, 1)
	g2, d2 := ringNets(t, 2, 1)
	cfg := gan.Config{BatchSize: 16, Seed: 3, AdversaryWeights: [][]float64{{1, 3}, {1, 1}}}
	tr, err := gan.NewMultiTrainer([]gan.Generator{g1, g2}, []gan.Discriminator{d1, d2}, cfg)
	require.NoError(t, err)
	src := data.NewLoader(pointsData(64), 3)
	for i := 0; i < 6; i++ {
		s, err := tr.Step(src)
		require.NoError(t, err)
		require.Equal(t, 1, s.DUpdates)
		require.False(t, math.IsNaN(s.DLoss) || math.IsNaN(s.GLoss))
	}
	require.Len(t, tr.Generators(), 2)
	x, err := tr.Sample(50)
	require.NoError(t, err)
	require.Equal(t, []int{50, 2}, []int(x.Shape()))
	_, err = tr.GenerateWith(2, make([]float64, 2))
	require.ErrorContains(t, err, "no generator 2 (the trainer has 2)")

	// Every network is checkpointed: resuming is exact for 2×2 too.
	path := filepath.Join(t.TempDir(), "multi.gogan")
	require.NoError(t, tr.SaveCheckpoint(path, src, nil))
	g3, d3 := ringNets(t, 7, 1)
	g4, d4 := ringNets(t, 8, 1)
	tr2, err := gan.NewMultiTrainer([]gan.Generator{g3, g4}, []gan.Discriminator{d3, d4}, cfg)
	require.NoError(t, err)
	src2 := data.NewLoader(pointsData(64), 3)
	_, err = tr2.LoadCheckpoint(path, src2)
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		_, err := tr.Step(src)
		require.NoError(t, err)
		_, err = tr2.Step(src2)
		require.NoError(t, err)
	}
	require.Equal(t, weights(g2.Params()), weights(g4.Params()))
	require.Equal(t, weights(d2.Params()), weights(d4.Params()))

	// A 1×1 trainer refuses a 2×2 checkpoint.
	g5, d5 := ringNets(t, 1, 1)
	single, err := gan.NewTrainer(g5, d5, gan.Config{BatchSize: 16, Seed: 3})
	require.NoError(t, err)
	_, err = single.LoadCheckpoint(path, nil)
	require.ErrorContains(t, err, "configuration")
}

func TestInstanceNoiseAndLabelSmoothing(t *testing.T) {
	gen, disc := ringNets(t, 1, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, InstanceNoise: 50, InstanceNoiseSteps: 1000, LabelSmoothing: 0.9})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 1)
	s, err := tr.Step(src)
	require.NoError(t, err)
	// Noise of std 50 drowns a ring of radius 1: D cannot tell real from fake.
	require.InDelta(t, s.DReal, s.DFake, 0.05)

	_, err = gan.NewTrainer(gen, disc, gan.Config{LabelSmoothing: 0.9, Loss: losses.Hinge{}})
	require.ErrorContains(t, err, "LabelSmoothing: losses: label smoothing needs the minimax or nonsaturating loss, not hinge")
	_, err = gan.NewTrainer(gen, disc, gan.Config{InstanceNoise: -1})
	require.ErrorContains(t, err, "must not be negative")
}

func TestDiversityAlarm(t *testing.T) {
	_, stats := trainToy(t, 3, 3, false)
	for _, s := range stats {
		require.Positive(t, s.Diversity)
		require.False(t, math.IsInf(s.Diversity, 0) || math.IsNaN(s.Diversity))
	}
	// A generator whose last layer is zero makes one point: diversity 0.
	gen, disc := ringNets(t, 1, 1)
	for _, p := range gen.Params().All() {
		if p.Name == "dense1/w" {
			require.NoError(t, p.SetFloat64s(make([]float64, p.Value.Shape().TotalSize())))
		}
	}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, GOptimizer: gan.OptimizerConfig{LR: 1e-12}})
	require.NoError(t, err)
	s, err := tr.Step(data.NewSourceLoader(data.NewRing8(), 1))
	require.NoError(t, err)
	require.Less(t, s.Diversity, 1e-6)
}

func TestFeatureMatching(t *testing.T) {
	gen, disc := ringNets(t, 1, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, FeatureMatching: true})
	require.NoError(t, err)
	src := data.NewLoader(pointsData(64), 1)
	first, err := tr.Step(src)
	require.NoError(t, err)
	// GLoss is now ‖E f(x) − E f(G(z))‖² ≥ 0, not a cross-entropy; the G
	// update draws its own real batch: two batches of 16 per step.
	require.GreaterOrEqual(t, first.GLoss, 0.0)
	for i := 0; i < 20; i++ {
		_, err := tr.Step(src)
		require.NoError(t, err)
	}
	// 21 steps × 2 batches of 16 = 42 batches, 4 to an epoch of 64 samples.
	require.Equal(t, 10, src.Epoch())

	// A discriminator without features is refused by name.
	hidden := struct{ gan.Discriminator }{disc}
	_, err = gan.NewTrainer(gen, hidden, gan.Config{BatchSize: 16, FeatureMatching: true})
	require.ErrorContains(t, err, "FeatureMatching needs discriminators that implement gan.FeatureDiscriminator")
}

func TestSetLearningRatesKeepsOptimizerState(t *testing.T) {
	a, sa := newResumable(t, 5)
	b, sb := newResumable(t, 5)
	steps(t, a, sa, 4)
	steps(t, b, sb, 4)
	// Setting the same rates rebuilds the optimizers from their state: the
	// run continues bit for bit.
	require.NoError(t, b.SetLearningRates(2e-4, 2e-4))
	steps(t, a, sa, 4)
	steps(t, b, sb, 4)
	require.Equal(t, weights(a.Generator().Params()), weights(b.Generator().Params()))
	require.Equal(t, weights(a.Discriminator().Params()), weights(b.Discriminator().Params()))

	require.NoError(t, b.SetLearningRates(1e-4, 5e-5))
	require.Equal(t, 1e-4, b.Config().GOptimizer.LR)
	require.Equal(t, 5e-5, b.Config().DOptimizer.LR)
	steps(t, a, sa, 1)
	steps(t, b, sb, 1)
	require.NotEqual(t, weights(a.Generator().Params()), weights(b.Generator().Params()))
	require.ErrorContains(t, b.SetLearningRates(-1, 1e-4), "generator learning rate: learning rate must be positive")
}
