package gan

import (
	"fmt"
	"math"
	"slices"

	"github.com/gogan/gogan/optim"
)

func newOptimizer(s optim.Settings) (optim.Optimizer, error) { return s.New() }

// SetLearningRates changes the learning rates of every generator's and
// every discriminator's optimizer, keeping their state (moment buffers
// and step counts), e.g. to lower them after a divergence. Checkpoints do
// not compare learning rates, so a run may be resumed with other ones.
func (t *Trainer) SetLearningRates(gLR, dLR float64) error {
	if err := t.Sync(); err != nil {
		return err
	}
	gc, dc := t.cfg.GOptimizer.WithLearningRate(gLR), t.cfg.DOptimizer.WithLearningRate(dLR)
	if _, err := gc.New(); err != nil {
		return fmt.Errorf("gan: generator learning rate: %w", err)
	}
	if _, err := dc.New(); err != nil {
		return fmt.Errorf("gan: discriminator learning rate: %w", err)
	}
	replace := func(opts []optim.Optimizer, c optim.Settings) ([]optim.Optimizer, error) {
		out := make([]optim.Optimizer, len(opts))
		for i, o := range opts {
			n, err := newOptimizer(c)
			if err != nil {
				return nil, err
			}
			if err := n.SetState(o.State()); err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	gOpts, err := replace(t.gOpts, gc)
	if err != nil {
		return fmt.Errorf("gan: set learning rates: %w", err)
	}
	dOpts, err := replace(t.dOpts, dc)
	if err != nil {
		return fmt.Errorf("gan: set learning rates: %w", err)
	}
	if t.dev != nil { // the device keeps its state; it takes the new rates
		for i, o := range t.dev.gOpts {
			if err := o.Reconfigure(gOpts[i]); err != nil {
				return fmt.Errorf("gan: set learning rates: %w", err)
			}
		}
		for i, o := range t.dev.dOpts {
			if err := o.Reconfigure(dOpts[i]); err != nil {
				return fmt.Errorf("gan: set learning rates: %w", err)
			}
		}
	}
	t.gOpts, t.dOpts = gOpts, dOpts
	t.cfg.GOptimizer, t.cfg.DOptimizer = gc, dc
	return nil
}

// clipD clamps the discriminator's learnable weights to [-clip, clip].
func (t *Trainer) clipD() error {
	if t.dev != nil {
		return t.clipDevice()
	}
	c := t.clip
	for _, p := range slices.Concat(t.dParams...) {
		mapEach(p, func(v float64) float64 { return math.Max(-c, math.Min(c, v)) })
	}
	return nil
}
