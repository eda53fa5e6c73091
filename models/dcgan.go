package models

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Kinds of the DCGAN models, as recorded in a Spec.
const (
	KindDCGANGenerator     = "dcgan-generator"
	KindDCGANDiscriminator = "dcgan-discriminator"
)

// MaxDCGANImageSize is the largest image size a DCGAN configuration
// accepts.
const MaxDCGANImageSize = 1024

// dcganSlope is the slope of the discriminator's LeakyReLU, 0.2 as in
// Radford et al.
const dcganSlope = 0.2

// DCGANGeneratorConfig configures a DCGANGenerator (Radford et al. 2015).
//
// The generator upsamples a stem of Width·2^(k−1) channels by k
// transposed convolutions (kernel 4, stride 2, padding 1), halving the
// channels at each one, the last producing Channels channels followed by
// tanh. For ImageSize = 28 the stem is a dense layer from z to a 7×7 map
// (k = 2); for ImageSize = 4·2^k (8, 16, 32, 64, …) it is a transposed
// convolution (kernel 4, stride 1, padding 0) of z, read as a
// [batch, LatentDim, 1, 1] map, to 4×4. Every hidden layer is followed by
// batch norm (if BatchNorm) and ReLU.
//
// Biases: dense layers always have one (as nn.Linear does); convolutions
// have one exactly when no batch norm follows them, since a per-channel
// bias before a per-channel batch norm is cancelled by it (its shift takes
// the bias's place). The dense stem's bias is one per position of the
// 7×7 map, not per channel, so batch norm does not cancel it. With batch
// norm, then, the generator's biases are the dense stem's and the output
// layer's.
type DCGANGeneratorConfig struct {
	// LatentDim is the size of the noise vector z.
	LatentDim int `json:"latent_dim"`
	// Width is ngf, the number of channels of the last hidden layer; each
	// earlier layer has twice as many as the next.
	Width int `json:"width"`
	// ImageSize is the height and width of the generated images: 28, or a
	// power of two from 8 to MaxDCGANImageSize.
	ImageSize int `json:"image_size"`
	// Channels is the number of channels of the images: 1 for gray, 3 for
	// RGB.
	Channels int `json:"channels"`
	// BatchNorm puts batch normalisation after every hidden layer, as the
	// paper does.
	BatchNorm bool `json:"batch_norm"`
	// DType is "float32" (the default) or "float64".
	DType string `json:"dtype,omitempty"`
}

// DCGANDiscriminatorConfig configures a DCGANDiscriminator (Radford et
// al. 2015).
//
// The discriminator mirrors the generator: k convolutions (kernel 4,
// stride 2, padding 1) take the image down to 7×7 (ImageSize 28, k = 2)
// or 4×4 (ImageSize 4·2^k), the first to Width channels and each later
// one doubling them, each followed by LeakyReLU(0.2), with batch norm
// before the activation on all but the first (if BatchNorm). The logit is
// then a dense layer of the flattened 7×7 map, or a convolution (kernel 4,
// stride 1, padding 0) of the 4×4 map to 1×1. Biases as for the
// generator: the first convolution and the output layer have them.
type DCGANDiscriminatorConfig struct {
	// Width is ndf, the number of channels of the first convolution.
	Width int `json:"width"`
	// ImageSize is the height and width of the input images: 28, or a
	// power of two from 8 to MaxDCGANImageSize.
	ImageSize int `json:"image_size"`
	// Channels is the number of channels of the images.
	Channels int `json:"channels"`
	// BatchNorm puts batch normalisation after every convolution but the
	// first and the last, as the paper does.
	BatchNorm bool `json:"batch_norm"`
	// DType is "float32" (the default) or "float64".
	DType string `json:"dtype,omitempty"`
	// SpectralNorm normalises every convolution kernel (as the matrix
	// [out, in·4·4]) and the dense output weight by its largest singular
	// value (Miyato et al. 2018; nn.SpectralNorm). Its power-iteration
	// vectors are buffers named "<layer>/w/sn_u" and ".../sn_v".
	SpectralNorm bool `json:"spectral_norm,omitempty"`
}

// ReferenceDCGAN returns the reference DCGAN configuration "dcgan" for
// 28×28 grayscale images in [-1, 1], float32:
//
//	G: z(100) → dense 128·7·7 → reshape 128×7×7 → BN → ReLU
//	   → convT(128→64, k4, s2, p1) 14×14 → BN → ReLU
//	   → convT(64→1, k4, s2, p1) 28×28 → tanh
//	D: conv(1→64, k4, s2, p1) 14×14 → LeakyReLU(0.2)
//	   → conv(64→128, k4, s2, p1) 7×7 → BN → LeakyReLU(0.2)
//	   → flatten → dense 6272→1 → logit
//
// Weights are drawn from N(0, 0.02), batch norm scales from N(1, 0.02);
// biases (on the dense layers, G's last convT and D's first conv) start
// at zero.
func ReferenceDCGAN() (DCGANGeneratorConfig, DCGANDiscriminatorConfig) {
	return DCGANGeneratorConfig{LatentDim: 100, Width: 64, ImageSize: 28, Channels: 1, BatchNorm: true},
		DCGANDiscriminatorConfig{Width: 64, ImageSize: 28, Channels: 1, BatchNorm: true}
}

// ReferenceDCGAN64 returns the configuration of Radford et al. for 64×64
// RGB images (ngf = ndf = 64), float32:
//
//	G: z(100) as 100×1×1 → convT(100→512, k4, s1, p0) 4×4 → BN → ReLU
//	   → convT 512→256 8×8 → BN → ReLU → 256→128 16×16 → BN → ReLU
//	   → 128→64 32×32 → BN → ReLU → 64→3 64×64 → tanh
//	D: conv 3→64 32×32 → LeakyReLU(0.2) → 64→128 16×16 → BN → LReLU
//	   → 128→256 8×8 → BN → LReLU → 256→512 4×4 → BN → LReLU
//	   → conv(512→1, k4, s1, p0) → logit
//
// (all other convolutions k4, s2, p1). Set ImageSize and Channels of both
// to train at another power-of-two size or in gray.
func ReferenceDCGAN64() (DCGANGeneratorConfig, DCGANDiscriminatorConfig) {
	return DCGANGeneratorConfig{LatentDim: 100, Width: 64, ImageSize: 64, Channels: 3, BatchNorm: true},
		DCGANDiscriminatorConfig{Width: 64, ImageSize: 64, Channels: 3, BatchNorm: true}
}

// dcganLayout returns the side of the stem's map (7 or 4) and the number
// of stride-2 layers that take it to size.
func dcganLayout(size int) (stem, ups int, err error) {
	switch {
	case size == 28:
		return 7, 2, nil
	case size >= 8 && size <= MaxDCGANImageSize && size&(size-1) == 0:
		return 4, bits.TrailingZeros(uint(size)) - 2, nil
	}
	return 0, 0, fmt.Errorf("image_size %d is not supported (want 28, or a power of two from 8 to %d)", size, MaxDCGANImageSize)
}

// validateCommon checks the fields both DCGAN configurations share.
func validateCommon(width, size, channels int, dtype string) error {
	if width <= 0 {
		return fmt.Errorf("width must be positive, got %d", width)
	}
	if channels <= 0 {
		return fmt.Errorf("channels must be positive, got %d", channels)
	}
	if _, _, err := dcganLayout(size); err != nil {
		return err
	}
	if _, err := parseDType(dtype); err != nil {
		return fmt.Errorf("unknown dtype %q (want float32 or float64)", dtype)
	}
	return nil
}

// Validate reports the first invalid field of the configuration.
func (c DCGANGeneratorConfig) Validate() error {
	if c.LatentDim <= 0 {
		return fmt.Errorf("models: dcgan generator: latent_dim must be positive, got %d", c.LatentDim)
	}
	if err := validateCommon(c.Width, c.ImageSize, c.Channels, c.DType); err != nil {
		return fmt.Errorf("models: dcgan generator: %w", err)
	}
	return nil
}

// Validate reports the first invalid field of the configuration.
func (c DCGANDiscriminatorConfig) Validate() error {
	if err := validateCommon(c.Width, c.ImageSize, c.Channels, c.DType); err != nil {
		return fmt.Errorf("models: dcgan discriminator: %w", err)
	}
	return nil
}

// convLayer is one convolution or transposed convolution with an optional
// bias and an optional batch norm.
type convLayer struct {
	w, bias *nn.Param
	bn      *nn.BatchNorm
	stride  int
	pad     int
}

// newConvLayer adds a layer's parameters named name/w, name/b and
// name/bn/… to ps: a kernel of the given shape, and a batch norm over
// bnFeatures channels if bnFeatures > 0, else a bias over biasFeatures.
func newConvLayer(ps *nn.Params, rng *rand.Rand, name string, shape []int, stride, pad, bnFeatures, biasFeatures int) (convLayer, error) {
	l := convLayer{stride: stride, pad: pad}
	var err error
	if l.w, err = ps.New(name+"/w", shape, nn.Normal(0, 0.02), rng); err != nil {
		return l, err
	}
	if bnFeatures > 0 {
		l.bn, err = nn.NewBatchNorm(ps, name+"/bn", bnFeatures, nn.Normal(1, 0.02), rng)
	} else {
		l.bias, err = ps.New(name+"/b", []int{biasFeatures}, nn.Zeros(), rng)
	}
	return l, err
}

// finish adds the layer's bias or batch norm to y, then act.
func (l convLayer) finish(b *nn.Builder, y *G.Node, act nn.Activation) (*G.Node, error) {
	var err error
	switch {
	case l.bn != nil:
		if y, err = l.bn.Apply(b, y); err != nil {
			return nil, err
		}
	case l.bias != nil:
		if y, err = addChannelBias(b, y, l.bias); err != nil {
			return nil, err
		}
	}
	return act.Apply(y)
}

// addChannelBias adds bias [C] to every position of y [N, C, H, W].
func addChannelBias(b *nn.Builder, y *G.Node, bias *nn.Param) (*G.Node, error) {
	y, err := ops.AddBias(y, b.Node(bias))
	if err != nil {
		return nil, fmt.Errorf("bias %s: %w", bias.Name, err)
	}
	return y, nil
}

// bnFeatures returns c if batch norm is on, else 0.
func bnFeatures(on bool, c int) int {
	if on {
		return c
	}
	return 0
}

// DCGANGenerator is a deep convolutional generator (Radford et al. 2015);
// see DCGANGeneratorConfig for its architecture.
type DCGANGenerator struct {
	cfg    DCGANGeneratorConfig
	params *nn.Params
	stem   int // side of the stem's map, 7 or 4
	// dense stem (ImageSize 28): weight [latent, c0·7·7] and bias
	denseW, denseB *nn.Param
	denseBN        *nn.BatchNorm
	// layers holds the convT stem (ImageSize 4·2^k), the upsampling
	// layers and the output layer, in order.
	layers []convLayer
}

// NewDCGANGenerator builds a generator from cfg with weights drawn from
// seed.
func NewDCGANGenerator(cfg DCGANGeneratorConfig, seed uint64) (*DCGANGenerator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dt, _ := parseDType(cfg.DType)
	stem, ups, _ := dcganLayout(cfg.ImageSize)
	ps, err := nn.NewParams(dt)
	if err != nil {
		return nil, fmt.Errorf("models: dcgan generator: %w", err)
	}
	m := &DCGANGenerator{cfg: cfg, params: ps, stem: stem}
	rng := newRNG(seed, 3)
	ch := cfg.Width << (ups - 1) // channels of the stem
	wrap := func(err error) error { return fmt.Errorf("models: dcgan generator: %w", err) }
	if stem == 7 {
		if m.denseW, err = ps.New("stem/w", []int{cfg.LatentDim, ch * 49}, nn.Normal(0, 0.02), rng); err != nil {
			return nil, wrap(err)
		}
		if m.denseB, err = ps.New("stem/b", []int{ch * 49}, nn.Zeros(), rng); err != nil {
			return nil, wrap(err)
		}
		if cfg.BatchNorm {
			if m.denseBN, err = nn.NewBatchNorm(ps, "stem/bn", ch, nn.Normal(1, 0.02), rng); err != nil {
				return nil, wrap(err)
			}
		}
	} else {
		l, err := newConvLayer(ps, rng, "stem", []int{cfg.LatentDim, ch, 4, 4}, 1, 0, bnFeatures(cfg.BatchNorm, ch), ch)
		if err != nil {
			return nil, wrap(err)
		}
		m.layers = append(m.layers, l)
	}
	for i := 1; i < ups; i++ {
		l, err := newConvLayer(ps, rng, fmt.Sprintf("convt%d", i), []int{ch, ch / 2, 4, 4}, 2, 1, bnFeatures(cfg.BatchNorm, ch/2), ch/2)
		if err != nil {
			return nil, wrap(err)
		}
		m.layers = append(m.layers, l)
		ch /= 2
	}
	l, err := newConvLayer(ps, rng, "out", []int{ch, cfg.Channels, 4, 4}, 2, 1, 0, cfg.Channels)
	if err != nil {
		return nil, wrap(err)
	}
	m.layers = append(m.layers, l)
	return m, nil
}

// Config returns the generator's configuration.
func (m *DCGANGenerator) Config() DCGANGeneratorConfig { return m.cfg }

// LatentDim returns the size of z.
func (m *DCGANGenerator) LatentDim() int { return m.cfg.LatentDim }

// SampleShape returns [Channels, ImageSize, ImageSize].
func (m *DCGANGenerator) SampleShape() []int {
	return []int{m.cfg.Channels, m.cfg.ImageSize, m.cfg.ImageSize}
}

// Params returns the generator's parameters.
func (m *DCGANGenerator) Params() *nn.Params { return m.params }

// Spec describes the generator for saving.
func (m *DCGANGenerator) Spec() (gan.NetworkSpec, error) { return newSpec(KindDCGANGenerator, m.cfg) }

// Generate adds G(z) to the builder's graph for z of shape
// [batch, LatentDim]; the result has shape [batch, Channels, ImageSize,
// ImageSize] with values in [-1, 1].
func (m *DCGANGenerator) Generate(b *nn.Builder, z *G.Node) (*G.Node, error) {
	if z.Dims() != 2 || z.Shape()[1] != m.cfg.LatentDim {
		return nil, fmt.Errorf("models: dcgan generator: z has shape %v, want [batch %d]", z.Shape(), m.cfg.LatentDim)
	}
	x, err := m.generate(b, z)
	if err != nil {
		return nil, fmt.Errorf("models: dcgan generator: %w", err)
	}
	return x, nil
}

func (m *DCGANGenerator) generate(b *nn.Builder, z *G.Node) (*G.Node, error) {
	batch := z.Shape()[0]
	layers := m.layers
	var x *G.Node
	var err error
	if m.denseW != nil {
		if x, err = nn.Dense(b, z, m.denseW, m.denseB); err != nil {
			return nil, err
		}
		ch := m.denseW.Value.Shape()[1] / 49
		if x, err = G.Reshape(x, tensor.Shape{batch, ch, 7, 7}); err != nil {
			return nil, fmt.Errorf("stem: %w", err)
		}
		if m.denseBN != nil {
			if x, err = m.denseBN.Apply(b, x); err != nil {
				return nil, err
			}
		}
		if x, err = nn.ReLU().Apply(x); err != nil {
			return nil, err
		}
	} else {
		if x, err = G.Reshape(z, tensor.Shape{batch, m.cfg.LatentDim, 1, 1}); err != nil {
			return nil, fmt.Errorf("stem: %w", err)
		}
	}
	for i, l := range layers {
		if x, err = ops.ConvTranspose2d(x, b.Node(l.w), [2]int{l.stride, l.stride}, [2]int{l.pad, l.pad}, [2]int{}); err != nil {
			return nil, fmt.Errorf("%s: %w", l.w.Name, err)
		}
		act := nn.ReLU()
		if i == len(layers)-1 {
			act = nn.Tanh()
		}
		if x, err = l.finish(b, x, act); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// DCGANDiscriminator is a deep convolutional discriminator (Radford et
// al. 2015) that outputs one logit per image; see
// DCGANDiscriminatorConfig for its architecture.
type DCGANDiscriminator struct {
	cfg    DCGANDiscriminatorConfig
	params *nn.Params
	// layers holds the stride-2 convolutions and, for ImageSize 4·2^k, the
	// output convolution.
	layers []convLayer
	// dense output (ImageSize 28): weight [c·7·7, 1] and bias [1]
	denseW, denseB *nn.Param
	sn             nn.SpectralNormSet // the weights spectrally normalised (nil: none)
}

// NewDCGANDiscriminator builds a discriminator from cfg with weights
// drawn from seed.
func NewDCGANDiscriminator(cfg DCGANDiscriminatorConfig, seed uint64) (*DCGANDiscriminator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dt, _ := parseDType(cfg.DType)
	stem, ups, _ := dcganLayout(cfg.ImageSize)
	ps, err := nn.NewParams(dt)
	if err != nil {
		return nil, fmt.Errorf("models: dcgan discriminator: %w", err)
	}
	m := &DCGANDiscriminator{cfg: cfg, params: ps}
	rng := newRNG(seed, 4)
	wrap := func(err error) error { return fmt.Errorf("models: dcgan discriminator: %w", err) }
	in, ch := cfg.Channels, cfg.Width
	for i := 0; i < ups; i++ {
		l, err := newConvLayer(ps, rng, fmt.Sprintf("conv%d", i), []int{ch, in, 4, 4}, 2, 1, bnFeatures(cfg.BatchNorm && i > 0, ch), ch)
		if err != nil {
			return nil, wrap(err)
		}
		m.layers = append(m.layers, l)
		in, ch = ch, ch*2
	}
	if stem == 7 {
		if m.denseW, err = ps.New("out/w", []int{in * 49, 1}, nn.Normal(0, 0.02), rng); err != nil {
			return nil, wrap(err)
		}
		if m.denseB, err = ps.New("out/b", []int{1}, nn.Zeros(), rng); err != nil {
			return nil, wrap(err)
		}
	} else {
		l, err := newConvLayer(ps, rng, "out", []int{1, in, 4, 4}, 1, 0, 0, 1)
		if err != nil {
			return nil, wrap(err)
		}
		m.layers = append(m.layers, l)
	}
	if cfg.SpectralNorm { // drawn from a stream of their own: the weights are those without SN
		var ws []*nn.Param
		for _, l := range m.layers {
			ws = append(ws, l.w)
		}
		if m.denseW != nil {
			ws = append(ws, m.denseW)
		}
		if m.sn, err = nn.NewSpectralNormSet(ps, ws, newRNG(seed, snStream)); err != nil {
			return nil, wrap(err)
		}
	}
	return m, nil
}

// Config returns the discriminator's configuration.
func (m *DCGANDiscriminator) Config() DCGANDiscriminatorConfig { return m.cfg }

// InputShape returns [Channels, ImageSize, ImageSize].
func (m *DCGANDiscriminator) InputShape() []int {
	return []int{m.cfg.Channels, m.cfg.ImageSize, m.cfg.ImageSize}
}

// Params returns the discriminator's parameters.
func (m *DCGANDiscriminator) Params() *nn.Params { return m.params }

// Spec describes the discriminator for saving.
func (m *DCGANDiscriminator) Spec() (gan.NetworkSpec, error) {
	return newSpec(KindDCGANDiscriminator, m.cfg)
}

// Discriminate adds D's logits for the batch x, of shape
// [batch, Channels, ImageSize, ImageSize], to the builder's graph; the
// result has shape [batch].
func (m *DCGANDiscriminator) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	shape := x.Shape()
	if len(shape) != 4 || !tensor.Shape(shape[1:]).Eq(tensor.Shape(m.InputShape())) {
		return nil, fmt.Errorf("models: dcgan discriminator: input has shape %v, want [batch %v]", shape, m.InputShape())
	}
	y, err := m.discriminate(b, x)
	if err != nil {
		return nil, fmt.Errorf("models: dcgan discriminator: %w", err)
	}
	return y, nil
}

func (m *DCGANDiscriminator) discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	logits, _, err := m.forward(b, x, false)
	return logits, err
}

// forward adds D's logits for x and, with features set, the features the
// logit is a linear function of: the flattened output of the last hidden
// convolution, [batch, C·S·S]. Spectral normalisation, when on, applies
// to every weight on both paths.
func (m *DCGANDiscriminator) forward(b *nn.Builder, x *G.Node, features bool) (logits, feats *G.Node, err error) {
	batch := x.Shape()[0]
	hidden := m.layers
	if m.denseW == nil {
		hidden = hidden[:len(hidden)-1] // the output convolution gives the logit
	}
	for _, l := range hidden {
		w, err := m.sn.Weight(b, l.w)
		if err != nil {
			return nil, nil, err
		}
		if x, err = ops.Conv2d(x, w, [2]int{l.stride, l.stride}, [2]int{l.pad, l.pad}); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", l.w.Name, err)
		}
		if x, err = l.finish(b, x, nn.LeakyReLU(dcganSlope)); err != nil {
			return nil, nil, err
		}
	}
	if features || m.denseW != nil {
		f := x.Shape()[1] * x.Shape()[2] * x.Shape()[3]
		if feats, err = G.Reshape(x, tensor.Shape{batch, f}); err != nil {
			return nil, nil, fmt.Errorf("flatten: %w", err)
		}
	}
	if m.denseW != nil {
		if x, err = m.sn.Dense(b, feats, m.denseW, m.denseB); err != nil {
			return nil, nil, err
		}
	} else {
		out := m.layers[len(m.layers)-1]
		w, err := m.sn.Weight(b, out.w)
		if err != nil {
			return nil, nil, err
		}
		if x, err = ops.Conv2d(x, w, [2]int{out.stride, out.stride}, [2]int{out.pad, out.pad}); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", out.w.Name, err)
		}
		if x, err = out.finish(b, x, nn.Identity()); err != nil {
			return nil, nil, err
		}
	}
	if x, err = G.Reshape(x, tensor.Shape{batch}); err != nil {
		return nil, nil, fmt.Errorf("logits: %w", err)
	}
	return x, feats, nil
}
