// Package nn holds the building blocks that gogan's networks are made of:
// parameters that live outside any one Gorgonia graph, a Builder that binds
// them into a graph, and layers (dense, batch norm, dropout, minibatch
// discrimination, activations) and weight initialisers.
//
// A GAN trainer needs the same network in several graphs: the generator is
// evaluated in the discriminator's training graph (to make fake samples),
// in its own training graph (to be differentiated through the
// discriminator) and in a sampling graph (in inference mode). Gorgonia
// cannot freeze part of a graph's learnables, so gogan builds one small
// graph per job and shares the parameter tensors between them: a Param owns
// a *tensor.Dense, and every graph's node for it is bound to that very
// tensor. Updating the tensor in place (as the optimizers in package optim
// do) updates the network in every graph at once, with no copies.
package nn

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Param is a named tensor of a network: a learnable weight, or a buffer
// such as batch norm's running mean that is saved with the network but not
// trained by gradient descent.
type Param struct {
	// Name identifies the parameter within its Params, e.g. "dense0/w".
	Name string
	// Value is the parameter's tensor, shared by every graph that uses it.
	Value *tensor.Dense
	// Learnable is false for buffers.
	Learnable bool
}

// Params is an ordered collection of the parameters of one network. The
// order is the order of creation and is stable, which makes saving,
// loading and optimizer state reproducible.
type Params struct {
	dtype  tensor.Dtype
	list   []*Param
	byName map[string]*Param
}

// NewParams returns an empty collection whose tensors will have the given
// dtype (tensor.Float32 or tensor.Float64).
func NewParams(dtype tensor.Dtype) (*Params, error) {
	if dtype != tensor.Float32 && dtype != tensor.Float64 {
		return nil, fmt.Errorf("nn: unsupported dtype %v (want float32 or float64)", dtype)
	}
	return &Params{dtype: dtype, byName: map[string]*Param{}}, nil
}

// Dtype returns the dtype of the collection's tensors.
func (ps *Params) Dtype() tensor.Dtype { return ps.dtype }

// New adds a learnable parameter of the given shape, filled by init drawing
// from rng.
func (ps *Params) New(name string, shape []int, init Init, rng *rand.Rand) (*Param, error) {
	return ps.add(name, shape, init, rng, true)
}

// NewBuffer adds a parameter that is saved with the network but not
// trained, such as a running mean.
func (ps *Params) NewBuffer(name string, shape []int, init Init, rng *rand.Rand) (*Param, error) {
	return ps.add(name, shape, init, rng, false)
}

func (ps *Params) add(name string, shape []int, init Init, rng *rand.Rand, learnable bool) (*Param, error) {
	if name == "" {
		return nil, fmt.Errorf("nn: parameter with an empty name")
	}
	if _, dup := ps.byName[name]; dup {
		return nil, fmt.Errorf("nn: duplicate parameter %q", name)
	}
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("nn: parameter %q: non-positive dimension in shape %v", name, shape)
		}
		n *= d
	}
	vals := make([]float64, n)
	if init != nil {
		init(rng, shape, vals)
	}
	var t *tensor.Dense
	switch ps.dtype {
	case tensor.Float32:
		f := make([]float32, n)
		for i, v := range vals {
			f[i] = float32(v)
		}
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	default:
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(vals))
	}
	p := &Param{Name: name, Value: t, Learnable: learnable}
	ps.list = append(ps.list, p)
	ps.byName[name] = p
	return p, nil
}

// All returns every parameter, learnable or not, in creation order.
func (ps *Params) All() []*Param { return ps.list }

// Learnables returns the learnable parameters in creation order.
func (ps *Params) Learnables() []*Param {
	var out []*Param
	for _, p := range ps.list {
		if p.Learnable {
			out = append(out, p)
		}
	}
	return out
}

// Get returns the parameter with the given name.
func (ps *Params) Get(name string) (*Param, bool) {
	p, ok := ps.byName[name]
	return p, ok
}

// Count returns the number of scalar values in the learnable parameters.
func (ps *Params) Count() int {
	n := 0
	for _, p := range ps.Learnables() {
		n += p.Value.Shape().TotalSize()
	}
	return n
}

// CopyFrom copies every value of src into ps. The two collections must have
// the same names, shapes and dtype in the same order; nothing is copied
// unless all of them match.
func (ps *Params) CopyFrom(src *Params) error {
	if len(src.list) != len(ps.list) {
		return fmt.Errorf("nn: copy parameters: have %d, source has %d", len(ps.list), len(src.list))
	}
	for i, p := range ps.list {
		q := src.list[i]
		if p.Name != q.Name || !p.Value.Shape().Eq(q.Value.Shape()) || p.Value.Dtype() != q.Value.Dtype() {
			return fmt.Errorf("nn: copy parameters: %q %v %v does not match source %q %v %v",
				p.Name, p.Value.Shape(), p.Value.Dtype(), q.Name, q.Value.Shape(), q.Value.Dtype())
		}
	}
	for i, p := range ps.list {
		tensor.Copy(p.Value, src.list[i].Value)
	}
	return nil
}

// Float64s returns a copy of a parameter's values as float64.
func (p *Param) Float64s() []float64 {
	switch d := p.Value.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}

// SetFloat64s overwrites a parameter's values; len(vals) must equal the
// parameter's size.
func (p *Param) SetFloat64s(vals []float64) error {
	switch d := p.Value.Data().(type) {
	case []float32:
		if len(d) != len(vals) {
			return fmt.Errorf("nn: set %q: %d values for a parameter of size %d", p.Name, len(vals), len(d))
		}
		for i, v := range vals {
			d[i] = float32(v)
		}
	case []float64:
		if len(d) != len(vals) {
			return fmt.Errorf("nn: set %q: %d values for a parameter of size %d", p.Name, len(vals), len(d))
		}
		copy(d, vals)
	}
	return nil
}
