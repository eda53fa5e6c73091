package gan_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
)

// emaNets returns a tiny float64 pair; the generator has batch norm so
// that sampling with the average also uses (live) buffers.
func emaNets(t *testing.T, seed uint64) (*models.MLPGenerator, *models.MLPDiscriminator) {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{8}, OutputShape: []int{2},
		BatchNorm: true, DType: "float64"}, seed)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{8},
		DType: "float64"}, seed)
	require.NoError(t, err)
	return gen, disc
}

func newEMATrainer(t *testing.T, seed uint64, beta float64) (*gan.Trainer, *data.Loader) {
	t.Helper()
	gen, disc := emaNets(t, seed)
	sgd := optim.SGDConfig{LR: 0.05}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Seed: seed, GOptimizer: sgd, DOptimizer: sgd, GeneratorEMA: beta})
	require.NoError(t, err)
	return tr, data.NewLoader(pointsData(40), seed)
}

func learnables(ps *nn.Params) [][]float64 {
	var out [][]float64
	for _, p := range ps.Learnables() {
		out = append(out, p.Float64s())
	}
	return out
}

// After n generator updates the average is the closed form
// β^n·θ_0 + (1−β)·Σ_{k=1..n} β^(n−k)·θ_k of the weights θ_k after update k.
func TestGeneratorEMAClosedForm(t *testing.T) {
	const beta, n = 0.8, 6
	tr, b := newEMATrainer(t, 3, beta)
	thetas := [][][]float64{learnables(tr.Generator().Params())}
	require.Equal(t, thetas[0], tr.GeneratorEMAWeights(0), "the average starts at the initial weights")
	for k := 1; k <= n; k++ {
		steps(t, tr, b, 1)
		thetas = append(thetas, learnables(tr.Generator().Params()))
	}
	got := tr.GeneratorEMAWeights(0)
	moved := false
	for p := range got {
		for j := range got[p] {
			want := math.Pow(beta, n) * thetas[0][p][j]
			for k := 1; k <= n; k++ {
				want += (1 - beta) * math.Pow(beta, float64(n-k)) * thetas[k][p][j]
			}
			require.InDelta(t, want, got[p][j], 1e-12, "param %d element %d", p, j)
			moved = moved || math.Abs(got[p][j]-thetas[n][p][j]) > 1e-6
		}
	}
	require.True(t, moved, "the average should lag the live weights")
}

// Sample, GenerateFrom and Save use the average; a model file alone
// samples as the trainer does.
func TestGeneratorEMAUsedForSamplingAndSave(t *testing.T) {
	tr, b := newEMATrainer(t, 5, 0.7)
	steps(t, tr, b, 8)
	live := learnables(tr.Generator().Params())
	z := tr.Noise(5)
	got, err := tr.GenerateFrom(z)
	require.NoError(t, err)
	require.Equal(t, live, learnables(tr.Generator().Params()), "sampling must leave the live weights")

	// The same generator with the average loaded by hand, buffers live.
	gen, _ := emaNets(t, 99)
	require.NoError(t, gen.Params().CopyFrom(tr.Generator().Params()))
	for k, p := range gen.Params().Learnables() {
		require.NoError(t, p.SetFloat64s(tr.GeneratorEMAWeights(0)[k]))
	}
	s, err := gan.NewSampler(gen, nil, 1)
	require.NoError(t, err)
	want, err := s.GenerateFrom(z)
	require.NoError(t, err)
	require.Equal(t, want.Data(), got.Data())
	liveS, err := gan.NewSampler(tr.Generator(), nil, 1)
	require.NoError(t, err)
	liveOut, err := liveS.GenerateFrom(z)
	require.NoError(t, err)
	require.NotEqual(t, liveOut.Data(), got.Data(), "the live weights give other samples")

	// The model file holds the average and needs no discriminator.
	path := filepath.Join(t.TempDir(), "model.gogan")
	require.NoError(t, tr.Save(path))
	loaded, _, _, err := models.Load(path)
	require.NoError(t, err)
	require.Equal(t, tr.GeneratorEMAWeights(0), learnables(loaded.Params()))
	ls, err := gan.NewSampler(loaded, nil, 1)
	require.NoError(t, err)
	fromFile, err := ls.GenerateFrom(z)
	require.NoError(t, err)
	require.Equal(t, got.Data(), fromFile.Data())
}

func TestGeneratorEMAResumeIsBitIdentical(t *testing.T) {
	const n = 5
	straight, sb := newEMATrainer(t, 4, 0.9)
	steps(t, straight, sb, 2*n)

	first, fb := newEMATrainer(t, 4, 0.9)
	steps(t, first, fb, n)
	path := filepath.Join(t.TempDir(), "ckpt.gogan")
	require.NoError(t, first.SaveCheckpoint(path, fb, nil))
	resumed, rb := newEMATrainer(t, 77, 0.9)
	_, err := resumed.LoadCheckpoint(path, rb)
	require.NoError(t, err)
	require.Equal(t, first.GeneratorEMAWeights(0), resumed.GeneratorEMAWeights(0))
	steps(t, resumed, rb, n)
	require.Equal(t, straight.GeneratorEMAWeights(0), resumed.GeneratorEMAWeights(0))
	require.Equal(t, learnables(straight.Generator().Params()), learnables(resumed.Generator().Params()))

	// A trainer without the average, or with another β, refuses the file.
	off, ob := newEMATrainer(t, 4, 0)
	_, err = off.LoadCheckpoint(path, ob)
	require.ErrorContains(t, err, "GeneratorEMA is 0")
	other, ob2 := newEMATrainer(t, 4, 0.5)
	_, err = other.LoadCheckpoint(path, ob2)
	require.ErrorContains(t, err, "β 0.9")
	plainPath := filepath.Join(t.TempDir(), "plain.gogan")
	require.NoError(t, off.SaveCheckpoint(plainPath, ob, nil))
	_, err = resumed.LoadCheckpoint(plainPath, rb)
	require.ErrorContains(t, err, "holds no generator EMA")
}

func TestGeneratorEMAConfigErrors(t *testing.T) {
	for _, beta := range []float64{-0.1, 1, 1.5, math.NaN()} {
		gen, disc := emaNets(t, 1)
		_, err := gan.NewTrainer(gen, disc, gan.Config{GeneratorEMA: beta})
		require.ErrorContains(t, err, "GeneratorEMA must be 0 (off) or lie in (0, 1)", "β %v", beta)
	}
	gen, disc := emaNets(t, 1)
	_, err := gan.NewTrainer(gen, disc, gan.Config{GeneratorEMA: 0.99, Device: "host"})
	require.ErrorContains(t, err, `GeneratorEMA is not supported on Device "host"`)
	require.Nil(t, (&gan.Trainer{}).GeneratorEMAWeights(0))
}

func TestSamplerErrorsAndBatchSizes(t *testing.T) {
	_, err := gan.NewSampler(nil, nil, 1)
	require.ErrorContains(t, err, "no generator")
	gen, _ := emaNets(t, 1)
	s, err := gan.NewSampler(gen, gan.UniformNoise{}, 1)
	require.NoError(t, err)
	_, err = s.Sample(0)
	require.ErrorContains(t, err, "want a positive number of samples")
	_, err = s.GenerateFrom(make([]float64, 4))
	require.ErrorContains(t, err, "4 noise values is not a positive multiple of the latent size 3")
	z := []float64{0.1, -0.2, 0.3, 0.5, 0.4, -0.6}
	two, err := s.GenerateFrom(z)
	require.NoError(t, err)
	one, err := s.GenerateFrom(z[3:]) // another batch size: rows are independent in inference mode
	require.NoError(t, err)
	require.Equal(t, []int{2, 2}, []int(two.Shape()))
	require.InDeltaSlice(t, two.Data().([]float64)[2:], one.Data().([]float64), 1e-12)
	x, err := s.Sample(5)
	require.NoError(t, err)
	require.Equal(t, []int{5, 2}, []int(x.Shape()))
}
