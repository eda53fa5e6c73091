package optim

import (
	"math"

	"gorgonia.org/tensor"
)

// RMSPropConfig configures RMSProp. A zero Alpha or Eps selects its
// default.
type RMSPropConfig struct {
	// LR is the learning rate η; it must be positive (the Wasserstein GAN
	// paper uses 5e-5).
	LR float64 `json:"lr"`
	// Alpha is the decay rate α of the mean square, in [0, 1) (default
	// 0.99).
	Alpha float64 `json:"alpha,omitempty"`
	// Eps is the ε added to the denominator, positive (default 1e-8).
	Eps float64 `json:"eps,omitempty"`
}

// Default RMSProp hyperparameters, those of PyTorch.
const (
	// DefaultRMSPropAlpha is the α a zero RMSPropConfig.Alpha selects.
	DefaultRMSPropAlpha = 0.99
	// DefaultRMSPropEps is the ε a zero RMSPropConfig.Eps selects.
	DefaultRMSPropEps = 1e-8
)

// RMSProp is Hinton's RMSProp as in PyTorch's torch.optim.RMSprop (not
// centered, no momentum): with g the gradient and s the running mean
// square, starting at 0,
//
//	s ← α·s + (1 − α)·g²
//	p ← p − η·g / (√s + ε)
//
// There is no bias correction, so early steps are larger than later
// ones. Its State has the buffer "square_avg" (s).
type RMSProp struct {
	core
	cfg RMSPropConfig
}

// NewRMSProp returns an RMSProp optimizer, filling in the defaults of cfg
// and reporting an invalid hyperparameter with an error wrapping
// ErrConfig.
func NewRMSProp(cfg RMSPropConfig) (*RMSProp, error) {
	if cfg.Alpha == 0 {
		cfg.Alpha = DefaultRMSPropAlpha
	}
	if cfg.Eps == 0 {
		cfg.Eps = DefaultRMSPropEps
	}
	if err := checkLR("rmsprop", cfg.LR); err != nil {
		return nil, err
	}
	if err := checkUnit("rmsprop", "alpha", cfg.Alpha); err != nil {
		return nil, err
	}
	if err := checkEps("rmsprop", cfg.Eps); err != nil {
		return nil, err
	}
	return &RMSProp{core: core{kind: "rmsprop", names: []string{"square_avg"}}, cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (r *RMSProp) Config() RMSPropConfig { return r.cfg }

// Step applies one RMSProp update to params; see Optimizer.
func (r *RMSProp) Step(params, grads []*tensor.Dense) error {
	if err := r.bind(params, grads); err != nil {
		return err
	}
	r.steps++
	for i := range r.slots {
		s := &r.slots[i]
		if s.dtype == tensor.Float32 {
			rmspropUpdate(params[i].Float32s(), grads[i].Float32s(), s.f32[0], r.cfg)
		} else {
			rmspropUpdate(params[i].Float64s(), grads[i].Float64s(), s.f64[0], r.cfg)
		}
	}
	return nil
}

// State returns a copy of RMSProp's state; see Optimizer.
func (r *RMSProp) State() State { return r.state() }

// SetState restores a state returned by State; see Optimizer.
func (r *RMSProp) SetState(s State) error { return r.setState(s) }

func rmspropUpdate[T Float](p, g, sq []T, c RMSPropConfig) {
	g, sq = g[:len(p)], sq[:len(p)]
	a := c.Alpha
	for i := range p {
		gi := float64(g[i])
		s := a*float64(sq[i]) + (1-a)*gi*gi
		sq[i] = T(s)
		p[i] = T(float64(p[i]) - c.LR*gi/(math.Sqrt(s)+c.Eps))
	}
}
