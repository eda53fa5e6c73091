package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// RealLabelSmoothing wraps a cross-entropy loss (Minimax or NonSaturating)
// with one-sided label smoothing (Salimans et al. 2016): the
// discriminator's target for real samples is Target (e.g. 0.9) instead of
// 1, while generated samples keep the target 0 and the generator's loss is
// unchanged. The discriminator then minimises
//
//	mean(Target·softplus(−real) + (1−Target)·softplus(real)) + mean(softplus(fake))
//
// which keeps D from growing over-confident on the data. Use SmoothReal to
// build one with its argument checked.
type RealLabelSmoothing struct {
	Base   Loss
	Target float64
}

// SmoothReal returns base with one-sided label smoothing to target, which
// must lie in (0, 1]. base must be Minimax or NonSaturating: smoothing a
// label is defined for the cross-entropy losses only.
func SmoothReal(base Loss, target float64) (Loss, error) {
	switch base.(type) {
	case Minimax, NonSaturating:
	default:
		return nil, fmt.Errorf("losses: label smoothing needs the minimax or nonsaturating loss, not %s", nameOf(base))
	}
	if !(target > 0 && target <= 1) {
		return nil, fmt.Errorf("losses: label smoothing target %v outside (0, 1]", target)
	}
	return RealLabelSmoothing{Base: base, Target: target}, nil
}

func nameOf(l Loss) string {
	if l == nil {
		return "no loss"
	}
	return l.Name()
}

// Name returns the base loss's name with the target, e.g.
// "nonsaturating+smooth0.9".
func (s RealLabelSmoothing) Name() string {
	return fmt.Sprintf("%s+smooth%g", nameOf(s.Base), s.Target)
}

// Discriminator returns the smoothed cross-entropy of the discriminator.
func (s RealLabelSmoothing) Discriminator(real, fake *G.Node) (*G.Node, error) {
	return build(s.Name()+" discriminator", func(e *expr) *G.Node {
		onReal := e.add(
			e.mul(e.constant(s.Target), e.softplus(e.neg(real))),
			e.mul(e.constant(1-s.Target), e.softplus(real)))
		return e.add(e.mean(onReal), e.mean(e.softplus(fake)))
	}, real, fake)
}

// Generator returns the base loss's generator loss.
func (s RealLabelSmoothing) Generator(fake *G.Node) (*G.Node, error) { return s.Base.Generator(fake) }
