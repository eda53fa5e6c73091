package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The networks of PacGAN's 2-D experiments (fjxmlzn/PacGAN,
// synthetic_data_experiments/2DRing_GAN&PacGAN/pacgan_task.py and
// config.py; see docs/modes.md): G is 2 → 4×400 (batch norm, ReLU) → 2,
// D is 2m → 3×LinearMaxout(200, 5 pieces) → 1, every weight drawn from
// N(0, 0.02²) and every bias zero.
const (
	genHidden    = 400
	genLayers    = 4
	discHidden   = 200
	discLayers   = 3
	maxoutPieces = 5
	initStd      = 0.02
)

// newGenerator returns PacGAN's generator for 2-D data.
func newGenerator(seed uint64) (gan.Generator, error) {
	hidden := make([]int, genLayers)
	for i := range hidden {
		hidden[i] = genHidden
	}
	return models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: 2, Hidden: hidden, OutputShape: []int{2},
		Activation: nn.ReLU(), Output: nn.Identity(), BatchNorm: true, Init: "dcgan",
	}, seed)
}

// maxoutDiscriminator is PacGAN's discriminator: maxout hidden layers and
// a linear output, judging pack samples of 2-D points at once; with
// mbdKernels > 0 a minibatch discrimination layer (Salimans et al. 2016)
// sits before the output layer.
type maxoutDiscriminator struct {
	inDim  int
	params *nn.Params
	layers []*nn.Maxout
	mbd    *nn.MinibatchDiscrimination
	w, b   *nn.Param
}

// mbdForm selects the minibatch discrimination layer.
type mbdForm int

const (
	// mbdPaper is the paper's formula, T learned as it is
	// (nn.NewMinibatchDiscrimination).
	mbdPaper mbdForm = iota
	// mbdCode is the layer of Salimans et al.'s code: T weight-normalised,
	// a bias per kernel, initialised from a real batch
	// (nn.NewMinibatchDiscriminationWeightNorm, InitFromFeatures).
	mbdCode
)

// newDiscriminator returns PacGAN's discriminator for packs of pack 2-D
// points, with mbdKernels minibatch discrimination kernels of dimension
// mbdDim (none when 0) in the given form.
func newDiscriminator(pack, mbdKernels, mbdDim int, form mbdForm, seed uint64) (*maxoutDiscriminator, error) {
	ps, err := nn.NewParams(tensor.Float32)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xd15c))
	d := &maxoutDiscriminator{inDim: 2 * pack, params: ps}
	in := d.inDim
	for i := 0; i < discLayers; i++ {
		l, err := nn.NewMaxout(ps, fmt.Sprintf("maxout%d", i), in, discHidden, maxoutPieces, nn.Normal(0, initStd), rng)
		if err != nil {
			return nil, err
		}
		d.layers = append(d.layers, l)
		in = discHidden
	}
	if mbdKernels > 0 {
		newLayer := nn.NewMinibatchDiscrimination
		if form == mbdCode {
			newLayer = nn.NewMinibatchDiscriminationWeightNorm
		}
		if d.mbd, err = newLayer(ps, "minibatch", in, mbdKernels, mbdDim, rng); err != nil {
			return nil, err
		}
		in = d.mbd.OutFeatures()
	}
	if d.w, err = ps.New("out/w", []int{in, 1}, nn.Normal(0, initStd), rng); err != nil {
		return nil, err
	}
	if d.b, err = ps.New("out/b", []int{1}, nn.Zeros(), rng); err != nil {
		return nil, err
	}
	return d, nil
}

// InputShape returns [2·pack].
func (d *maxoutDiscriminator) InputShape() []int { return []int{d.inDim} }

// Params returns the discriminator's parameters.
func (d *maxoutDiscriminator) Params() *nn.Params { return d.params }

// Discriminate returns the logits of x, shape [batch].
func (d *maxoutDiscriminator) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	if s := x.Shape(); len(s) != 2 || s[1] != d.inDim {
		return nil, fmt.Errorf("maxout discriminator: input shape %v, want [batch %d]", s, d.inDim)
	}
	batch := x.Shape()[0]
	var err error
	for _, l := range d.layers {
		if x, err = l.Apply(b, x); err != nil {
			return nil, fmt.Errorf("maxout discriminator: %w", err)
		}
	}
	if d.mbd != nil {
		if x, err = d.mbd.Apply(b, x); err != nil {
			return nil, fmt.Errorf("maxout discriminator: %w", err)
		}
	}
	if x, err = nn.Dense(b, x, d.w, d.b); err != nil {
		return nil, fmt.Errorf("maxout discriminator: %w", err)
	}
	if x, err = G.Reshape(x, tensor.Shape{batch}); err != nil {
		return nil, fmt.Errorf("maxout discriminator: %w", err)
	}
	return x, nil
}

// initMinibatch is the data-dependent initialisation of the minibatch
// layer of Salimans et al.'s code: it computes the maxout features of rows
// real points drawn from mix (a generator of its own, seeded by seed) and
// passes them to the layer's InitFromFeatures.
func (d *maxoutDiscriminator) initMinibatch(mix *data.Mixture, rows int, seed uint64) error {
	if d.mbd == nil {
		return fmt.Errorf("maxout discriminator: no minibatch layer to initialise")
	}
	pts := make([]float32, rows*d.inDim)
	rng := rand.New(rand.NewPCG(seed, 0x1417))
	for i := 0; i < len(pts); i += 2 {
		mix.Draw(rng, pts[i:i+2])
	}
	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	x := b.Input("init-x", tensor.Float32, rows, d.inDim)
	copy(x.Value().Data().([]float32), pts)
	h := x
	var err error
	for _, l := range d.layers {
		if h, err = l.Apply(b, h); err != nil {
			return fmt.Errorf("maxout discriminator: init minibatch layer: %w", err)
		}
	}
	var hv G.Value
	G.Read(h, &hv)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return fmt.Errorf("maxout discriminator: init minibatch layer: %w", err)
	}
	raw := hv.Data().([]float32)
	f := make([]float64, len(raw))
	for i, v := range raw {
		f[i] = float64(v)
	}
	return d.mbd.InitFromFeatures(f, rows)
}
