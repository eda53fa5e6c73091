package optim

// Settings configure an optimizer: AdamConfig, SGDConfig and RMSPropConfig
// are Settings, and so is any type of yours that builds an Optimizer, so
// a trainer can take any optimizer and change its learning rate (a
// schedule) without knowing its kind.
type Settings interface {
	// New returns a fresh optimizer with these settings (no state), or an
	// error naming the setting that is invalid.
	New() (Optimizer, error)
	// LearningRate returns the learning rate.
	LearningRate() float64
	// WithLearningRate returns the same settings with learning rate lr.
	WithLearningRate(lr float64) Settings
}

// New returns an Adam optimizer with c (NewAdam).
func (c AdamConfig) New() (Optimizer, error) { return NewAdam(c) }

// LearningRate returns c.LR.
func (c AdamConfig) LearningRate() float64 { return c.LR }

// WithLearningRate returns c with LR lr.
func (c AdamConfig) WithLearningRate(lr float64) Settings { c.LR = lr; return c }

// New returns an SGD optimizer with c (NewSGD).
func (c SGDConfig) New() (Optimizer, error) { return NewSGD(c) }

// LearningRate returns c.LR.
func (c SGDConfig) LearningRate() float64 { return c.LR }

// WithLearningRate returns c with LR lr.
func (c SGDConfig) WithLearningRate(lr float64) Settings { c.LR = lr; return c }

// New returns an RMSProp optimizer with c (NewRMSProp).
func (c RMSPropConfig) New() (Optimizer, error) { return NewRMSProp(c) }

// LearningRate returns c.LR.
func (c RMSPropConfig) LearningRate() float64 { return c.LR }

// WithLearningRate returns c with LR lr.
func (c RMSPropConfig) WithLearningRate(lr float64) Settings { c.LR = lr; return c }
