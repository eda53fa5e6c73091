package optim

import (
	"fmt"

	"gorgonia.org/tensor"
)

// SGDConfig configures SGD.
type SGDConfig struct {
	// LR is the learning rate η; it must be positive.
	LR float64 `json:"lr"`
	// Momentum is the momentum factor μ, in [0, 1) (default 0: plain
	// SGD; Goodfellow et al. 2014 use 0.5 rising to 0.7).
	Momentum float64 `json:"momentum,omitempty"`
	// Nesterov selects Nesterov momentum; it needs a positive Momentum.
	Nesterov bool `json:"nesterov,omitempty"`
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// in the convention of PyTorch's torch.optim.SGD (no dampening): with g
// the gradient and v the momentum buffer, starting at 0,
//
//	v ← μ·v + g
//	p ← p − η·v              (classical momentum)
//	p ← p − η·(g + μ·v)      (Nesterov)
//
// so the learning rate scales the accumulated velocity, unlike the
// Sutskever et al. form v ← μ·v − η·g, p ← p + v (the two agree while η
// is constant). Without momentum a step is p ← p − η·g and the State has
// no buffers; with it the State has the buffer "momentum_buffer" (v).
type SGD struct {
	core
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer, reporting an invalid hyperparameter
// with an error wrapping ErrConfig.
func NewSGD(cfg SGDConfig) (*SGD, error) {
	if err := checkLR("sgd", cfg.LR); err != nil {
		return nil, err
	}
	if err := checkUnit("sgd", "momentum", cfg.Momentum); err != nil {
		return nil, err
	}
	if cfg.Nesterov && cfg.Momentum == 0 {
		return nil, fmt.Errorf("optim: sgd: Nesterov momentum needs a positive momentum: %w", ErrConfig)
	}
	s := &SGD{core: core{kind: "sgd"}, cfg: cfg}
	if cfg.Momentum > 0 {
		s.names = []string{"momentum_buffer"}
	}
	return s, nil
}

// Config returns the configuration.
func (s *SGD) Config() SGDConfig { return s.cfg }

// Step applies one SGD update to params; see Optimizer.
func (s *SGD) Step(params, grads []*tensor.Dense) error {
	if err := s.bind(params, grads); err != nil {
		return err
	}
	s.steps++
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.dtype == tensor.Float32 {
			p, g := params[i].Float32s(), grads[i].Float32s()
			if s.cfg.Momentum == 0 {
				sgdUpdate(p, g, s.cfg.LR)
			} else {
				sgdMomentumUpdate(p, g, sl.f32[0], s.cfg)
			}
		} else {
			p, g := params[i].Float64s(), grads[i].Float64s()
			if s.cfg.Momentum == 0 {
				sgdUpdate(p, g, s.cfg.LR)
			} else {
				sgdMomentumUpdate(p, g, sl.f64[0], s.cfg)
			}
		}
	}
	return nil
}

// State returns a copy of SGD's state; see Optimizer.
func (s *SGD) State() State { return s.state() }

// SetState restores a state returned by State; see Optimizer.
func (s *SGD) SetState(st State) error { return s.setState(st) }

func sgdUpdate[T Float](p, g []T, lr float64) {
	g = g[:len(p)]
	for i := range p {
		p[i] = T(float64(p[i]) - lr*float64(g[i]))
	}
}

func sgdMomentumUpdate[T Float](p, g, buf []T, c SGDConfig) {
	g, buf = g[:len(p)], buf[:len(p)]
	mu := c.Momentum
	for i := range p {
		gi := float64(g[i])
		v := mu*float64(buf[i]) + gi
		buf[i] = T(v)
		d := v
		if c.Nesterov {
			d = gi + mu*v
		}
		p[i] = T(float64(p[i]) - c.LR*d)
	}
}
