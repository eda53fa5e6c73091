package losses

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// expr builds an expression on the graph of a loss's inputs. It records
// the first error and turns every later operation into a no-op, so a loss
// reads as its formula instead of a ladder of error checks.
type expr struct {
	g   *G.ExprGraph
	dt  tensor.Dtype
	err error
}

// build checks the logits, runs f to build the loss and checks that the
// result is a scalar. A panic inside Gorgonia is returned as an error.
func build(what string, f func(*expr) *G.Node, inputs ...*G.Node) (out *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("losses: %s: gorgonia: %v", what, r)
		}
	}()
	e, err := newExpr(inputs...)
	if err != nil {
		return nil, fmt.Errorf("losses: %s: %w", what, err)
	}
	out = f(e)
	if e.err != nil {
		return nil, fmt.Errorf("losses: %s: %w", what, e.err)
	}
	if !out.IsScalar() {
		return nil, fmt.Errorf("losses: %s: result has shape %v, want a scalar", what, out.Shape())
	}
	return out, nil
}

// newExpr checks that the logits are non-nil float32 or float64 vectors
// of one dtype on one graph.
func newExpr(inputs ...*G.Node) (*expr, error) {
	names := [...]string{"real", "fake"}
	if len(inputs) == 1 {
		names[0] = "fake"
	}
	e := &expr{}
	for i, n := range inputs {
		if n == nil {
			return nil, fmt.Errorf("%s logits are nil", names[i])
		}
		dt := n.Dtype()
		if dt != tensor.Float32 && dt != tensor.Float64 {
			return nil, fmt.Errorf("%s logits have dtype %v, want float32 or float64", names[i], dt)
		}
		if n.Dims() != 1 {
			return nil, fmt.Errorf("%s logits have shape %v, want [batch]", names[i], n.Shape())
		}
		if i == 0 {
			e.g, e.dt = n.Graph(), dt
			continue
		}
		if dt != e.dt {
			return nil, fmt.Errorf("real logits are %v but fake logits are %v", e.dt, dt)
		}
		if n.Graph() != e.g {
			return nil, fmt.Errorf("real and fake logits belong to different graphs")
		}
	}
	return e, nil
}

func (e *expr) apply1(f func(*G.Node) (*G.Node, error), a *G.Node) *G.Node {
	if e.err != nil {
		return nil
	}
	n, err := f(a)
	if err != nil {
		e.err = err
	}
	return n
}

func (e *expr) apply2(f func(a, b *G.Node) (*G.Node, error), a, b *G.Node) *G.Node {
	if e.err != nil {
		return nil
	}
	n, err := f(a, b)
	if err != nil {
		e.err = err
	}
	return n
}

// constant returns the scalar v as a constant of the inputs' dtype.
func (e *expr) constant(v float64) *G.Node {
	if e.err != nil {
		return nil
	}
	if e.dt == tensor.Float32 {
		return G.NewConstant(float32(v), G.In(e.g))
	}
	return G.NewConstant(v, G.In(e.g))
}

func (e *expr) neg(a *G.Node) *G.Node      { return e.apply1(G.Neg, a) }
func (e *expr) square(a *G.Node) *G.Node   { return e.apply1(G.Square, a) }
func (e *expr) softplus(a *G.Node) *G.Node { return e.apply1(G.Softplus, a) }
func (e *expr) relu(a *G.Node) *G.Node     { return e.apply1(G.Rectify, a) }
func (e *expr) add(a, b *G.Node) *G.Node   { return e.apply2(G.Add, a, b) }
func (e *expr) sub(a, b *G.Node) *G.Node   { return e.apply2(G.Sub, a, b) }
func (e *expr) mul(a, b *G.Node) *G.Node   { return e.apply2(G.HadamardProd, a, b) }

// mean averages all elements of a.
func (e *expr) mean(a *G.Node) *G.Node {
	return e.apply1(func(a *G.Node) (*G.Node, error) { return G.Mean(a) }, a)
}
