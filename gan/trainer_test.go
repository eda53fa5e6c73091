package gan_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

// toyNets returns a small generator and discriminator for 2-D points.
func toyNets(t *testing.T, seed uint64, batchNorm bool, dropout float64) (*models.MLPGenerator, *models.MLPDiscriminator) {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: 3, Hidden: []int{16, 16}, OutputShape: []int{2},
		Activation: nn.LeakyReLU(0.2), Output: nn.Identity(), BatchNorm: batchNorm,
	}, seed)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{
		InputShape: []int{2}, Hidden: []int{16, 16}, Activation: nn.LeakyReLU(0.2), Dropout: dropout,
	}, seed)
	require.NoError(t, err)
	return gen, disc
}

func weights(ps *nn.Params) [][]float64 {
	var out [][]float64
	for _, p := range ps.All() {
		out = append(out, p.Float64s())
	}
	return out
}

func trainToy(t *testing.T, seed uint64, steps int, sampleBetween bool) (*gan.Trainer, []gan.Stats) {
	t.Helper()
	gen, disc := toyNets(t, seed, true, 0.1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, DSteps: 2, Seed: seed})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), seed)
	var all []gan.Stats
	for i := 0; i < steps; i++ {
		s, err := tr.Step(src)
		require.NoError(t, err)
		all = append(all, s)
		if sampleBetween {
			_, err := tr.Sample(5)
			require.NoError(t, err)
		}
	}
	return tr, all
}

func TestSameSeedSameRunBitForBit(t *testing.T) {
	a, sa := trainToy(t, 7, 20, false)
	b, sb := trainToy(t, 7, 20, true) // sampling in between must not change training
	require.Equal(t, sa, sb)
	require.Equal(t, weights(a.Generator().Params()), weights(b.Generator().Params()))
	require.Equal(t, weights(a.Discriminator().Params()), weights(b.Discriminator().Params()))
	// b's sampling generator has moved on (it sampled during training), so
	// compare the two generators on the same noise.
	z := a.Noise(10)
	x, err := a.GenerateFrom(z)
	require.NoError(t, err)
	y, err := b.GenerateFrom(z)
	require.NoError(t, err)
	require.Equal(t, x.Data(), y.Data())
	require.Equal(t, []int{10, 2}, []int(x.Shape()))
	c, _ := trainToy(t, 8, 20, false)
	require.NotEqual(t, weights(a.Generator().Params()), weights(c.Generator().Params()))
}

func TestStepStatisticsAreConsistent(t *testing.T) {
	_, stats := trainToy(t, 3, 5, false)
	for i, s := range stats {
		require.Equal(t, i+1, s.Step)
		require.Equal(t, 2, s.DUpdates)
		require.Equal(t, 1, s.GUpdates)
		for _, v := range []float64{s.DLoss, s.GLoss, s.DReal, s.DFake, s.V} {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
		}
		require.Greater(t, s.DReal, 0.0)
		require.Less(t, s.DReal, 1.0)
		// With the minimax/non-saturating D loss, D's loss is -V.
		require.InDelta(t, -s.V, s.DLoss, 1e-4)
	}
}

func TestGenerationIsIndependentOfBatchAndTraining(t *testing.T) {
	tr, _ := trainToy(t, 5, 10, false)
	z := tr.Noise(3)
	a, err := tr.GenerateFrom(z)
	require.NoError(t, err)
	// The same first row with different companions, and after more
	// samples have been drawn: inference mode makes rows independent.
	other := append(append([]float64(nil), z[:3]...), tr.Noise(40)...)
	b, err := tr.GenerateFrom(other)
	require.NoError(t, err)
	require.Equal(t, a.Data().([]float32)[:2], b.Data().([]float32)[:2])
	again, err := tr.GenerateFrom(z)
	require.NoError(t, err)
	require.Equal(t, a.Data(), again.Data())
	_, err = tr.GenerateFrom(z[:4])
	require.ErrorContains(t, err, "not a positive multiple of the latent size 3")
}

func TestNewTrainerRejectsMismatches(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	other, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{3}, Hidden: []int{4}}, 1)
	require.NoError(t, err)
	_, err = gan.NewTrainer(gen, other, gan.Config{})
	require.ErrorContains(t, err, "generator makes samples of shape [2] but the discriminator takes [3]")

	_, err = gan.NewTrainer(gen, disc, gan.Config{BatchSize: -1})
	require.ErrorContains(t, err, "BatchSize must be positive")
	_, err = gan.NewTrainer(gen, disc, gan.Config{DSteps: -2})
	require.ErrorContains(t, err, "DSteps (k) must be at least 1")
	_, err = gan.NewTrainer(gen, disc, gan.Config{GOptimizer: optim.SGDConfig{LR: 0.1, Nesterov: true}})
	require.ErrorContains(t, err, "GOptimizer: optim: sgd: Nesterov momentum needs a positive momentum")
	_, err = gan.NewTrainer(gen, disc, gan.Config{DOptimizer: optim.AdamConfig{LR: -1}})
	require.ErrorContains(t, err, "DOptimizer: optim: adam: learning rate must be positive")

	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 4})
	require.NoError(t, err)
	_, err = tr.Step(data.NewSourceLoader(data.NewGaussian1D(), 1))
	require.ErrorContains(t, err, "data samples have shape [1] (1 values) but the generator makes [2] (2 values)")
}

func TestDefaultConfig(t *testing.T) {
	c := gan.DefaultConfig()
	require.Equal(t, 64, c.BatchSize)
	require.Equal(t, 1, c.DSteps)
	require.Equal(t, "nonsaturating", c.Loss.Name())
	require.Equal(t, "normal", c.Noise.String())
	want := optim.AdamConfig{LR: 2e-4, Beta1: 0.5, Beta2: 0.999}
	require.Equal(t, want, c.GOptimizer)
	require.Equal(t, want, c.DOptimizer)
}

func TestTrainHonoursBudgetsHooksAndCancellation(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 1)

	calls := 0
	last, err := tr.Train(context.Background(), src, gan.TrainOptions{Steps: 5, OnStep: func(gan.Stats) error { calls++; return nil }})
	require.NoError(t, err)
	require.Equal(t, 5, calls)
	require.Equal(t, 5, last.Step)

	last, err = tr.Train(context.Background(), src, gan.TrainOptions{Steps: 100, OnStep: func(s gan.Stats) error {
		if s.Step == 8 {
			return gan.ErrStop
		}
		return nil
	}})
	require.NoError(t, err)
	require.Equal(t, 8, last.Step)

	boom := errors.New("boom")
	_, err = tr.Train(context.Background(), src, gan.TrainOptions{Steps: 3, OnStep: func(gan.Stats) error { return boom }})
	require.ErrorIs(t, err, boom)

	ctx, cancel := context.WithCancel(context.Background())
	before := tr.Steps()
	_, err = tr.Train(ctx, src, gan.TrainOptions{Steps: 1000, OnStep: func(s gan.Stats) error {
		cancel()
		return nil
	}})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, before+1, tr.Steps())

	_, err = tr.Train(context.Background(), src, gan.TrainOptions{})
	require.ErrorContains(t, err, "set Steps or Epochs")
}

// pointSet is a tiny finite dataset of 2-D points.
type pointSet int

func (p pointSet) Len() int                { return int(p) }
func (p pointSet) Shape() []int            { return []int{2} }
func (p pointSet) At(i int, dst []float32) { dst[0], dst[1] = float32(i), -float32(i) }

func TestTrainByEpochs(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8})
	require.NoError(t, err)
	var epochs []int
	// 40 samples in batches of 8: 5 D updates per epoch; k = 1.
	_, err = tr.Train(context.Background(), data.NewLoader(pointSet(40), 1), gan.TrainOptions{
		Epochs:  2,
		OnEpoch: func(e int, _ gan.Stats) error { epochs = append(epochs, e); return nil },
	})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, epochs)
	require.InDelta(t, 10, tr.Steps(), 1)
}

// nanLoss is a loss that returns NaN for the discriminator.
type nanLoss struct{ losses.NonSaturating }

func (nanLoss) Name() string { return "nan" }
func (l nanLoss) Discriminator(real, fake *G.Node) (*G.Node, error) {
	d, err := l.NonSaturating.Discriminator(real, fake)
	if err != nil {
		return nil, err
	}
	return G.Sqrt(G.Must(G.Neg(G.Must(G.Add(G.Must(G.Abs(d)), G.NewConstant(float32(1)))))))
}

func TestNaNLossStopsWithoutTouchingWeights(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Loss: nanLoss{}})
	require.NoError(t, err)
	before := weights(disc.Params())
	_, err = tr.Step(data.NewSourceLoader(data.NewRing8(), 1))
	require.ErrorContains(t, err, "step 1: discriminator loss is NaN")
	require.Equal(t, before, weights(disc.Params()))
}

func TestWassersteinClipsCriticWeights(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	w := losses.NewWasserstein()
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Loss: w})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 1)
	for i := 0; i < 3; i++ {
		_, err := tr.Step(src)
		require.NoError(t, err)
	}
	for _, p := range disc.Params().Learnables() {
		for _, v := range p.Float64s() {
			require.LessOrEqual(t, math.Abs(v), w.ClipValue()+1e-9, p.Name)
		}
	}
}

func TestSaveLoadRoundTripAndCorruption(t *testing.T) {
	tr, _ := trainToy(t, 2, 5, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gogan")
	require.NoError(t, tr.Save(path))

	gen, disc, info, err := models.Load(path)
	require.NoError(t, err)
	require.Equal(t, 5, info.Steps)
	require.Equal(t, weights(tr.Generator().Params()), weights(gen.Params()))
	require.Equal(t, weights(tr.Discriminator().Params()), weights(disc.Params()))

	// Restoring into fresh networks of another seed gives identical samples.
	g2, d2 := toyNets(t, 99, true, 0.1)
	mf, err := gan.ReadModel(path)
	require.NoError(t, err)
	require.NoError(t, mf.Restore(g2, d2))
	tr2, err := gan.NewTrainer(g2, d2, gan.Config{BatchSize: 16})
	require.NoError(t, err)
	z := tr.Noise(4)
	a, err := tr.GenerateFrom(z)
	require.NoError(t, err)
	b, err := tr2.GenerateFrom(z)
	require.NoError(t, err)
	require.Equal(t, a.Data(), b.Data())

	// A network of another shape is refused and left untouched.
	g3, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{8, 16}, OutputShape: []int{2}}, 1)
	require.NoError(t, err)
	before := weights(g3.Params())
	err = mf.Restore(g3, nil)
	require.ErrorContains(t, err, `parameter "generator/dense0/w" has shape [3 16] in the file, [3 8] in the network`)
	require.Equal(t, before, weights(g3.Params()))

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	trunc := filepath.Join(dir, "trunc.gogan")
	require.NoError(t, os.WriteFile(trunc, raw[:len(raw)/2], 0o644))
	_, _, _, err = models.Load(trunc)
	require.Error(t, err)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 0x40
	bad := filepath.Join(dir, "flipped.gogan")
	require.NoError(t, os.WriteFile(bad, flipped, 0o644))
	_, _, _, err = models.Load(bad)
	require.Error(t, err)
}

// TestDeviceSelection: the CPU is the default and "cpu" selects it,
// "host" runs the device program on the CPU, and a bad name is named. What
// "cuda" does depends on the build (device_nocu_test.go,
// device_cu_test.go).
func TestDeviceSelection(t *testing.T) {
	for _, dev := range []string{"", "cpu", "host"} {
		gen, disc := toyNets(t, 1, false, 0)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{Device: dev})
		require.NoError(t, err, "device %q", dev)
		require.NoError(t, tr.Close())
	}
	for _, dev := range []string{"gpu", "cuda:-1", "cuda:x", "CPU"} {
		gen, disc := toyNets(t, 1, false, 0)
		_, err := gan.NewTrainer(gen, disc, gan.Config{Device: dev})
		require.Error(t, err, "device %q", dev)
		require.ErrorContains(t, err, `Device "`+dev+`"`)
	}
}

// halvedSGD is an optimizer of the user's own: SGD at half the rate.
type halvedSGD struct{ LR float64 }

func (h halvedSGD) New() (optim.Optimizer, error) { return optim.NewSGD(optim.SGDConfig{LR: h.LR / 2}) }
func (h halvedSGD) LearningRate() float64         { return h.LR }
func (h halvedSGD) WithLearningRate(lr float64) optim.Settings {
	h.LR = lr
	return h
}

// TestCustomOptimizerSettings: any optim.Settings trains (here the same
// numbers as the SGD it wraps, on the CPU and on a device, which runs the
// optimizer its settings build) and checkpoints record it.
func TestCustomOptimizerSettings(t *testing.T) {
	run := func(s optim.Settings, dev string) [][]float64 {
		gen, disc := toyNets(t, 2, false, 0)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Seed: 4, GOptimizer: s, DOptimizer: s, Device: dev})
		require.NoError(t, err)
		src := data.NewSourceLoader(data.NewRing8(), 1)
		for i := 0; i < 3; i++ {
			_, err := tr.Step(src)
			require.NoError(t, err)
		}
		require.NoError(t, tr.SaveCheckpoint(t.TempDir()+"/c", src, nil))
		return weights(gen.Params())
	}
	want := run(optim.SGDConfig{LR: 0.05}, "cpu")
	require.Equal(t, want, run(halvedSGD{LR: 0.1}, "cpu"))
	got := run(halvedSGD{LR: 0.1}, "host")
	for i := range want {
		require.InDeltaSlice(t, want[i], got[i], 1e-6)
	}
}
