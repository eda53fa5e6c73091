package gan_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/stretchr/testify/require"
)

func newPenalized(t testing.TB, seed uint64, pen gan.Penalty, loss losses.Loss) (*gan.Trainer, *data.Loader) {
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{16}, OutputShape: []int{2}}, seed)
	require.NoError(t, err)
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16, 8}}, seed)
	require.NoError(t, err)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, DSteps: 2, Seed: seed, Penalty: pen, Loss: loss})
	require.NoError(t, err)
	return tr, data.NewLoader(pointsData(50), seed)
}

// TestPenaltyRunsAreReproducibleAndResumable: the same seed gives the same
// run, and a run with a penalty resumed from a checkpoint is bit-identical
// to one that never stopped (WGAN-GP's ε come from the trainer's saved
// random generator; a lazy penalty's schedule from the step count).
func TestPenaltyRunsAreReproducibleAndResumable(t *testing.T) {
	const n = 6
	for _, c := range []struct {
		pen  gan.Penalty
		loss losses.Loss
	}{
		{nil, losses.WGANGP{}},
		{gan.R1{Gamma: 1, Every: 3}, nil},
		{gan.GradientPenalty{Weight: 5, Target: 1, Every: 2}, losses.Hinge{}},
	} {
		name := "wgan-gp"
		if c.pen != nil {
			name = c.pen.String()
		}
		t.Run(name, func(t *testing.T) {
			straight, sb := newPenalized(t, 4, c.pen, c.loss)
			steps(t, straight, sb, 2*n)
			again, ab := newPenalized(t, 4, c.pen, c.loss)
			steps(t, again, ab, 2*n)
			require.Equal(t, weights(straight.Discriminator().Params()), weights(again.Discriminator().Params()))

			first, fb := newPenalized(t, 4, c.pen, c.loss)
			steps(t, first, fb, n)
			path := filepath.Join(t.TempDir(), "ckpt.gogan")
			require.NoError(t, first.SaveCheckpoint(path, fb, json.RawMessage(`{}`)))
			resumed, rb := newPenalized(t, 999, c.pen, c.loss)
			_, err := resumed.LoadCheckpoint(path, rb)
			require.NoError(t, err)
			steps(t, resumed, rb, n)
			require.Equal(t, weights(straight.Generator().Params()), weights(resumed.Generator().Params()))
			require.Equal(t, weights(straight.Discriminator().Params()), weights(resumed.Discriminator().Params()))

			// A trainer without the penalty, or with another, refuses it.
			other, ob := newPenalized(t, 4, gan.R2{Gamma: 1}, c.loss)
			_, err = other.LoadCheckpoint(path, ob)
			require.ErrorContains(t, err, "penalty")
		})
	}
}

func TestWGANGPLossBringsItsPenalty(t *testing.T) {
	tr, _ := newPenalized(t, 1, nil, losses.WGANGP{})
	require.Equal(t, gan.GradientPenalty{Weight: 10, Target: 1}, tr.Config().Penalty)
	tr, _ = newPenalized(t, 1, gan.R1{Gamma: 2}, losses.WGANGP{})
	require.Equal(t, gan.R1{Gamma: 2}, tr.Config().Penalty, "an explicit penalty wins")
	tr, _ = newPenalized(t, 1, nil, losses.NewWasserstein())
	require.Nil(t, tr.Config().Penalty)
}

// countingBatches counts the real batches drawn.
type countingBatches struct {
	data.Batches
	n int
}

func (c *countingBatches) Next(dst []float32) error { c.n++; return c.Batches.Next(dst) }

// TestRelativisticGeneratorDrawsARealBatch: with a relativistic loss the
// generator update draws a real batch of its own (k + 1 per step), with
// the others it does not (k per step).
func TestRelativisticGeneratorDrawsARealBatch(t *testing.T) {
	for _, c := range []struct {
		loss losses.Loss
		want int
	}{{losses.RSGAN{}, 3}, {losses.RaGAN{}, 3}, {losses.NonSaturating{}, 2}} {
		tr, b := newPenalized(t, 2, nil, c.loss)
		cb := &countingBatches{Batches: b}
		st, err := tr.Step(cb)
		require.NoError(t, err)
		require.Equal(t, c.want, cb.n, c.loss.Name())
		require.Greater(t, st.GLoss, 0.0, c.loss.Name())
	}
}

func TestParsePenalty(t *testing.T) {
	for s, want := range map[string]gan.Penalty{
		"":         nil,
		"none":     nil,
		"gp":       gan.GradientPenalty{Weight: 10, Target: 1},
		"GP:5":     gan.GradientPenalty{Weight: 5, Target: 1},
		"r1":       gan.R1{Gamma: 10},
		"r1:10:16": gan.R1{Gamma: 10, Every: 16},
		" r2:0.1 ": gan.R2{Gamma: 0.1},
	} {
		got, err := gan.ParsePenalty(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
	for s, msg := range map[string]string{
		"r3":       `unknown penalty "r3"`,
		"r1:x":     "not a positive number",
		"gp:0":     "not a positive number",
		"r1:1:0":   "not a positive integer",
		"r1:1:2:3": "want KIND[:WEIGHT[:EVERY]]",
	} {
		_, err := gan.ParsePenalty(s)
		require.ErrorContains(t, err, msg, s)
	}
}
