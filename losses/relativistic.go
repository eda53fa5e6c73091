package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// RelativisticLoss is a Loss whose generator loss also depends on the
// discriminator's logits on a batch of real samples: relativistic losses
// (Jolicoeur-Martineau 2018) judge whether real data look more realistic
// than generated data, on both sides of the game. A trainer whose loss
// implements it draws a real batch for every generator update and calls
// GeneratorRelative instead of Generator.
type RelativisticLoss interface {
	Loss
	// GeneratorRelative returns the loss the generator minimises, given
	// the discriminator's logits on a batch of real samples and on a
	// batch of generated ones (each of shape [batch]).
	GeneratorRelative(real, fake *G.Node) (*G.Node, error)
}

// errNeedsReal is the error of Generator for a relativistic loss.
func errNeedsReal(name string) error {
	return fmt.Errorf("losses: %s generator: the loss needs the real logits too; call GeneratorRelative (RelativisticLoss)", name)
}

// RSGAN is the relativistic standard GAN of Jolicoeur-Martineau (2018):
// the discriminator estimates the probability σ(C(x) − C(G(z))) that a
// real sample is more realistic than a generated one, paired sample by
// sample (real[i] with fake[i]):
//
//	discriminator: mean(softplus(−(real − fake)))
//	generator:     mean(softplus(−(fake − real)))
//
// The two batches must have the same size.
type RSGAN struct{}

// Name returns "rsgan".
func (RSGAN) Name() string { return "rsgan" }

// Discriminator returns mean(softplus(−(real − fake))), pairing the i-th
// real logit with the i-th generated one.
func (RSGAN) Discriminator(real, fake *G.Node) (*G.Node, error) {
	if err := samePairs("rsgan discriminator", real, fake); err != nil {
		return nil, err
	}
	return build("rsgan discriminator", func(e *expr) *G.Node {
		return e.mean(e.softplus(e.sub(fake, real)))
	}, real, fake)
}

// Generator returns an error: RSGAN's generator loss needs the real
// logits (see GeneratorRelative).
func (RSGAN) Generator(*G.Node) (*G.Node, error) { return nil, errNeedsReal("rsgan") }

// GeneratorRelative returns mean(softplus(−(fake − real))).
func (RSGAN) GeneratorRelative(real, fake *G.Node) (*G.Node, error) {
	if err := samePairs("rsgan generator", real, fake); err != nil {
		return nil, err
	}
	return build("rsgan generator", func(e *expr) *G.Node {
		return e.mean(e.softplus(e.sub(real, fake)))
	}, real, fake)
}

// RaGAN is the relativistic average standard GAN of Jolicoeur-Martineau
// (2018): each sample is compared with the mean logit of the other batch,
//
//	discriminator: mean(softplus(−(real − mean(fake)))) + mean(softplus(fake − mean(real)))
//	generator:     mean(softplus(−(fake − mean(real)))) + mean(softplus(real − mean(fake)))
type RaGAN struct{}

// Name returns "ragan".
func (RaGAN) Name() string { return "ragan" }

// Discriminator returns mean(softplus(mean(fake) − real)) +
// mean(softplus(fake − mean(real))).
func (RaGAN) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build("ragan discriminator", func(e *expr) *G.Node {
		return raGAN(e, real, fake)
	}, real, fake)
}

// Generator returns an error: RaGAN's generator loss needs the real
// logits (see GeneratorRelative).
func (RaGAN) Generator(*G.Node) (*G.Node, error) { return nil, errNeedsReal("ragan") }

// GeneratorRelative returns mean(softplus(mean(real) − fake)) +
// mean(softplus(real − mean(fake))): the discriminator's loss with the
// roles of the batches swapped.
func (RaGAN) GeneratorRelative(real, fake *G.Node) (*G.Node, error) {
	return build("ragan generator", func(e *expr) *G.Node {
		return raGAN(e, fake, real)
	}, real, fake)
}

// raGAN is mean(softplus(mean(b) − a)) + mean(softplus(b − mean(a))).
func raGAN(e *expr, a, b *G.Node) *G.Node {
	ma, mb := e.mean(a), e.mean(b)
	return e.add(e.mean(e.softplus(e.sub(mb, a))), e.mean(e.softplus(e.sub(b, ma))))
}

// samePairs checks that real and fake logits can be paired one to one.
func samePairs(what string, real, fake *G.Node) error {
	if real != nil && fake != nil && real.Dims() == 1 && fake.Dims() == 1 && real.Shape()[0] != fake.Shape()[0] {
		return fmt.Errorf("losses: %s: %d real logits and %d fake ones cannot be paired", what, real.Shape()[0], fake.Shape()[0])
	}
	return nil
}

var (
	_ RelativisticLoss = RSGAN{}
	_ RelativisticLoss = RaGAN{}
)
