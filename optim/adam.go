package optim

import (
	"math"

	"gorgonia.org/tensor"
)

// AdamConfig configures Adam. A zero Beta1, Beta2 or Eps selects its
// default.
type AdamConfig struct {
	// LR is the step size α; it must be positive (Kingma & Ba suggest
	// 1e-3, DCGAN uses 2e-4).
	LR float64 `json:"lr"`
	// Beta1 is the decay rate of the first-moment estimate, in [0, 1)
	// (default 0.9; DCGAN uses 0.5). Since 0 selects the default, a β1
	// of exactly 0 cannot be requested.
	Beta1 float64 `json:"beta1,omitempty"`
	// Beta2 is the decay rate of the second-moment estimate, in [0, 1)
	// (default 0.999).
	Beta2 float64 `json:"beta2,omitempty"`
	// Eps is the ε added to the denominator for numerical stability,
	// positive (default 1e-8).
	Eps float64 `json:"eps,omitempty"`
}

// Default Adam hyperparameters, those of Kingma & Ba (2015).
const (
	// DefaultAdamBeta1 is the β1 a zero AdamConfig.Beta1 selects.
	DefaultAdamBeta1 = 0.9
	// DefaultAdamBeta2 is the β2 a zero AdamConfig.Beta2 selects.
	DefaultAdamBeta2 = 0.999
	// DefaultAdamEps is the ε a zero AdamConfig.Eps selects.
	DefaultAdamEps = 1e-8
)

// Adam is the Adam optimizer of Kingma & Ba (2015), Algorithm 1, with
// bias correction and no weight decay. With g the gradient and t the
// number of steps taken, this one included, a step is
//
//	m ← β1·m + (1 − β1)·g
//	v ← β2·v + (1 − β2)·g²
//	m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)
//	p ← p − α·m̂ / (√v̂ + ε)
//
// which is also PyTorch's torch.optim.Adam. Its first step moves every
// parameter by almost exactly α·sign(g). Its State has the buffers
// "exp_avg" (m) and "exp_avg_sq" (v).
type Adam struct {
	core
	cfg AdamConfig
}

// NewAdam returns an Adam optimizer, filling in the defaults of cfg and
// reporting an invalid hyperparameter with an error wrapping ErrConfig.
func NewAdam(cfg AdamConfig) (*Adam, error) {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = DefaultAdamBeta1
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = DefaultAdamBeta2
	}
	if cfg.Eps == 0 {
		cfg.Eps = DefaultAdamEps
	}
	if err := checkLR("adam", cfg.LR); err != nil {
		return nil, err
	}
	if err := checkUnit("adam", "beta1", cfg.Beta1); err != nil {
		return nil, err
	}
	if err := checkUnit("adam", "beta2", cfg.Beta2); err != nil {
		return nil, err
	}
	if err := checkEps("adam", cfg.Eps); err != nil {
		return nil, err
	}
	return &Adam{core: core{kind: "adam", names: []string{"exp_avg", "exp_avg_sq"}}, cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (a *Adam) Config() AdamConfig { return a.cfg }

// Step applies one Adam update to params; see Optimizer.
func (a *Adam) Step(params, grads []*tensor.Dense) error {
	if err := a.bind(params, grads); err != nil {
		return err
	}
	a.steps++
	t := float64(a.steps)
	bc1 := 1 - math.Pow(a.cfg.Beta1, t)
	bc2 := 1 - math.Pow(a.cfg.Beta2, t)
	for i := range a.slots {
		s := &a.slots[i]
		if s.dtype == tensor.Float32 {
			adamUpdate32(params[i].Float32s(), grads[i].Float32s(), s.f32[0], s.f32[1], a.cfg, bc1, bc2)
		} else {
			adamUpdate(params[i].Float64s(), grads[i].Float64s(), s.f64[0], s.f64[1], a.cfg, bc1, bc2)
		}
	}
	return nil
}

// State returns a copy of Adam's state; see Optimizer.
func (a *Adam) State() State { return a.state() }

// SetState restores a state returned by State; see Optimizer.
func (a *Adam) SetState(s State) error { return a.setState(s) }

func adamUpdate[T Float](p, g, m, v []T, c AdamConfig, bc1, bc2 float64) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	b1, b2 := c.Beta1, c.Beta2
	for i := range p {
		gi := float64(g[i])
		mi := b1*float64(m[i]) + (1-b1)*gi
		vi := b2*float64(v[i]) + (1-b2)*gi*gi
		m[i], v[i] = T(mi), T(vi)
		p[i] = T(float64(p[i]) - c.LR*(mi/bc1)/(math.Sqrt(vi/bc2)+c.Eps))
	}
}

// adamUpdate32 is Adam's update for float32 parameters in float32
// arithmetic, as PyTorch computes it: with the bias corrections folded
// into two constants, p ← p − (α/(1−β1ᵗ))·m / (√v·(1/√(1−β2ᵗ)) + ε),
// i.e. one square root and one division per parameter (bench/NOTES.md
// measures it against adamUpdate's float64 arithmetic on float32 weights).
// Large tensors are split among GOMAXPROCS goroutines; every element is
// independent, so the result does not depend on the split.
func adamUpdate32(p, g, m, v []float32, c AdamConfig, bc1, bc2 float64) {
	k := adamConst32{
		b1: float32(c.Beta1), c1: float32(1 - c.Beta1),
		b2: float32(c.Beta2), c2: float32(1 - c.Beta2),
		step: float32(c.LR / bc1), isb2: float32(1 / math.Sqrt(bc2)), eps: float32(c.Eps),
	}
	if workers(len(p)) <= 1 {
		k.update(p, g, m, v) // no closure: Step does not allocate
		return
	}
	parallelChunks(len(p), func(lo, hi int) { k.update(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]) })
}

// adamConst32 holds the float32 constants of one adamUpdate32 call: the
// decay rates b1 = β1, b2 = β2 and their complements c1 = 1 − β1,
// c2 = 1 − β2, step = α/(1 − β1ᵗ), isb2 = 1/√(1 − β2ᵗ) and eps = ε. The
// assembly in adam_amd64.s reads its fields by offset: keep their order.
type adamConst32 struct{ b1, c1, b2, c2, step, isb2, eps float32 }

// update applies the Adam step of k to p, m and v given the gradient g
// (g, m and v at least as long as p, and none overlapping another). It runs
// the vector kernel adamBulk, where there is one (AVX on amd64), on a
// leading multiple of its width and updateGo on the rest; both give
// bit-identical results.
func (k adamConst32) update(p, g, m, v []float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	n := adamBulk(&k, p, g, m, v)
	k.updateGo(p[n:], g[n:], m[n:], v[n:])
}

// updateGo is update in plain Go, the reference for adamBulk: the Go
// compiler does not fuse its multiply-adds, so a vector kernel that keeps
// its order of operations reproduces it bit for bit.
func (k adamConst32) updateGo(p, g, m, v []float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i]
		mi := k.b1*m[i] + k.c1*gi
		vi := k.b2*v[i] + k.c2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= k.step * mi / (float32(math.Sqrt(float64(vi)))*k.isb2 + k.eps)
	}
}
