package models_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// affineConfig is the configuration of a user's own generator kind.
type affineConfig struct {
	Latent int `json:"latent"`
	Out    int `json:"out"`
}

// affine is a user's own generator, G(z) = z·W + b, that describes
// itself (gan.Specifier) so that model files can rebuild it.
type affine struct {
	kind string
	cfg  affineConfig
	ps   *nn.Params
	w, b *nn.Param
}

func newAffine(kind string, cfg affineConfig, seed uint64) (*affine, error) {
	if cfg.Latent < 1 || cfg.Out < 1 {
		return nil, fmt.Errorf("affine: sizes must be positive, got %+v", cfg)
	}
	ps, _ := nn.NewParams(tensor.Float32)
	a := &affine{kind: kind, cfg: cfg, ps: ps}
	var err error
	if a.w, err = ps.New("w", []int{cfg.Latent, cfg.Out}, nn.Normal(0, 1), newRand(seed)); err != nil {
		return nil, err
	}
	if a.b, err = ps.New("b", []int{cfg.Out}, nn.Zeros(), nil); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *affine) LatentDim() int     { return a.cfg.Latent }
func (a *affine) SampleShape() []int { return []int{a.cfg.Out} }
func (a *affine) Params() *nn.Params { return a.ps }
func (a *affine) Generate(b *nn.Builder, z *G.Node) (*G.Node, error) {
	return nn.Dense(b, z, a.w, a.b)
}
func (a *affine) Spec() (gan.NetworkSpec, error) {
	raw, err := json.Marshal(a.cfg)
	return gan.NetworkSpec{Kind: a.kind, Config: raw}, err
}

// registerAffine registers the kind "example-affine", once per process
// (a kind can be registered only once; an init function is the usual
// place).
var registerAffine = sync.OnceValue(func() error {
	return models.RegisterGenerator("example-affine", func(raw json.RawMessage, seed uint64) (gan.Generator, error) {
		var c affineConfig
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return newAffine("example-affine", c, seed)
	})
})

// ExampleRegisterGenerator registers a generator kind of one's own, so
// that models.Load rebuilds it from a model file; an unknown kind is an
// error that names it and the kinds known.
func ExampleRegisterGenerator() {
	if err := registerAffine(); err != nil {
		panic(err)
	}
	gen, _ := newAffine("example-affine", affineConfig{Latent: 2, Out: 3}, 1)
	dir, _ := os.MkdirTemp("", "registry")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.gogan")
	if err := gan.SaveModel(path, gen, nil, gan.ModelInfo{}); err != nil {
		panic(err)
	}
	loaded, disc, _, err := models.Load(path)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%T %v %v\n", loaded, loaded.SampleShape(), disc == nil)

	_, err = models.NewGenerator(gan.NetworkSpec{Kind: "nobody-knows"}, 1)
	msg, _, _ := strings.Cut(err.Error(), " (known:")
	fmt.Println(msg, slices.Contains(models.GeneratorKinds(), "example-affine"))
	// Output:
	// *models_test.affine [3] true
	// models: unknown generator kind "nobody-knows" true
}
