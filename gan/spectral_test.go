package gan_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
)

func newSNTrainer(t *testing.T, seed uint64, device string) (*gan.Trainer, *data.Loader, error) {
	t.Helper()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{8}, OutputShape: []int{2}}, seed)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{8, 8},
		Activation: nn.LeakyReLU(0.2), SpectralNorm: true}, seed)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Seed: seed, Device: device})
	return tr, data.NewLoader(pointsData(40), seed), err
}

func snVector(t *testing.T, tr *gan.Trainer, name string) []float64 {
	t.Helper()
	p, ok := tr.Discriminator().Params().Get(name)
	require.True(t, ok, name)
	return p.Float64s()
}

// The power-iteration vectors move at every step, are saved in
// checkpoints (a resumed run is bit-identical) and in model files.
func TestSpectralNormPersistsThroughCheckpoints(t *testing.T) {
	const n = 6
	straight, sb, err := newSNTrainer(t, 2, "")
	require.NoError(t, err)
	u0 := snVector(t, straight, "dense0/w/sn_u")
	steps(t, straight, sb, 1)
	u1 := snVector(t, straight, "dense0/w/sn_u")
	require.NotEqual(t, u0, u1)
	steps(t, straight, sb, 2*n-1)
	require.NotEqual(t, u1, snVector(t, straight, "dense0/w/sn_u"))

	first, fb, err := newSNTrainer(t, 2, "")
	require.NoError(t, err)
	steps(t, first, fb, n)
	path := filepath.Join(t.TempDir(), "ckpt.gogan")
	require.NoError(t, first.SaveCheckpoint(path, fb, nil))
	resumed, rb, err := newSNTrainer(t, 55, "")
	require.NoError(t, err)
	_, err = resumed.LoadCheckpoint(path, rb)
	require.NoError(t, err)
	require.Equal(t, snVector(t, first, "dense1/w/sn_v"), snVector(t, resumed, "dense1/w/sn_v"))
	steps(t, resumed, rb, n)
	require.Equal(t, weights(straight.Discriminator().Params()), weights(resumed.Discriminator().Params()))
	require.Equal(t, weights(straight.Generator().Params()), weights(resumed.Generator().Params()))

	model := filepath.Join(t.TempDir(), "model.gogan")
	require.NoError(t, straight.Save(model))
	_, disc, _, err := models.Load(model)
	require.NoError(t, err)
	require.Equal(t, weights(straight.Discriminator().Params()), weights(disc.Params()))
}

func TestSpectralNormRefusedOnDevice(t *testing.T) {
	_, _, err := newSNTrainer(t, 1, "host")
	require.True(t, errors.Is(err, gpu.ErrUnsupported), "%v", err)
	require.ErrorContains(t, err, "spectral normalisation of dense0/w")
}
