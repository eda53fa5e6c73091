package models

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Kinds of the conditional models, as recorded in a Spec.
const (
	KindConditionalGenerator     = "conditional-generator"
	KindConditionalDiscriminator = "conditional-discriminator"
)

// The conditioning schemes of a ConditionalDiscriminator.
const (
	// SchemeConcat gives D the class as an input next to the sample (Mirza
	// & Osindero 2014): concatenated to the flattened sample for an MLP,
	// as K constant planes (one-hot) next to the image's channels for a
	// DCGAN.
	SchemeConcat = "concat"
	// SchemeProjection is the projection discriminator (Miyato & Koyama
	// 2018): logit = ψ(φ(x)) + ⟨E y, φ(x)⟩, φ(x) the features of the base
	// discriminator's last hidden layer, ψ its output layer and E a
	// learned class embedding.
	SchemeProjection = "projection"
	// SchemeACGAN adds an auxiliary classifier (Odena et al. 2017): a
	// dense layer from φ(x) to K class logits, trained with the class
	// cross-entropy on real and generated samples (see
	// gan.ConditionalDiscriminator).
	SchemeACGAN = "acgan"
)

// Schemes lists the conditioning schemes.
func Schemes() []string { return []string{SchemeConcat, SchemeProjection, SchemeACGAN} }

func init() {
	generatorKinds[KindConditionalGenerator] = func(raw json.RawMessage, seed uint64) (gan.Generator, error) {
		var c ConditionalGeneratorConfig
		if err := strictUnmarshal(raw, &c); err != nil {
			return nil, err
		}
		return NewConditionalGenerator(c, seed)
	}
	discriminatorKinds[KindConditionalDiscriminator] = func(raw json.RawMessage, seed uint64) (gan.Discriminator, error) {
		var c ConditionalDiscriminatorConfig
		if err := strictUnmarshal(raw, &c); err != nil {
			return nil, err
		}
		return NewConditionalDiscriminator(c, seed)
	}
}

// ConditionalGeneratorConfig configures a ConditionalGenerator: a base
// generator fed the noise z concatenated with the class, one-hot or as a
// learned embedding (Mirza & Osindero 2014). The same generator serves
// every scheme of ConditionalDiscriminator.
type ConditionalGeneratorConfig struct {
	// Classes is K, the number of classes.
	Classes int `json:"classes"`
	// Embed is the size of a learned class embedding concatenated to z;
	// 0 concatenates the one-hot class itself.
	Embed int `json:"embed,omitempty"`
	// Base is the spec of the generator that [z, class] is fed to (any
	// kind NewGenerator knows); its latent size counts the class part, so
	// the conditional generator's LatentDim is the base's minus Embed (or
	// minus Classes when Embed is 0).
	Base gan.NetworkSpec `json:"base"`
}

// ConditionalDiscriminatorConfig configures a ConditionalDiscriminator.
type ConditionalDiscriminatorConfig struct {
	// Classes is K, the number of classes.
	Classes int `json:"classes"`
	// Scheme is SchemeConcat, SchemeProjection or SchemeACGAN.
	Scheme string `json:"scheme"`
	// InputShape is the shape of one sample.
	InputShape []int `json:"input_shape"`
	// Base is the spec of the discriminator the scheme is built on. For
	// SchemeConcat it takes the sample with the class: its input shape is
	// [size(InputShape) + K] (the flattened sample and the one-hot class)
	// or [C + K, H, W] (the image and K one-hot planes). For the others it
	// takes InputShape and must expose its features
	// (gan.FeatureDiscriminator: the MLP and DCGAN discriminators do).
	Base gan.NetworkSpec `json:"base"`
}

// ReferenceConditionalMLP returns the reference MLP of ReferenceMLP made
// class-conditional for classes classes with the given scheme: G takes
// [z(100), one-hot class] (its base's latent size is 100 + classes); D is
// the reference MLP discriminator with the class concatenated to its
// input (784 + classes), or with a projection or an auxiliary classifier
// on its last hidden layer (256 features).
func ReferenceConditionalMLP(scheme string, classes int) (ConditionalGeneratorConfig, ConditionalDiscriminatorConfig, error) {
	g, d := ReferenceMLP()
	g.LatentDim += classes
	in := d.InputShape
	if scheme == SchemeConcat {
		d.InputShape = []int{size(in) + classes}
	}
	return referenceConditional(scheme, classes, in, KindMLPGenerator, g, KindMLPDiscriminator, d)
}

// ReferenceConditionalDCGAN returns the reference 28×28 DCGAN of
// ReferenceDCGAN made class-conditional for classes classes with the
// given scheme: G's dense stem takes [z(100), one-hot class]; D is the
// reference DCGAN discriminator with K one-hot planes next to the image
// (concat), or with a projection or an auxiliary classifier on its
// flattened 128×7×7 features.
func ReferenceConditionalDCGAN(scheme string, classes int) (ConditionalGeneratorConfig, ConditionalDiscriminatorConfig, error) {
	g, d := ReferenceDCGAN()
	g.LatentDim += classes
	in := []int{d.Channels, d.ImageSize, d.ImageSize}
	if scheme == SchemeConcat {
		d.Channels += classes
	}
	return referenceConditional(scheme, classes, in, KindDCGANGenerator, g, KindDCGANDiscriminator, d)
}

func referenceConditional(scheme string, classes int, in []int, gKind string, g any, dKind string, d any) (ConditionalGeneratorConfig, ConditionalDiscriminatorConfig, error) {
	if !slices.Contains(Schemes(), scheme) {
		return ConditionalGeneratorConfig{}, ConditionalDiscriminatorConfig{}, fmt.Errorf("models: unknown conditioning scheme %q (want one of %v)", scheme, Schemes())
	}
	if classes < 1 {
		return ConditionalGeneratorConfig{}, ConditionalDiscriminatorConfig{}, fmt.Errorf("models: the number of classes must be positive, got %d", classes)
	}
	gs, err := newSpec(gKind, g)
	if err != nil {
		return ConditionalGeneratorConfig{}, ConditionalDiscriminatorConfig{}, err
	}
	ds, err := newSpec(dKind, d)
	if err != nil {
		return ConditionalGeneratorConfig{}, ConditionalDiscriminatorConfig{}, err
	}
	return ConditionalGeneratorConfig{Classes: classes, Base: gs},
		ConditionalDiscriminatorConfig{Classes: classes, Scheme: scheme, InputShape: in, Base: ds}, nil
}

// ConditionalGenerator is a class-conditional generator (a
// gan.ConditionalGenerator); see ConditionalGeneratorConfig.
type ConditionalGenerator struct {
	cfg   ConditionalGeneratorConfig
	base  gan.Generator
	embed *nn.Param // [K, Embed], nil for one-hot
}

// NewConditionalGenerator builds a conditional generator from cfg with
// weights drawn from seed. The class embedding, if any, is a parameter
// "cond/embed" added to the base's Params.
func NewConditionalGenerator(cfg ConditionalGeneratorConfig, seed uint64) (*ConditionalGenerator, error) {
	if cfg.Classes < 1 || cfg.Embed < 0 {
		return nil, fmt.Errorf("models: conditional generator: classes (%d) must be positive and embed (%d) not negative", cfg.Classes, cfg.Embed)
	}
	if cfg.Base.Kind == KindConditionalGenerator {
		return nil, fmt.Errorf("models: conditional generator: the base cannot itself be conditional")
	}
	base, err := NewGenerator(cfg.Base, seed)
	if err != nil {
		return nil, fmt.Errorf("models: conditional generator: base: %w", err)
	}
	m := &ConditionalGenerator{cfg: cfg, base: base}
	if m.LatentDim() < 1 {
		return nil, fmt.Errorf("models: conditional generator: the base's latent size %d leaves no room for noise next to the class (%d values)", base.LatentDim(), m.condDim())
	}
	if cfg.Embed > 0 {
		if m.embed, err = base.Params().New("cond/embed", []int{cfg.Classes, cfg.Embed}, nn.Normal(0, 1), newRNG(seed, 5)); err != nil {
			return nil, fmt.Errorf("models: conditional generator: %w", err)
		}
	}
	return m, nil
}

func (m *ConditionalGenerator) condDim() int {
	if m.cfg.Embed > 0 {
		return m.cfg.Embed
	}
	return m.cfg.Classes
}

// Config returns the generator's configuration.
func (m *ConditionalGenerator) Config() ConditionalGeneratorConfig { return m.cfg }

// NumClasses returns K.
func (m *ConditionalGenerator) NumClasses() int { return m.cfg.Classes }

// LatentDim returns the size of z, without the class.
func (m *ConditionalGenerator) LatentDim() int { return m.base.LatentDim() - m.condDim() }

// SampleShape returns the base's sample shape.
func (m *ConditionalGenerator) SampleShape() []int { return m.base.SampleShape() }

// Params returns the base's parameters and the class embedding.
func (m *ConditionalGenerator) Params() *nn.Params { return m.base.Params() }

// Spec describes the generator for saving.
func (m *ConditionalGenerator) Spec() (gan.NetworkSpec, error) {
	return newSpec(KindConditionalGenerator, m.cfg)
}

// Generate returns an error: the generator needs the classes
// (GenerateConditional).
func (m *ConditionalGenerator) Generate(*nn.Builder, *G.Node) (*G.Node, error) {
	return nil, fmt.Errorf("models: conditional generator: Generate needs the classes; use GenerateConditional (a gan.Trainer does)")
}

// GenerateConditional adds G([z, class]) to the builder's graph, for z of
// shape [batch, LatentDim] and one-hot classes y of shape [batch, K].
func (m *ConditionalGenerator) GenerateConditional(b *nn.Builder, z, y *G.Node) (*G.Node, error) {
	if z.Dims() != 2 || z.Shape()[1] != m.LatentDim() || !y.Shape().Eq(tensor.Shape{z.Shape()[0], m.cfg.Classes}) {
		return nil, fmt.Errorf("models: conditional generator: z %v and classes %v, want [batch %d] and [batch %d]", z.Shape(), y.Shape(), m.LatentDim(), m.cfg.Classes)
	}
	c := y
	var err error
	if m.embed != nil {
		if c, err = G.Mul(y, b.Node(m.embed)); err != nil {
			return nil, fmt.Errorf("models: conditional generator: embed: %w", err)
		}
	}
	in, err := G.Concat(1, z, c)
	if err != nil {
		return nil, fmt.Errorf("models: conditional generator: concat: %w", err)
	}
	return m.base.Generate(b, in)
}

// ConditionalDiscriminator is a class-conditional discriminator (a
// gan.ConditionalDiscriminator) of one of three schemes; see
// ConditionalDiscriminatorConfig and SchemeConcat, SchemeProjection and
// SchemeACGAN.
type ConditionalDiscriminator struct {
	cfg    ConditionalDiscriminatorConfig
	base   gan.Discriminator
	planes bool      // concat: the class goes in as image planes, not features
	embed  *nn.Param // projection: [K, F]
	clsW   *nn.Param // acgan: [F, K]
	clsB   *nn.Param // acgan: [K]
}

// NewConditionalDiscriminator builds a conditional discriminator from cfg
// with weights drawn from seed. Its own parameters ("cond/embed" of the
// projection, "cond/class/w" and "cond/class/b" of the classifier) are
// added to the base's Params.
func NewConditionalDiscriminator(cfg ConditionalDiscriminatorConfig, seed uint64) (*ConditionalDiscriminator, error) {
	wrap := func(err error) error { return fmt.Errorf("models: conditional discriminator: %w", err) }
	if cfg.Classes < 1 {
		return nil, wrap(fmt.Errorf("classes must be positive, got %d", cfg.Classes))
	}
	if err := checkShape("conditional discriminator: input_shape", cfg.InputShape); err != nil {
		return nil, err
	}
	if cfg.Base.Kind == KindConditionalDiscriminator {
		return nil, wrap(fmt.Errorf("the base cannot itself be conditional"))
	}
	base, err := NewDiscriminator(cfg.Base, seed)
	if err != nil {
		return nil, wrap(fmt.Errorf("base: %w", err))
	}
	m := &ConditionalDiscriminator{cfg: cfg, base: base}
	in, bin := cfg.InputShape, base.InputShape()
	rng := newRNG(seed, 6)
	switch cfg.Scheme {
	case SchemeConcat:
		withPlanes := append([]int{in[0] + cfg.Classes}, in[1:]...)
		switch {
		case len(in) == 3 && slices.Equal(bin, withPlanes):
			m.planes = true
		case len(bin) == 1 && bin[0] == size(in)+cfg.Classes:
		default:
			return nil, wrap(fmt.Errorf("concat: the base takes %v; want [%d] (sample and class) or %v (image and class planes)", bin, size(in)+cfg.Classes, withPlanes))
		}
	case SchemeProjection, SchemeACGAN:
		if !slices.Equal(bin, in) {
			return nil, wrap(fmt.Errorf("%s: the base takes %v, want the input shape %v", cfg.Scheme, bin, in))
		}
		f, err := featureSize(base)
		if err != nil {
			return nil, wrap(fmt.Errorf("%s: %w", cfg.Scheme, err))
		}
		ps := base.Params()
		if cfg.Scheme == SchemeProjection {
			m.embed, err = ps.New("cond/embed", []int{cfg.Classes, f}, nn.GlorotUniform(1), rng)
		} else if m.clsW, err = ps.New("cond/class/w", []int{f, cfg.Classes}, nn.GlorotUniform(1), rng); err == nil {
			m.clsB, err = ps.New("cond/class/b", []int{cfg.Classes}, nn.Zeros(), rng)
		}
		if err != nil {
			return nil, wrap(err)
		}
	default:
		return nil, wrap(fmt.Errorf("unknown scheme %q (want one of %v)", cfg.Scheme, Schemes()))
	}
	return m, nil
}

// featureSize returns the width of the features of base's
// DiscriminateFeatures.
func featureSize(base gan.Discriminator) (int, error) {
	switch d := base.(type) {
	case *MLPDiscriminator:
		if h := d.cfg.Hidden; len(h) > 0 {
			return h[len(h)-1], nil
		}
		return size(d.cfg.InputShape), nil
	case *DCGANDiscriminator:
		if d.denseW != nil {
			return d.denseW.Value.Shape()[0], nil
		}
		w := d.layers[len(d.layers)-1].w.Value.Shape() // [1, C, 4, 4]
		return w[1] * w[2] * w[3], nil
	}
	return 0, fmt.Errorf("the base %T has no features this package knows (want an mlp or dcgan discriminator)", base)
}

// Config returns the discriminator's configuration.
func (m *ConditionalDiscriminator) Config() ConditionalDiscriminatorConfig { return m.cfg }

// NumClasses returns K.
func (m *ConditionalDiscriminator) NumClasses() int { return m.cfg.Classes }

// InputShape returns the shape of one sample.
func (m *ConditionalDiscriminator) InputShape() []int { return slices.Clone(m.cfg.InputShape) }

// Params returns the base's parameters and the scheme's own.
func (m *ConditionalDiscriminator) Params() *nn.Params { return m.base.Params() }

// Spec describes the discriminator for saving.
func (m *ConditionalDiscriminator) Spec() (gan.NetworkSpec, error) {
	return newSpec(KindConditionalDiscriminator, m.cfg)
}

// Discriminate returns the class-independent logit ψ(φ(x)) of the
// projection and ACGAN schemes, and an error for SchemeConcat, which
// needs the class (DiscriminateConditional).
func (m *ConditionalDiscriminator) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	if m.cfg.Scheme == SchemeConcat {
		return nil, fmt.Errorf("models: conditional discriminator: the concat scheme needs the classes; use DiscriminateConditional (a gan.Trainer does)")
	}
	return m.base.Discriminate(b, x)
}

// DiscriminateConditional adds D's logits for the samples x of the
// one-hot classes y, of shape [batch, K], and, for SchemeACGAN, the class
// logits.
func (m *ConditionalDiscriminator) DiscriminateConditional(b *nn.Builder, x, y *G.Node) (logits, classLogits *G.Node, err error) {
	shape := x.Shape()
	batch := shape[0]
	if !tensor.Shape(shape[1:]).Eq(tensor.Shape(m.cfg.InputShape)) || !y.Shape().Eq(tensor.Shape{batch, m.cfg.Classes}) {
		return nil, nil, fmt.Errorf("models: conditional discriminator: input %v and classes %v, want [batch %v] and [batch %d]", shape, y.Shape(), m.cfg.InputShape, m.cfg.Classes)
	}
	wrap := func(err error) error {
		return fmt.Errorf("models: conditional discriminator (%s): %w", m.cfg.Scheme, err)
	}
	if m.cfg.Scheme == SchemeConcat {
		in, err := m.withClass(b, x, y)
		if err != nil {
			return nil, nil, wrap(err)
		}
		logits, err := m.base.Discriminate(b, in)
		return logits, nil, err
	}
	logits, phi, err := m.base.(gan.FeatureDiscriminator).DiscriminateFeatures(b, x)
	if err != nil {
		return nil, nil, err
	}
	if m.embed != nil { // projection: + ⟨E y, φ(x)⟩
		e, err := G.Mul(y, b.Node(m.embed))
		if err != nil {
			return nil, nil, wrap(err)
		}
		prod, err := G.HadamardProd(e, phi)
		if err != nil {
			return nil, nil, wrap(err)
		}
		proj, err := G.Sum(prod, 1)
		if err != nil {
			return nil, nil, wrap(err)
		}
		if logits, err = G.Add(logits, proj); err != nil {
			return nil, nil, wrap(err)
		}
		return logits, nil, nil
	}
	if classLogits, err = nn.Dense(b, phi, m.clsW, m.clsB); err != nil {
		return nil, nil, wrap(err)
	}
	return logits, classLogits, nil
}

// withClass returns the base's input for the concat scheme: the
// flattened samples with y, or the images with K planes, plane c of
// sample i filled with y[i][c].
func (m *ConditionalDiscriminator) withClass(b *nn.Builder, x, y *G.Node) (*G.Node, error) {
	batch, k := x.Shape()[0], m.cfg.Classes
	if !m.planes {
		flat, err := G.Reshape(x, tensor.Shape{batch, size(m.cfg.InputShape)})
		if err != nil {
			return nil, err
		}
		return G.Concat(1, flat, y)
	}
	h, w := m.cfg.InputShape[1], m.cfg.InputShape[2]
	ones := b.Input("cond/ones", x.Dtype(), 1, h*w)
	fillConst(ones.Value().(*tensor.Dense), 1)
	col, err := G.Reshape(y, tensor.Shape{batch * k, 1})
	if err != nil {
		return nil, err
	}
	planes, err := G.Mul(col, ones)
	if err != nil {
		return nil, err
	}
	if planes, err = G.Reshape(planes, tensor.Shape{batch, k, h, w}); err != nil {
		return nil, err
	}
	return G.Concat(1, x, planes)
}

// fillConst sets every element of t to v.
func fillConst(t *tensor.Dense, v float64) {
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(v)
		}
	case []float64:
		for i := range d {
			d[i] = v
		}
	}
}

// DiscriminateFeatures is Discriminate that also returns the features
// the logit is a linear function of: the flattened output of the last
// hidden convolution, of shape [batch, C·S·S] (S = 7 for 28×28 images,
// else 4). It makes the DCGAN discriminator a gan.FeatureDiscriminator,
// usable with feature matching and by the projection and ACGAN schemes.
func (m *DCGANDiscriminator) DiscriminateFeatures(b *nn.Builder, x *G.Node) (logits, features *G.Node, err error) {
	shape := x.Shape()
	if len(shape) != 4 || !tensor.Shape(shape[1:]).Eq(tensor.Shape(m.InputShape())) {
		return nil, nil, fmt.Errorf("models: dcgan discriminator: input has shape %v, want [batch %v]", shape, m.InputShape())
	}
	if logits, features, err = m.forward(b, x, true); err != nil {
		return nil, nil, fmt.Errorf("models: dcgan discriminator: %w", err)
	}
	return logits, features, nil
}
