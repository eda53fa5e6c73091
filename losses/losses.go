// Package losses defines the adversarial objectives of gogan.
//
// Every loss works on the discriminator's logits, not its probabilities:
// D(x) = sigmoid(logit). log D(x) = -softplus(-logit) and
// log(1 - D(x)) = -softplus(logit), and Gorgonia's softplus is computed in a
// stable form, so values and gradients stay finite for logits of ±100 and
// beyond where the naive log(sigmoid(.)) gives -Inf and NaN.
//
// Minimax, NonSaturating, LeastSquares, Hinge, Wasserstein, WGANGP, RSGAN
// and RaGAN implement Loss, and ByName finds one by its command-line name;
// SmoothReal adds one-sided label smoothing to the first two. RSGAN and
// RaGAN are RelativisticLoss: their generator loss sees the real logits
// too. WGANGP is GradientPenalized: the trainer adds its gradient penalty. Softplus, MeanProb and Value
// compute on the host, from logits read out of a graph, the statistics a
// training step reports.
package losses

import G "gorgonia.org/gorgonia"

// Loss is an adversarial objective. Both methods add nodes to the graph of
// their arguments and return a scalar node to be minimised.
type Loss interface {
	// Name returns the loss's short name, as used on command lines
	// ("minimax", "nonsaturating", ...).
	Name() string
	// Discriminator returns the loss the discriminator minimises, given its
	// logits on a batch of real samples and on a batch of generated ones
	// (each of shape [batch]).
	Discriminator(real, fake *G.Node) (*G.Node, error)
	// Generator returns the loss the generator minimises, given the
	// discriminator's logits on a batch of generated samples.
	Generator(fake *G.Node) (*G.Node, error)
}

// WeightClipper is implemented by losses whose discriminator (critic) must
// keep its weights in [-c, c] after every update, such as the original
// Wasserstein GAN. The trainer clips after each discriminator step.
type WeightClipper interface {
	ClipValue() float64
}
