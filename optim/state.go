package optim

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"
)

// slot holds one parameter's buffers, in the parameter's dtype.
type slot struct {
	shape tensor.Shape
	dtype tensor.Dtype
	size  int
	f32   [][]float32 // one per buffer name, for float32 parameters
	f64   [][]float64 // one per buffer name, for float64 parameters
}

// core is the bookkeeping shared by the optimizers: the step count, the
// per-parameter buffers, and a state imported before the first Step.
type core struct {
	kind    string
	names   []string // buffer names, in State order
	steps   int
	slots   []slot // nil until the first Step
	pending *State // imported before the first Step, bound by it
}

// bind checks params and grads against each other and against the
// parameters of the first call, allocating the buffers on the first call.
// It changes nothing when it returns an error.
func (c *core) bind(params, grads []*tensor.Dense) error {
	if len(params) != len(grads) {
		return c.mismatch("got %d parameters but %d gradients", len(params), len(grads))
	}
	if c.slots != nil && len(params) != len(c.slots) {
		return c.mismatch("got %d parameters, want %d as on the first call", len(params), len(c.slots))
	}
	for i, p := range params {
		g := grads[i]
		if p == nil || g == nil {
			return c.mismatch("parameter %d: nil parameter or gradient", i)
		}
		dt := p.Dtype()
		if dt != tensor.Float32 && dt != tensor.Float64 {
			return c.mismatch("parameter %d has dtype %v, want float32 or float64", i, dt)
		}
		if g.Dtype() != dt {
			return c.mismatch("parameter %d is %v but its gradient is %v", i, dt, g.Dtype())
		}
		if !g.Shape().Eq(p.Shape()) {
			return c.mismatch("parameter %d has shape %v but its gradient has shape %v", i, p.Shape(), g.Shape())
		}
		if p.RequiresIterator() || g.RequiresIterator() {
			return c.mismatch("parameter %d: non-contiguous views are not supported", i)
		}
		if c.slots != nil {
			s := &c.slots[i]
			if dt != s.dtype || !p.Shape().Eq(s.shape) {
				return c.mismatch("parameter %d is %v of shape %v, want %v of shape %v as on the first call",
					i, dt, p.Shape(), s.dtype, s.shape)
			}
		}
	}
	if c.slots == nil {
		return c.allocate(params)
	}
	return nil
}

func (c *core) mismatch(format string, args ...any) error {
	return fmt.Errorf("optim: %s: step: %s: %w", c.kind, fmt.Sprintf(format, args...), ErrMismatch)
}

// allocate creates the buffers for params, filled from the pending state
// if there is one and with zeros otherwise.
func (c *core) allocate(params []*tensor.Dense) error {
	if c.pending != nil {
		if err := c.fits(c.pending, params); err != nil {
			return err
		}
	}
	slots := make([]slot, len(params))
	for i, p := range params {
		s := slot{shape: p.Shape().Clone(), dtype: p.Dtype(), size: dataLen(p)}
		for b := range c.names {
			var init []float64
			if c.pending != nil {
				init = c.pending.Buffers[b].Data[i]
			}
			if s.dtype == tensor.Float32 {
				buf := make([]float32, s.size)
				for j, v := range init {
					buf[j] = float32(v)
				}
				s.f32 = append(s.f32, buf)
			} else {
				buf := make([]float64, s.size)
				copy(buf, init)
				s.f64 = append(s.f64, buf)
			}
		}
		slots[i] = s
	}
	c.slots, c.pending = slots, nil
	return nil
}

func dataLen(p *tensor.Dense) int {
	if p.Dtype() == tensor.Float32 {
		return len(p.Float32s())
	}
	return len(p.Float64s())
}

// fits checks a state with buffers against the sizes of params.
func (c *core) fits(s *State, params []*tensor.Dense) error {
	if len(s.Buffers) == 0 {
		return nil
	}
	for _, b := range s.Buffers {
		if len(b.Data) != len(params) {
			return fmt.Errorf("optim: %s: state buffer %q has %d parameters, want %d: %w",
				c.kind, b.Name, len(b.Data), len(params), ErrState)
		}
		for i, d := range b.Data {
			if n := dataLen(params[i]); len(d) != n {
				return fmt.Errorf("optim: %s: state buffer %q of parameter %d has %d elements, want %d: %w",
					c.kind, b.Name, i, len(d), n, ErrState)
			}
		}
	}
	return nil
}

// state returns a deep copy of the state.
func (c *core) state() State {
	if c.pending != nil {
		return cloneState(*c.pending)
	}
	s := State{Kind: c.kind, Steps: c.steps}
	if c.slots == nil {
		return s
	}
	for b, name := range c.names {
		buf := Buffer{Name: name, Data: make([][]float64, len(c.slots))}
		for i := range c.slots {
			sl := &c.slots[i]
			d := make([]float64, sl.size)
			if sl.dtype == tensor.Float32 {
				for j, v := range sl.f32[b] {
					d[j] = float64(v)
				}
			} else {
				copy(d, sl.f64[b])
			}
			buf.Data[i] = d
		}
		s.Buffers = append(s.Buffers, buf)
	}
	return s
}

// setState validates s and installs a copy of it: into the existing
// buffers after the first Step, or as the pending state before it.
func (c *core) setState(s State) error {
	if s.Kind != c.kind {
		return fmt.Errorf("optim: %s: cannot restore a state of kind %q: %w", c.kind, s.Kind, ErrState)
	}
	if s.Steps < 0 {
		return fmt.Errorf("optim: %s: state has negative step count %d: %w", c.kind, s.Steps, ErrState)
	}
	if len(s.Buffers) != 0 || s.Steps != 0 {
		got := make([]string, len(s.Buffers))
		for i, b := range s.Buffers {
			got[i] = b.Name
		}
		if !slices.Equal(got, c.names) {
			return fmt.Errorf("optim: %s: state has buffers %q, want %q (a different configuration?): %w",
				c.kind, got, c.names, ErrState)
		}
	}
	for _, b := range s.Buffers {
		if len(b.Data) != len(s.Buffers[0].Data) {
			return fmt.Errorf("optim: %s: state buffers %q and %q cover %d and %d parameters: %w",
				c.kind, s.Buffers[0].Name, b.Name, len(s.Buffers[0].Data), len(b.Data), ErrState)
		}
	}
	if c.slots == nil {
		if s.Steps == 0 && len(s.Buffers) == 0 {
			c.pending, c.steps = nil, 0
			return nil
		}
		p := cloneState(s)
		c.pending, c.steps = &p, s.Steps
		return nil
	}
	if len(s.Buffers) == 0 && len(c.names) > 0 {
		if s.Steps != 0 {
			return fmt.Errorf("optim: %s: state has %d steps but no buffers: %w", c.kind, s.Steps, ErrState)
		}
		// A fresh state: reset.
		for i := range c.slots {
			c.slots[i].fill(nil)
		}
		c.steps = 0
		return nil
	}
	for _, b := range s.Buffers {
		if len(b.Data) != len(c.slots) {
			return fmt.Errorf("optim: %s: state buffer %q has %d parameters, want %d: %w",
				c.kind, b.Name, len(b.Data), len(c.slots), ErrState)
		}
		for i, d := range b.Data {
			if len(d) != c.slots[i].size {
				return fmt.Errorf("optim: %s: state buffer %q of parameter %d has %d elements, want %d: %w",
					c.kind, b.Name, i, len(d), c.slots[i].size, ErrState)
			}
		}
	}
	for i := range c.slots {
		data := make([][]float64, len(s.Buffers))
		for b := range s.Buffers {
			data[b] = s.Buffers[b].Data[i]
		}
		c.slots[i].fill(data)
	}
	c.steps = s.Steps
	return nil
}

// fill sets the slot's buffers to data[b], or to zeros where data is nil.
func (s *slot) fill(data [][]float64) {
	for b := range max(len(s.f32), len(s.f64)) {
		var src []float64
		if data != nil {
			src = data[b]
		}
		if s.dtype == tensor.Float32 {
			clear(s.f32[b])
			for j, v := range src {
				s.f32[b][j] = float32(v)
			}
		} else {
			clear(s.f64[b])
			copy(s.f64[b], src)
		}
	}
}

func cloneState(s State) State {
	out := State{Kind: s.Kind, Steps: s.Steps}
	for _, b := range s.Buffers {
		nb := Buffer{Name: b.Name, Data: make([][]float64, len(b.Data))}
		for i, d := range b.Data {
			nb.Data[i] = slices.Clone(d)
		}
		out.Buffers = append(out.Buffers, nb)
	}
	return out
}
