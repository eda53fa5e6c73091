package gpu

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/optim"
)

// Optimizer applies one of package optim's optimizers on the device, with
// the same arithmetic (kernels KAdam, KSGD, KRMSProp) and its state
// (moment buffers, step count) in device buffers. State and SetState
// convert from and to optim.State, so a checkpoint holds the same
// optimizer state whichever device trained.
type Optimizer struct {
	dev    Device
	kind   string
	adam   optim.AdamConfig
	sgd    optim.SGDConfig
	rms    optim.RMSPropConfig
	names  []string
	steps  int
	params []Buffer
	bufs   [][]Buffer // [name][param]
}

// NewOptimizer returns the device twin of host (an *optim.Adam, *optim.SGD
// or *optim.RMSProp) for the parameters in params, with host's state.
func NewOptimizer(dev Device, host optim.Optimizer, params []Buffer) (*Optimizer, error) {
	o := &Optimizer{dev: dev, params: params}
	if err := o.configure(host); err != nil {
		return nil, err
	}
	o.bufs = make([][]Buffer, len(o.names))
	for b := range o.names {
		for _, p := range params {
			buf, err := dev.Alloc(p.Len())
			if err != nil {
				o.Close()
				return nil, err
			}
			o.bufs[b] = append(o.bufs[b], buf)
		}
	}
	if err := o.SetState(host.State()); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

// configure takes host's kind and hyper-parameters (not its state).
func (o *Optimizer) configure(host optim.Optimizer) error {
	switch h := host.(type) {
	case *optim.Adam:
		o.kind, o.adam, o.names = "adam", h.Config(), []string{"exp_avg", "exp_avg_sq"}
	case *optim.SGD:
		o.kind, o.sgd, o.names = "sgd", h.Config(), nil
		if o.sgd.Momentum != 0 {
			o.names = []string{"momentum_buffer"}
		}
	case *optim.RMSProp:
		o.kind, o.rms, o.names = "rmsprop", h.Config(), []string{"square_avg"}
	default:
		return fmt.Errorf("gpu: optimizer %T has no device kernel: %w", host, ErrUnsupported)
	}
	return nil
}

// Reconfigure takes host's hyper-parameters (a learning rate change),
// keeping the device state. host must be of the same kind.
func (o *Optimizer) Reconfigure(host optim.Optimizer) error {
	kind, names := o.kind, o.names
	if err := o.configure(host); err != nil {
		return err
	}
	if o.kind != kind || len(o.names) != len(names) {
		return fmt.Errorf("gpu: optimizer: cannot change %s into %s", kind, o.kind)
	}
	return nil
}

// Step applies one update with the gradients grads (one per parameter,
// each of its parameter's size).
func (o *Optimizer) Step(grads []Ptr) error {
	if len(grads) != len(o.params) {
		return fmt.Errorf("gpu: optimizer: %d gradients for %d parameters", len(grads), len(o.params))
	}
	o.steps++
	var adamF [MaxFloats]float32 // Adam's constants of this step, bias corrections folded in
	if o.kind == "adam" {
		c, t := o.adam, float64(o.steps)
		bc1, bc2 := 1-math.Pow(c.Beta1, t), 1-math.Pow(c.Beta2, t)
		adamF = [MaxFloats]float32{float32(c.Beta1), float32(1 - c.Beta1), float32(c.Beta2), float32(1 - c.Beta2),
			float32(c.LR / bc1), float32(1 / math.Sqrt(bc2)), float32(c.Eps)}
	}
	var p Params
	for i, w := range o.params {
		p = Params{}
		p.I[0] = int32(w.Len())
		p.P[0], p.P[1] = Ptr{Buf: w}, grads[i]
		var k Kernel
		switch o.kind {
		case "adam":
			k = KAdam
			p.P[2], p.P[3] = Ptr{Buf: o.bufs[0][i]}, Ptr{Buf: o.bufs[1][i]}
			p.F = adamF
		case "sgd":
			k = KSGD
			if len(o.bufs) > 0 {
				p.P[2] = Ptr{Buf: o.bufs[0][i]}
			} else {
				p.P[2] = Ptr{Buf: w} // unused without momentum
			}
			if o.sgd.Nesterov {
				p.I[1] = 1
			}
			p.F[0], p.F[1] = float32(o.sgd.LR), float32(o.sgd.Momentum)
		case "rmsprop":
			k = KRMSProp
			p.P[2] = Ptr{Buf: o.bufs[0][i]}
			p.F[0], p.F[1], p.F[2] = float32(o.rms.LR), float32(o.rms.Alpha), float32(o.rms.Eps)
		}
		if err := o.dev.Launch(k, &p); err != nil {
			return fmt.Errorf("gpu: %s update of parameter %d: %w", o.kind, i, err)
		}
	}
	return nil
}

// State downloads the optimizer's state in optim's format.
func (o *Optimizer) State() (optim.State, error) {
	s := optim.State{Kind: o.kind, Steps: o.steps}
	if o.steps == 0 {
		return s, nil
	}
	for b, name := range o.names {
		buf := optim.Buffer{Name: name, Data: make([][]float64, len(o.params))}
		for i, db := range o.bufs[b] {
			tmp := make([]float32, db.Len())
			if err := o.dev.Download(tmp, Ptr{Buf: db}); err != nil {
				return optim.State{}, fmt.Errorf("gpu: %s state: %w", o.kind, err)
			}
			d := make([]float64, len(tmp))
			for j, v := range tmp {
				d[j] = float64(v)
			}
			buf.Data[i] = d
		}
		s.Buffers = append(s.Buffers, buf)
	}
	return s, nil
}

// SetState uploads s (in optim's format; an empty state zeroes the
// buffers).
func (o *Optimizer) SetState(s optim.State) error {
	if s.Kind != o.kind {
		return fmt.Errorf("gpu: optimizer %s: cannot restore a state of kind %q", o.kind, s.Kind)
	}
	if len(s.Buffers) != 0 && len(s.Buffers) != len(o.names) {
		return fmt.Errorf("gpu: optimizer %s: state has %d buffers, want %d", o.kind, len(s.Buffers), len(o.names))
	}
	for b := range o.names {
		for i, db := range o.bufs[b] {
			tmp := make([]float32, db.Len())
			if len(s.Buffers) != 0 {
				src := s.Buffers[b].Data
				if i >= len(src) || len(src[i]) != len(tmp) {
					return fmt.Errorf("gpu: optimizer %s: state buffer %q does not match parameter %d (%d elements)", o.kind, o.names[b], i, len(tmp))
				}
				for j, v := range src[i] {
					tmp[j] = float32(v)
				}
			}
			if err := o.dev.Upload(Ptr{Buf: db}, tmp); err != nil {
				return err
			}
		}
	}
	o.steps = s.Steps
	return nil
}

// Close frees the state buffers.
func (o *Optimizer) Close() error {
	for _, bs := range o.bufs {
		for _, b := range bs {
			o.dev.Free(b)
		}
	}
	o.bufs = nil
	return nil
}
