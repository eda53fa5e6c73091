package models

import (
	"encoding/json"
	"fmt"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Kinds of the MLP models, as recorded in a Spec.
const (
	KindMLPGenerator     = "mlp-generator"
	KindMLPDiscriminator = "mlp-discriminator"
)

// MLPGeneratorConfig configures an MLPGenerator.
type MLPGeneratorConfig struct {
	// LatentDim is the size of the noise vector z.
	LatentDim int `json:"latent_dim"`
	// Hidden lists the widths of the hidden layers.
	Hidden []int `json:"hidden"`
	// OutputShape is the shape of one sample, e.g. [1 28 28] for an MNIST
	// digit or [2] for a point in the plane.
	OutputShape []int `json:"output_shape"`
	// Activation follows every hidden layer.
	Activation nn.Activation `json:"activation"`
	// Output is applied to the last layer: Tanh for images in [-1, 1],
	// Identity for unbounded data.
	Output nn.Activation `json:"output"`
	// BatchNorm inserts batch normalisation before each hidden activation.
	BatchNorm bool `json:"batch_norm,omitempty"`
	// Init is "glorot" (Glorot uniform, the default) or "dcgan" (N(0, 0.02)).
	Init string `json:"init,omitempty"`
	// DType is "float32" (the default) or "float64".
	DType string `json:"dtype,omitempty"`
}

// MLPDiscriminatorConfig configures an MLPDiscriminator.
type MLPDiscriminatorConfig struct {
	// InputShape is the shape of one sample.
	InputShape []int `json:"input_shape"`
	// Hidden lists the widths of the hidden layers.
	Hidden []int `json:"hidden"`
	// Activation follows every hidden layer.
	Activation nn.Activation `json:"activation"`
	// Dropout is the probability of dropping a hidden unit in training (0 = off).
	Dropout float64 `json:"dropout,omitempty"`
	// BatchNorm inserts batch normalisation before each hidden activation
	// except the first.
	BatchNorm bool `json:"batch_norm,omitempty"`
	// MinibatchKernels, if positive, inserts a minibatch discrimination
	// layer (Salimans et al. 2016; nn.MinibatchDiscrimination) with that
	// many kernels after the last hidden layer, so D sees how alike the
	// samples of a batch are: a remedy for mode collapse. Off by default.
	MinibatchKernels int `json:"minibatch_kernels,omitempty"`
	// MinibatchKernelDim is the dimension C of each minibatch kernel
	// (default 5, as in the paper).
	MinibatchKernelDim int `json:"minibatch_kernel_dim,omitempty"`
	// Init is "glorot" (Glorot uniform, the default) or "dcgan" (N(0, 0.02)).
	Init string `json:"init,omitempty"`
	// DType is "float32" (the default) or "float64".
	DType string `json:"dtype,omitempty"`
	// SpectralNorm normalises every dense weight by its largest singular
	// value (Miyato et al. 2018; nn.SpectralNorm); the minibatch
	// discrimination tensor, if any, is left as it is. Its power-iteration
	// vectors are buffers named "dense<i>/w/sn_u" and ".../sn_v".
	SpectralNorm bool `json:"spectral_norm,omitempty"`
}

// snStream is the random stream the power-iteration vectors of
// spectral normalisation are drawn from.
const snStream = 0x736e

// ReferenceMLP returns the reference configuration "mlp" used by the
// examples and benchmarks, for 28×28 grayscale images in [-1, 1]:
// G 100→256→512→784 with LeakyReLU(0.2) between layers and a tanh output,
// reshaped to [1 28 28]; D 784→512→256→1 with LeakyReLU(0.2), logits out.
// float32, Glorot-uniform weights, zero biases.
func ReferenceMLP() (MLPGeneratorConfig, MLPDiscriminatorConfig) {
	return MLPGeneratorConfig{
			LatentDim:   100,
			Hidden:      []int{256, 512},
			OutputShape: []int{1, 28, 28},
			Activation:  nn.LeakyReLU(0.2),
			Output:      nn.Tanh(),
		}, MLPDiscriminatorConfig{
			InputShape: []int{1, 28, 28},
			Hidden:     []int{512, 256},
			Activation: nn.LeakyReLU(0.2),
		}
}

func weightInit(name string) (nn.Init, error) {
	switch name {
	case "", "glorot":
		return nn.GlorotUniform(1), nil
	case "dcgan":
		return nn.Normal(0, 0.02), nil
	}
	return nil, fmt.Errorf("models: unknown init %q (want glorot or dcgan)", name)
}

// mlp is the stack of dense layers both MLP models are made of.
type mlp struct {
	params  *nn.Params
	weights []*nn.Param
	biases  []*nn.Param
	norms   []*nn.BatchNorm // per hidden layer; nil where absent
	mbd     *nn.MinibatchDiscrimination
	sn      nn.SpectralNormSet // the dense weights spectrally normalised (nil: none)
}

// newMLP builds dense layers of the given sizes; with mbdKernels > 0 a
// minibatch discrimination layer sits between the last hidden layer and
// the output layer, which then takes its wider output.
func newMLP(sizes []int, batchNorm func(layer int) bool, initName, dtype string, seed, stream uint64, mbdKernels, mbdDim int) (*mlp, error) {
	dt, err := parseDType(dtype)
	if err != nil {
		return nil, err
	}
	winit, err := weightInit(initName)
	if err != nil {
		return nil, err
	}
	for i, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("models: layer %d has non-positive width %d", i, s)
		}
	}
	ps, err := nn.NewParams(dt)
	if err != nil {
		return nil, err
	}
	rng := newRNG(seed, stream)
	m := &mlp{params: ps}
	for i := 0; i+1 < len(sizes); i++ {
		in := sizes[i]
		if i+2 == len(sizes) && mbdKernels > 0 {
			if m.mbd, err = nn.NewMinibatchDiscrimination(ps, "minibatch", in, mbdKernels, mbdDim, rng); err != nil {
				return nil, err
			}
			in = m.mbd.OutFeatures()
		}
		w, err := ps.New(fmt.Sprintf("dense%d/w", i), []int{in, sizes[i+1]}, winit, rng)
		if err != nil {
			return nil, err
		}
		b, err := ps.New(fmt.Sprintf("dense%d/b", i), []int{sizes[i+1]}, nn.Zeros(), rng)
		if err != nil {
			return nil, err
		}
		m.weights = append(m.weights, w)
		m.biases = append(m.biases, b)
		var bn *nn.BatchNorm
		if i+2 < len(sizes) && batchNorm(i) {
			scale := nn.Ones()
			if initName == "dcgan" {
				scale = nn.Normal(1, 0.02)
			}
			if bn, err = nn.NewBatchNorm(ps, fmt.Sprintf("bn%d", i), sizes[i+1], scale, rng); err != nil {
				return nil, err
			}
		}
		m.norms = append(m.norms, bn)
	}
	return m, nil
}

// forward applies the stack to x of shape [batch, in]. It also returns
// the input of the output layer: the last hidden layer's activations (the
// input itself when there is no hidden layer), before minibatch
// discrimination.
func (m *mlp) forward(b *nn.Builder, x *G.Node, act nn.Activation, dropout float64, out nn.Activation) (y, features *G.Node, err error) {
	last := len(m.weights) - 1
	for i := range m.weights {
		if i == last {
			features = x
		}
		if i == last && m.mbd != nil {
			if x, err = m.mbd.Apply(b, x); err != nil {
				return nil, nil, err
			}
		}
		if x, err = m.sn.Dense(b, x, m.weights[i], m.biases[i]); err != nil {
			return nil, nil, err
		}
		if i == last {
			break
		}
		if m.norms[i] != nil {
			if x, err = m.norms[i].Apply(b, x); err != nil {
				return nil, nil, err
			}
		}
		if x, err = act.Apply(x); err != nil {
			return nil, nil, err
		}
		if dropout > 0 {
			if x, err = nn.Dropout(b, x, dropout); err != nil {
				return nil, nil, err
			}
		}
	}
	y, err = out.Apply(x)
	return y, features, err
}

// MLPGenerator is a multilayer perceptron generator.
type MLPGenerator struct {
	cfg MLPGeneratorConfig
	net *mlp
}

// NewMLPGenerator builds a generator from cfg with weights drawn from seed.
func NewMLPGenerator(cfg MLPGeneratorConfig, seed uint64) (*MLPGenerator, error) {
	if cfg.LatentDim <= 0 {
		return nil, fmt.Errorf("models: mlp generator: latent_dim must be positive, got %d", cfg.LatentDim)
	}
	if err := checkShape("mlp generator: output_shape", cfg.OutputShape); err != nil {
		return nil, err
	}
	for _, a := range []nn.Activation{cfg.Activation, cfg.Output} {
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("models: mlp generator: %w", err)
		}
	}
	sizes := append(append([]int{cfg.LatentDim}, cfg.Hidden...), size(cfg.OutputShape))
	net, err := newMLP(sizes, func(int) bool { return cfg.BatchNorm }, cfg.Init, cfg.DType, seed, 1, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("models: mlp generator: %w", err)
	}
	return &MLPGenerator{cfg: cfg, net: net}, nil
}

// Config returns the generator's configuration.
func (m *MLPGenerator) Config() MLPGeneratorConfig { return m.cfg }

// LatentDim returns the size of z.
func (m *MLPGenerator) LatentDim() int { return m.cfg.LatentDim }

// SampleShape returns the shape of one generated sample.
func (m *MLPGenerator) SampleShape() []int { return append([]int(nil), m.cfg.OutputShape...) }

// Params returns the generator's parameters.
func (m *MLPGenerator) Params() *nn.Params { return m.net.params }

// Spec describes the generator for saving.
func (m *MLPGenerator) Spec() (gan.NetworkSpec, error) { return newSpec(KindMLPGenerator, m.cfg) }

// Generate adds G(z) to z's graph.
func (m *MLPGenerator) Generate(b *nn.Builder, z *G.Node) (*G.Node, error) {
	if z.Dims() != 2 || z.Shape()[1] != m.cfg.LatentDim {
		return nil, fmt.Errorf("models: mlp generator: z has shape %v, want [batch %d]", z.Shape(), m.cfg.LatentDim)
	}
	x, _, err := m.net.forward(b, z, m.cfg.Activation, 0, m.cfg.Output)
	if err != nil {
		return nil, fmt.Errorf("models: mlp generator: %w", err)
	}
	if len(m.cfg.OutputShape) > 1 {
		shape := append(tensor.Shape{z.Shape()[0]}, m.cfg.OutputShape...)
		if x, err = G.Reshape(x, shape); err != nil {
			return nil, fmt.Errorf("models: mlp generator: %w", err)
		}
	}
	return x, nil
}

// MLPDiscriminator is a multilayer perceptron discriminator that outputs
// one logit per sample.
type MLPDiscriminator struct {
	cfg MLPDiscriminatorConfig
	net *mlp
}

// NewMLPDiscriminator builds a discriminator from cfg with weights drawn
// from seed.
func NewMLPDiscriminator(cfg MLPDiscriminatorConfig, seed uint64) (*MLPDiscriminator, error) {
	if err := checkShape("mlp discriminator: input_shape", cfg.InputShape); err != nil {
		return nil, err
	}
	if err := cfg.Activation.Validate(); err != nil {
		return nil, fmt.Errorf("models: mlp discriminator: %w", err)
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("models: mlp discriminator: dropout %v outside [0, 1)", cfg.Dropout)
	}
	if cfg.MinibatchKernels < 0 || cfg.MinibatchKernelDim < 0 {
		return nil, fmt.Errorf("models: mlp discriminator: minibatch_kernels %d and minibatch_kernel_dim %d must not be negative",
			cfg.MinibatchKernels, cfg.MinibatchKernelDim)
	}
	if cfg.MinibatchKernels > 0 && cfg.MinibatchKernelDim == 0 {
		cfg.MinibatchKernelDim = 5
	}
	sizes := append(append([]int{size(cfg.InputShape)}, cfg.Hidden...), 1)
	net, err := newMLP(sizes, func(i int) bool { return cfg.BatchNorm && i > 0 }, cfg.Init, cfg.DType, seed, 2,
		cfg.MinibatchKernels, cfg.MinibatchKernelDim)
	if err != nil {
		return nil, fmt.Errorf("models: mlp discriminator: %w", err)
	}
	if cfg.SpectralNorm { // drawn from a stream of their own: the weights are those without SN
		if net.sn, err = nn.NewSpectralNormSet(net.params, net.weights, newRNG(seed, snStream)); err != nil {
			return nil, fmt.Errorf("models: mlp discriminator: %w", err)
		}
	}
	return &MLPDiscriminator{cfg: cfg, net: net}, nil
}

// Config returns the discriminator's configuration.
func (m *MLPDiscriminator) Config() MLPDiscriminatorConfig { return m.cfg }

// InputShape returns the shape of one input sample.
func (m *MLPDiscriminator) InputShape() []int { return append([]int(nil), m.cfg.InputShape...) }

// Params returns the discriminator's parameters.
func (m *MLPDiscriminator) Params() *nn.Params { return m.net.params }

// Spec describes the discriminator for saving.
func (m *MLPDiscriminator) Spec() (gan.NetworkSpec, error) {
	return newSpec(KindMLPDiscriminator, m.cfg)
}

// Discriminate adds D's logits for the batch x to x's graph; the result
// has shape [batch].
func (m *MLPDiscriminator) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	y, _, err := m.DiscriminateFeatures(b, x)
	return y, err
}

// DiscriminateFeatures is Discriminate that also returns the activations of
// the last hidden layer, shape [batch, last hidden width], the features a
// feature-matching generator loss compares (gan.FeatureDiscriminator).
func (m *MLPDiscriminator) DiscriminateFeatures(b *nn.Builder, x *G.Node) (logits, features *G.Node, err error) {
	shape := x.Shape()
	if !tensor.Shape(shape[1:]).Eq(tensor.Shape(m.cfg.InputShape)) {
		return nil, nil, fmt.Errorf("models: mlp discriminator: input has shape %v, want [batch %v]", shape, m.cfg.InputShape)
	}
	batch := shape[0]
	if len(shape) != 2 {
		if x, err = G.Reshape(x, tensor.Shape{batch, size(m.cfg.InputShape)}); err != nil {
			return nil, nil, fmt.Errorf("models: mlp discriminator: %w", err)
		}
	}
	y, features, err := m.net.forward(b, x, m.cfg.Activation, m.cfg.Dropout, nn.Identity())
	if err != nil {
		return nil, nil, fmt.Errorf("models: mlp discriminator: %w", err)
	}
	if y, err = G.Reshape(y, tensor.Shape{batch}); err != nil {
		return nil, nil, fmt.Errorf("models: mlp discriminator: %w", err)
	}
	return y, features, nil
}

func newSpec(kind string, cfg any) (gan.NetworkSpec, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return gan.NetworkSpec{}, fmt.Errorf("models: %s: %w", kind, err)
	}
	return gan.NetworkSpec{Kind: kind, Config: raw}, nil
}
