package losses

import G "gorgonia.org/gorgonia"

// GradientPenalized is implemented by losses that come with a gradient
// penalty of the critic on interpolates between real and generated
// samples, as WGANGP does. A trainer whose configuration sets no penalty
// of its own applies this one: Weight·mean((‖∇D(x̂)‖ − Target)²).
type GradientPenalized interface {
	// GradientPenalty returns the penalty's weight λ and target norm.
	GradientPenalty() (weight, target float64)
}

// DefaultGradientPenaltyWeight is λ = 10 of Gulrajani et al. (2017).
const DefaultGradientPenaltyWeight = 10

// WGANGP is the Wasserstein GAN with gradient penalty of Gulrajani et al.
// (2017): Wasserstein's critic and generator losses, without weight
// clipping,
//
//	critic:    mean(fake) − mean(real) + λ·mean((‖∇D(x̂)‖ − 1)²)
//	generator: −mean(fake)
//
// where x̂ = εx + (1 − ε)G(z), ε ~ U[0, 1] per sample. The penalty needs
// the critic's input gradient, so the trainer adds it (GradientPenalized):
// Discriminator returns the Wasserstein part only. Weight is λ; the zero
// value means DefaultGradientPenaltyWeight (10). The paper trains with
// Adam (learning rate 1e-4, β1 0, β2 0.9) and k = 5 critic updates per
// generator update, and a critic without batch normalisation.
type WGANGP struct {
	// Weight is the penalty's weight λ (0 means 10).
	Weight float64
}

// Name returns "wgan-gp".
func (WGANGP) Name() string { return "wgan-gp" }

// GradientPenalty returns (λ, 1): Weight, or 10 if it is 0, and the
// target norm 1.
func (w WGANGP) GradientPenalty() (weight, target float64) {
	if w.Weight == 0 {
		return DefaultGradientPenaltyWeight, 1
	}
	return w.Weight, 1
}

// Discriminator returns the critic's Wasserstein loss mean(fake) −
// mean(real), without the penalty (which the trainer adds).
func (WGANGP) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("wgan-gp critic", func(e *expr) *G.Node {
		return e.sub(e.mean(fake), e.mean(real))
	}, real, fake)
}

// Generator returns −mean(fake).
func (WGANGP) Generator(fake *G.Node) (*G.Node, error) {
	return build("wgan-gp generator", func(e *expr) *G.Node {
		return e.neg(e.mean(fake))
	}, fake)
}

var (
	_ Loss              = WGANGP{}
	_ GradientPenalized = WGANGP{}
)
