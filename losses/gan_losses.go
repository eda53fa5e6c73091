package losses

import G "gorgonia.org/gorgonia"

// The five objectives. Each is a plain value type: the zero value is ready
// to use (for Wasserstein it means "no weight clipping"), and every method
// has a value receiver, so a loss can be embedded or copied freely.

// Minimax is the saturating two-player game of Goodfellow et al. (2014),
//
//	min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))].
//
// With D = σ(logit), log D = −softplus(−logit) and
// log(1 − D) = −softplus(logit), the two losses are
//
//	discriminator: −E[log D(x)] − E[log(1 − D(G(z)))] = mean(softplus(−real)) + mean(softplus(fake))
//	generator:      E[log(1 − D(G(z)))]               = −mean(softplus(fake))
//
// The generator's gradient vanishes when D confidently rejects its
// samples (fake ≪ 0), which is why NonSaturating is usually preferred.
type Minimax struct{}

// Name returns "minimax".
func (Minimax) Name() string { return "minimax" }

// Discriminator returns mean(softplus(−real)) + mean(softplus(fake)), which
// equals −V(D, G).
func (Minimax) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("minimax discriminator", func(e *expr) *G.Node {
		return bceDiscriminator(e, real, fake)
	}, real, fake)
}

// Generator returns −mean(softplus(fake)), the estimate of
// E[log(1 − D(G(z)))].
func (Minimax) Generator(fake *G.Node) (*G.Node, error) {
	return build("minimax generator", func(e *expr) *G.Node {
		return e.neg(e.mean(e.softplus(fake)))
	}, fake)
}

// NonSaturating is the variant Goodfellow et al. (2014) recommend in
// practice: the discriminator's loss is Minimax's, but the generator
// maximises log D(G(z)) instead of minimising log(1 − D(G(z))), which
// has the same fixed point and strong gradients early in training:
//
//	discriminator: mean(softplus(−real)) + mean(softplus(fake))
//	generator:     −E[log D(G(z))] = mean(softplus(−fake))
type NonSaturating struct{}

// Name returns "nonsaturating".
func (NonSaturating) Name() string { return "nonsaturating" }

// Discriminator returns mean(softplus(−real)) + mean(softplus(fake)).
func (NonSaturating) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("nonsaturating discriminator", func(e *expr) *G.Node {
		return bceDiscriminator(e, real, fake)
	}, real, fake)
}

// Generator returns mean(softplus(−fake)), the estimate of −E[log D(G(z))].
func (NonSaturating) Generator(fake *G.Node) (*G.Node, error) {
	return build("nonsaturating generator", func(e *expr) *G.Node {
		return e.mean(e.softplus(e.neg(fake)))
	}, fake)
}

// LeastSquares is the least-squares GAN of Mao et al. (2017) with the
// coding a = 0 (fake), b = 1 (real), c = 1 (what G wants D to believe),
// applied to the raw discriminator output (the logit, no sigmoid):
//
//	discriminator: ½·mean((real − 1)²) + ½·mean(fake²)
//	generator:     ½·mean((fake − 1)²)
type LeastSquares struct{}

// Name returns "lsgan".
func (LeastSquares) Name() string { return "lsgan" }

// Discriminator returns ½·mean((real − 1)²) + ½·mean(fake²).
func (LeastSquares) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("lsgan discriminator", func(e *expr) *G.Node {
		r := e.mean(e.square(e.sub(real, e.constant(1))))
		f := e.mean(e.square(fake))
		return e.mul(e.add(r, f), e.constant(0.5))
	}, real, fake)
}

// Generator returns ½·mean((fake − 1)²).
func (LeastSquares) Generator(fake *G.Node) (*G.Node, error) {
	return build("lsgan generator", func(e *expr) *G.Node {
		return e.mul(e.mean(e.square(e.sub(fake, e.constant(1)))), e.constant(0.5))
	}, fake)
}

// Hinge is the hinge loss of Lim & Ye (2017) and Miyato et al. (2018):
//
//	discriminator: mean(relu(1 − real)) + mean(relu(1 + fake))
//	generator:     −mean(fake)
type Hinge struct{}

// Name returns "hinge".
func (Hinge) Name() string { return "hinge" }

// Discriminator returns mean(relu(1 − real)) + mean(relu(1 + fake)).
func (Hinge) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("hinge discriminator", func(e *expr) *G.Node {
		r := e.mean(e.relu(e.sub(e.constant(1), real)))
		f := e.mean(e.relu(e.add(e.constant(1), fake)))
		return e.add(r, f)
	}, real, fake)
}

// Generator returns −mean(fake).
func (Hinge) Generator(fake *G.Node) (*G.Node, error) {
	return build("hinge generator", func(e *expr) *G.Node {
		return e.neg(e.mean(fake))
	}, fake)
}

// DefaultClip is the weight-clipping bound c of the Wasserstein GAN paper,
// which NewWasserstein uses.
const DefaultClip = 0.01

// Wasserstein is the Wasserstein GAN of Arjovsky et al. (2017). The
// discriminator is a critic whose raw output estimates the
// Kantorovich–Rubinstein dual, so its "logits" are unbounded scores:
//
//	discriminator (critic): mean(fake) − mean(real)
//	generator:              −mean(fake)
//
// The critic must be kept (roughly) 1-Lipschitz. Clip is the bound c to
// which the trainer clamps the critic's weights after every update (see
// WeightClipper); NewWasserstein sets the paper's 0.01. The zero value has
// Clip 0, which means no clipping, for use with another Lipschitz
// constraint.
type Wasserstein struct {
	// Clip is the weight-clipping bound c; 0 disables clipping.
	Clip float64
}

// NewWasserstein returns a Wasserstein loss with the paper's clipping
// bound, DefaultClip (0.01).
func NewWasserstein() Wasserstein { return Wasserstein{Clip: DefaultClip} }

// Name returns "wasserstein".
func (Wasserstein) Name() string { return "wasserstein" }

// ClipValue returns Clip; it makes Wasserstein a WeightClipper.
func (w Wasserstein) ClipValue() float64 { return w.Clip }

// Discriminator returns the critic's loss mean(fake) − mean(real).
func (Wasserstein) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("wasserstein critic", func(e *expr) *G.Node {
		return e.sub(e.mean(fake), e.mean(real))
	}, real, fake)
}

// Generator returns −mean(fake).
func (Wasserstein) Generator(fake *G.Node) (*G.Node, error) {
	return build("wasserstein generator", func(e *expr) *G.Node {
		return e.neg(e.mean(fake))
	}, fake)
}

// bceDiscriminator is the discriminator loss shared by Minimax and
// NonSaturating: mean(softplus(−real)) + mean(softplus(fake)).
func bceDiscriminator(e *expr, real, fake *G.Node) *G.Node {
	return e.add(e.mean(e.softplus(e.neg(real))), e.mean(e.softplus(fake)))
}

var (
	_ Loss          = Minimax{}
	_ Loss          = NonSaturating{}
	_ Loss          = LeastSquares{}
	_ Loss          = Hinge{}
	_ Loss          = Wasserstein{}
	_ WeightClipper = Wasserstein{}
)
