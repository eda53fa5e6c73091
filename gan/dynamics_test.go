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
	"github.com/gogan/gogan/optim"
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

// seqBatches serves a known sequence of batches: element i of the batch
// served by call c is sin(7c + 3i + 1), so a test can recompute any batch
// and tell one batch, or one ordering of a batch, from another.
type seqBatches struct {
	shape []int
	calls int
}

func (s *seqBatches) Shape() []int { return s.shape }
func (s *seqBatches) Epoch() int   { return 0 }
func (s *seqBatches) Next(dst []float32) error {
	for i := range dst {
		dst[i] = s.value(s.calls, i)
	}
	s.calls++
	return nil
}
func (s *seqBatches) value(call, i int) float32 { return float32(math.Sin(float64(7*call + 3*i + 1))) }

// constantGenerator returns a linear generator whose weights are zero, so
// that every sample it makes is c.
func constantGenerator(t *testing.T, c []float64) *models.MLPGenerator {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 2, OutputShape: []int{len(c)}, Output: nn.Identity()}, 1)
	require.NoError(t, err)
	w, _ := gen.Params().Get("dense0/w")
	require.NoError(t, w.SetFloat64s(make([]float64, w.Value.Shape().TotalSize())))
	b, _ := gen.Params().Get("dense0/b")
	require.NoError(t, b.SetFloat64s(c))
	return gen
}

func softplus(x float64) float64 { return math.Log1p(math.Exp(x)) }

func TestPackingFeedsDPackedSamples(t *testing.T) {
	gen, disc := ringNets(t, 1, 4)
	_, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16})
	require.ErrorContains(t, err, "generator makes samples of shape [2] but the discriminator takes [8]")
	_, err = gan.NewTrainer(gen, disc, gan.Config{BatchSize: 18, Pack: 4})
	require.ErrorContains(t, err, "Pack must be at least 1 and divide BatchSize 18, got 4")
	g3, d3 := ringNets(t, 1, 3)
	_, err = gan.NewTrainer(g3, d3, gan.Config{BatchSize: 16, Pack: 4})
	require.ErrorContains(t, err, "with Pack 4 the discriminator must take 4 samples of shape [2] (8 values), but it takes [6]")

	// A linear D with known weights over a known real batch: its loss
	// tells which samples were packed together. Pack 4 of a batch of 16
	// must give D 4 rows, row r the samples 4r … 4r+3 side by side.
	const batch, pack = 16, 4
	fake := []float64{0.3, -0.6}
	g := constantGenerator(t, fake)
	d, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2 * pack}}, 1)
	require.NoError(t, err)
	w := []float64{1, -0.5, 2, 0.25, -1.5, 0.75, 0.5, -2}
	dw, _ := d.Params().Get("dense0/w")
	require.NoError(t, dw.SetFloat64s(w))
	db, _ := d.Params().Get("dense0/b")
	require.NoError(t, db.SetFloat64s([]float64{0.1}))
	tr, err := gan.NewTrainer(g, d, gan.Config{BatchSize: batch, Pack: pack})
	require.NoError(t, err)
	src := &seqBatches{shape: []int{2}}
	s, err := tr.Step(src)
	require.NoError(t, err)

	// dLoss is the discriminator's loss, mean softplus(−real logit) +
	// mean softplus(fake logit), when sample(r, k) is the k-th sample of
	// packed row r.
	dLoss := func(sample func(r, k int) int) float64 {
		fakeLogit := 0.1
		for k := 0; k < pack; k++ {
			fakeLogit += w[2*k]*fake[0] + w[2*k+1]*fake[1]
		}
		loss := softplus(fakeLogit)
		for r := 0; r < batch/pack; r++ {
			logit := 0.1
			for k := 0; k < pack; k++ {
				n := sample(r, k)
				logit += w[2*k]*float64(src.value(0, 2*n)) + w[2*k+1]*float64(src.value(0, 2*n+1))
			}
			loss += softplus(-logit) / (batch / pack)
		}
		return loss
	}
	consecutive := dLoss(func(r, k int) int { return pack*r + k })
	strided := dLoss(func(r, k int) int { return r + k*batch/pack })
	require.Greater(t, math.Abs(consecutive-strided), 0.1, "the check cannot tell the two groupings apart")
	require.InDelta(t, consecutive, s.DLoss, 1e-5)
	// The statistics average over the packed rows (one logit each).
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	dReal, fakeLogit := 0.0, 0.1
	for k := 0; k < pack; k++ {
		fakeLogit += w[2*k]*fake[0] + w[2*k+1]*fake[1]
	}
	for r := 0; r < batch/pack; r++ {
		logit := 0.1
		for k := 0; k < pack; k++ {
			n := pack*r + k
			logit += w[2*k]*float64(src.value(0, 2*n)) + w[2*k+1]*float64(src.value(0, 2*n+1))
		}
		dReal += sigmoid(logit) / (batch / pack)
	}
	require.InDelta(t, dReal, s.DReal, 1e-6)
	require.InDelta(t, sigmoid(fakeLogit), s.DFake, 1e-6)

	// Sampling is not packed.
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

// adversaryDeltas builds a 2×2 trainer of float64 ring networks with
// adversary weights w and plain SGD (so that an update is −lr times the
// gradient), makes one step and returns how far each network's weights
// moved, flattened.
func adversaryDeltas(t *testing.T, w [][]float64, dLR float64) (d, g [2][]float64) {
	t.Helper()
	var gens [2]*models.MLPGenerator
	var discs [2]*models.MLPDiscriminator
	for i := range gens {
		var err error
		gens[i], err = models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 2, Hidden: []int{16}, OutputShape: []int{2},
			Activation: nn.LeakyReLU(0.2), DType: "float64"}, uint64(i+1))
		require.NoError(t, err)
		discs[i], err = models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16},
			Activation: nn.LeakyReLU(0.2), DType: "float64"}, uint64(i+1))
		require.NoError(t, err)
	}
	cfg := gan.Config{BatchSize: 16, Seed: 3, AdversaryWeights: w,
		DOptimizer: optim.SGDConfig{LR: dLR}, GOptimizer: optim.SGDConfig{LR: 0.1}}
	tr, err := gan.NewMultiTrainer([]gan.Generator{gens[0], gens[1]}, []gan.Discriminator{discs[0], discs[1]}, cfg)
	require.NoError(t, err)
	flat := func(ps *nn.Params) []float64 {
		var out []float64
		for _, p := range ps.All() {
			out = append(out, p.Float64s()...)
		}
		return out
	}
	var before [2][2][]float64
	for i := range gens {
		before[0][i], before[1][i] = flat(discs[i].Params()), flat(gens[i].Params())
	}
	_, err = tr.Step(data.NewLoader(pointsData(64), 3))
	require.NoError(t, err)
	for i := range gens {
		d[i], g[i] = flat(discs[i].Params()), flat(gens[i].Params())
		for k := range d[i] {
			d[i][k] -= before[0][i][k]
		}
		for k := range g[i] {
			g[i][k] -= before[1][i][k]
		}
	}
	return d, g
}

// requireMix checks that got = a·x + (1−a)·y, element by element, and
// that x and y differ enough for the check to mean something.
func requireMix(t *testing.T, got, x, y []float64, a float64, name string) {
	t.Helper()
	maxDiff := 0.0
	for k := range x {
		maxDiff = math.Max(maxDiff, math.Abs(x[k]-y[k]))
	}
	require.Greater(t, maxDiff, 1e-4, "%s: the two single-adversary updates are alike", name)
	for k := range got {
		require.InDelta(t, a*x[k]+(1-a)*y[k], got[k], 1e-10, "%s, element %d", name, k)
	}
}

func TestSeveralAdversaries(t *testing.T) {
	// With weights W, generator i's loss is Σ_j W[i][j]·L(G_i, D_j) / Σ_j W[i][j]
	// and discriminator j's Σ_i W[i][j]·L(D_j, G_i) / Σ_i W[i][j]; SGD
	// updates are linear in the loss, so under W = [[1 3] [1 1]] each
	// network's update is the weighted mean of its updates against each
	// adversary alone (a zero weight leaves that adversary out).
	full := [][]float64{{1, 3}, {1, 1}}
	// The discriminators update first, on the initial generators.
	dFull, _ := adversaryDeltas(t, full, 0.05)
	d0G0, _ := adversaryDeltas(t, [][]float64{{1, 1}, {0, 1}}, 0.05)
	d0G1, _ := adversaryDeltas(t, [][]float64{{0, 1}, {1, 1}}, 0.05)
	d1G0, _ := adversaryDeltas(t, [][]float64{{1, 1}, {1, 0}}, 0.05)
	d1G1, _ := adversaryDeltas(t, [][]float64{{1, 0}, {1, 1}}, 0.05)
	requireMix(t, dFull[0], d0G0[0], d0G1[0], 0.5, "discriminator 0 (column [1 1])")
	requireMix(t, dFull[1], d1G0[1], d1G1[1], 0.75, "discriminator 1 (column [3 1])")
	// The generators update against the updated discriminators, which
	// differ from one W to the next; a learning rate of 1e-20 keeps them
	// where they were (to far below the tolerance).
	_, gFull := adversaryDeltas(t, full, 1e-20)
	_, g0D0 := adversaryDeltas(t, [][]float64{{1, 0}, {1, 1}}, 1e-20)
	_, g0D1 := adversaryDeltas(t, [][]float64{{0, 1}, {1, 1}}, 1e-20)
	_, g1D0 := adversaryDeltas(t, [][]float64{{1, 1}, {1, 0}}, 1e-20)
	_, g1D1 := adversaryDeltas(t, [][]float64{{1, 1}, {0, 1}}, 1e-20)
	requireMix(t, gFull[0], g0D0[0], g0D1[0], 0.25, "generator 0 (row [1 3])")
	requireMix(t, gFull[1], g1D0[1], g1D1[1], 0.5, "generator 1 (row [1 1])")

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
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, GOptimizer: optim.AdamConfig{LR: 1e-12, Beta1: 0.5, Beta2: 0.999}})
	require.NoError(t, err)
	s, err := tr.Step(data.NewSourceLoader(data.NewRing8(), 1))
	require.NoError(t, err)
	require.Less(t, s.Diversity, 1e-6)
}

func TestFeatureMatching(t *testing.T) {
	// G makes the constant sample c, so the generator's loss can be
	// recomputed from D's weights after the step (the generator pass runs
	// after the discriminator update and does not change D) and from the
	// real batch the generator pass drew.
	c := []float64{0.3, -0.6}
	gen := constantGenerator(t, c)
	_, disc := ringNets(t, 1, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, FeatureMatching: true})
	require.NoError(t, err)
	src := &seqBatches{shape: []int{2}}
	first, err := tr.Step(src)
	require.NoError(t, err)
	// The generator pass draws a real batch of its own: the second.
	require.Equal(t, 2, src.calls)

	// fm is ‖mean f(x) − f(c)‖² over the real batch of the given call,
	// with f D's hidden layer, LeakyReLU(0.2)(x·W + b).
	wp, _ := disc.Params().Get("dense0/w")
	bp, _ := disc.Params().Get("dense0/b")
	w, b := wp.Float64s(), bp.Float64s()
	hidden := len(b)
	f := func(x0, x1 float64) []float64 {
		out := make([]float64, hidden)
		for h := range out {
			v := x0*w[h] + x1*w[hidden+h] + b[h]
			if v < 0 {
				v *= 0.2
			}
			out[h] = v
		}
		return out
	}
	fm := func(call int) float64 {
		mean := make([]float64, hidden)
		for n := 0; n < 16; n++ {
			for h, v := range f(float64(src.value(call, 2*n)), float64(src.value(call, 2*n+1))) {
				mean[h] += v / 16
			}
		}
		loss := 0.0
		for h, v := range f(c[0], c[1]) {
			loss += (mean[h] - v) * (mean[h] - v)
		}
		return loss
	}
	require.Greater(t, math.Abs(fm(1)-fm(0)), 1e-3, "the check cannot tell the real batches apart")
	require.InDelta(t, fm(1), first.GLoss, 1e-5*fm(1))

	for i := 0; i < 20; i++ {
		_, err := tr.Step(src)
		require.NoError(t, err)
	}
	require.Equal(t, 42, src.calls)

	// A discriminator without features is refused by name.
	noFeatures := struct{ gan.Discriminator }{disc}
	_, err = gan.NewTrainer(gen, noFeatures, gan.Config{BatchSize: 16, FeatureMatching: true})
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
	require.Equal(t, 1e-4, b.Config().GOptimizer.LearningRate())
	require.Equal(t, 5e-5, b.Config().DOptimizer.LearningRate())
	steps(t, a, sa, 1)
	steps(t, b, sb, 1)
	require.NotEqual(t, weights(a.Generator().Params()), weights(b.Generator().Params()))
	require.ErrorContains(t, b.SetLearningRates(-1, 1e-4), "generator learning rate: optim: adam: learning rate must be positive")
}
