package models_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// scorer is a user's own discriminator kind: logit = x·w.
type scorer struct {
	In int `json:"in"`
	ps *nn.Params
	w  *nn.Param
}

func newScorer(in int, seed uint64) (*scorer, error) {
	ps, _ := nn.NewParams(tensor.Float32)
	s := &scorer{In: in, ps: ps}
	var err error
	s.w, err = ps.New("w", []int{in, 1}, nn.Normal(0, 1), newRand(seed))
	return s, err
}

func (s *scorer) InputShape() []int  { return []int{s.In} }
func (s *scorer) Params() *nn.Params { return s.ps }
func (s *scorer) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	y, err := nn.Dense(b, x, s.w, nil)
	if err != nil {
		return nil, err
	}
	return G.Reshape(y, tensor.Shape{x.Shape()[0]})
}
func (s *scorer) Spec() (gan.NetworkSpec, error) {
	raw, err := json.Marshal(s)
	return gan.NetworkSpec{Kind: "test-scorer", Config: raw}, err
}

var registerOnce sync.Once

// registerTestKinds registers "test-affine" and "test-scorer" once per
// test binary (the registry is global).
func registerTestKinds(t *testing.T) {
	t.Helper()
	var errs []error
	registerOnce.Do(func() {
		errs = append(errs, models.RegisterGenerator("test-affine", func(raw json.RawMessage, seed uint64) (gan.Generator, error) {
			var c affineConfig
			if err := json.Unmarshal(raw, &c); err != nil {
				return nil, fmt.Errorf("bad configuration: %w", err)
			}
			return newAffine("test-affine", c, seed)
		}))
		errs = append(errs, models.RegisterDiscriminator("test-scorer", func(raw json.RawMessage, seed uint64) (gan.Discriminator, error) {
			var c struct {
				In int `json:"in"`
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				return nil, err
			}
			return newScorer(c.In, seed)
		}))
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
}

func TestRegisteredKindsLoad(t *testing.T) {
	registerTestKinds(t)
	gen, err := newAffine("test-affine", affineConfig{Latent: 2, Out: 3}, 4)
	require.NoError(t, err)
	disc, err := newScorer(3, 4)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.gogan")
	require.NoError(t, gan.SaveModel(path, gen, disc, gan.ModelInfo{Steps: 7}))

	g, d, info, err := models.Load(path)
	require.NoError(t, err)
	require.Equal(t, 7, info.Steps)
	require.IsType(t, &affine{}, g)
	require.IsType(t, &scorer{}, d)
	for i, p := range gen.Params().All() {
		require.Equal(t, p.Float64s(), g.Params().All()[i].Float64s(), p.Name)
	}
	require.Equal(t, disc.w.Float64s(), d.Params().All()[0].Float64s())
	// Not the fresh weights of seed 0: the file's.
	fresh, _ := newAffine("test-affine", affineConfig{Latent: 2, Out: 3}, 0)
	require.NotEqual(t, fresh.w.Float64s(), g.Params().All()[0].Float64s())

	require.Contains(t, models.GeneratorKinds(), "test-affine")
	require.Contains(t, models.DiscriminatorKinds(), "test-scorer")
	require.Contains(t, models.GeneratorKinds(), models.KindMLPGenerator)
}

func TestRegistryErrors(t *testing.T) {
	registerTestKinds(t)
	_, err := models.NewGenerator(gan.NetworkSpec{Kind: "nope"}, 1)
	require.ErrorContains(t, err, `unknown generator kind "nope"`)
	require.ErrorContains(t, err, "test-affine")
	require.ErrorContains(t, err, models.KindDCGANGenerator)
	_, err = models.NewDiscriminator(gan.NetworkSpec{Kind: "nope"}, 1)
	require.ErrorContains(t, err, `unknown discriminator kind "nope" (known: [conditional-discriminator dcgan-discriminator mlp-discriminator test-scorer]`)
	_, err = models.NewGenerator(gan.NetworkSpec{Kind: "test-affine", Config: json.RawMessage(`{"latent":"x"}`)}, 1)
	require.ErrorContains(t, err, "models: test-affine: bad configuration")

	noop := func(json.RawMessage, uint64) (gan.Generator, error) { return nil, nil }
	require.ErrorContains(t, models.RegisterGenerator(models.KindMLPGenerator, noop), `"mlp-generator": already registered`)
	require.ErrorContains(t, models.RegisterGenerator("test-affine", noop), "already registered")
	require.ErrorContains(t, models.RegisterGenerator("", noop), "want a non-empty kind and a builder")
	require.ErrorContains(t, models.RegisterDiscriminator("x", nil), "want a non-empty kind and a builder")
	require.ErrorContains(t, models.RegisterDiscriminator(models.KindMLPDiscriminator,
		func(json.RawMessage, uint64) (gan.Discriminator, error) { return nil, nil }), "already registered")
}
