// Package optim holds the gradient-descent optimizers gogan trains with:
// Adam, SGD (with momentum and Nesterov momentum) and RMSProp, each
// following the update rule of PyTorch's optimizer of the same name.
//
// An Optimizer updates a fixed, ordered list of parameter tensors in place
// from their gradients, which the trainer reads out of Gorgonia's graph as
// *tensor.Dense. Parameters may be float32 or float64, and each
// parameter's buffers have its dtype. Adam updates float32 parameters in
// float32 arithmetic, as PyTorch does (eight at a time with AVX on amd64,
// and a tensor of 65,536 elements or more split among GOMAXPROCS
// goroutines); SGD, RMSProp and Adam on float64 parameters compute in
// float64. After the first Step, which allocates the buffers, Step
// allocates nothing except the goroutines of such a split.
//
// State and SetState export and restore an optimizer's complete state, so
// a training run resumed from a checkpoint continues bit for bit as if it
// had never stopped.
//
// Optimizers are not safe for concurrent use.
package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gorgonia.org/tensor"
)

// Float is the set of element types the optimizers' update kernels work
// on.
type Float interface{ ~float32 | ~float64 }

// Optimizer updates a fixed list of parameter tensors from their
// gradients.
type Optimizer interface {
	// Step applies one update, params[i] -= f(grads[i]). params and grads
	// are *tensor.Dense of the same shape and dtype (float32 or float64),
	// given in the same order on every call; the first call fixes the
	// number, shapes and dtypes of the parameters. On error nothing is
	// updated.
	Step(params, grads []*tensor.Dense) error
	// State returns a deep copy of the optimizer's complete state.
	State() State
	// SetState replaces the optimizer's state with a copy of s, which
	// must come from an optimizer of the same kind and configuration of
	// buffers. Before the first Step the buffers' sizes are checked
	// against the parameters by that Step.
	SetState(s State) error
}

// State is an optimizer's complete mutable state, for checkpoints. The
// hyperparameters are not part of it: they come from the configuration
// of the optimizer the state is restored into.
//
// Values are exported as float64; float32 buffers convert exactly both
// ways, so a round trip through State is lossless.
type State struct {
	// Kind is the optimizer's name: "adam", "sgd" or "rmsprop".
	Kind string `json:"kind"`
	// Steps is the number of updates applied so far (Adam's t).
	Steps int `json:"steps"`
	// Buffers are the per-parameter buffers, in a fixed order for each
	// kind (see Adam, SGD and RMSProp); empty before the first Step.
	Buffers []Buffer `json:"buffers,omitempty"`
}

// Buffer is one named per-parameter buffer of an optimizer's State.
type Buffer struct {
	// Name is the buffer's name, such as "exp_avg".
	Name string `json:"name"`
	// Data holds one slice per parameter, in the order given to Step,
	// each with as many elements as its parameter.
	Data [][]float64 `json:"data"`
}

// Errors that the optimizers wrap, for errors.Is.
var (
	// ErrConfig reports an invalid hyperparameter.
	ErrConfig = errors.New("invalid configuration")
	// ErrMismatch reports parameters and gradients given to Step that do
	// not fit each other or the parameters of the first call.
	ErrMismatch = errors.New("parameters and gradients do not match")
	// ErrState reports a State that does not fit the optimizer.
	ErrState = errors.New("incompatible state")
)

// Names returns the names ByName accepts.
func Names() []string { return []string{"adam", "sgd", "rmsprop"} }

// ByName returns the optimizer called name ("adam", "sgd" or "rmsprop",
// ignoring case) with learning rate lr and every other hyperparameter at
// its default: Adam with β1 0.9, β2 0.999; plain SGD without momentum;
// RMSProp with α 0.99.
func ByName(name string, lr float64) (Optimizer, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "adam":
		return NewAdam(AdamConfig{LR: lr})
	case "sgd":
		return NewSGD(SGDConfig{LR: lr})
	case "rmsprop":
		return NewRMSProp(RMSPropConfig{LR: lr})
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// checkLR reports a learning rate that is not a positive finite number.
func checkLR(kind string, lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 1) {
		return fmt.Errorf("optim: %s: learning rate must be positive and finite, got %v: %w", kind, lr, ErrConfig)
	}
	return nil
}

// checkUnit reports a decay rate outside [0, 1).
func checkUnit(kind, name string, v float64) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("optim: %s: %s must lie in [0, 1), got %v: %w", kind, name, v, ErrConfig)
	}
	return nil
}

// checkEps reports an epsilon that is not a positive finite number.
func checkEps(kind string, eps float64) error {
	if !(eps > 0) || math.IsInf(eps, 1) {
		return fmt.Errorf("optim: %s: eps must be positive and finite, got %v: %w", kind, eps, ErrConfig)
	}
	return nil
}

var (
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*RMSProp)(nil)
)
