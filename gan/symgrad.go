package gan

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// inputGradient adds to out's graph the gradient of Σ out with respect to
// x (a node of the same graph on which out depends), built from the ops'
// SymDiff, the same expressions G.Grad would build.
//
// It exists because of how Gorgonia v0.9.18's Backpropagate treats a node
// it has differentiated before: it marks every node it differentiates,
// and a later G.Grad through a marked node takes the old derivative as
// that node's gradient and stops there instead of differentiating
// through it. A gradient penalty differentiates twice (the loss contains
// ∇ₓD, whose gradient with respect to D's weights the trainer then asks
// for), so the first differentiation must leave no marks: this one marks
// nothing, and the trainer's single G.Grad then differentiates the
// gradient expressions like any others (double backprop), as long as
// every op on the way has a differentiable SymDiff.
func inputGradient(out, x *G.Node) (grad *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			grad, err = nil, fmt.Errorf("gan: input gradient: gorgonia: %v", r)
		}
	}()
	g := out.Graph()
	sorted, err := G.Sort(g) // outputs first
	if err != nil {
		return nil, fmt.Errorf("gan: input gradient: sort graph: %w", err)
	}
	children := func(n *G.Node) []*G.Node {
		var cs []*G.Node
		it := g.From(n.ID())
		for it.Next() {
			cs = append(cs, it.Node().(*G.Node))
		}
		return cs
	}
	diffWRT := func(n *G.Node, k int) []bool {
		if op, ok := n.Op().(G.SDOp); ok {
			return op.DiffWRT(k)
		}
		return make([]bool, k)
	}
	// Nodes out depends on differentiably, and nodes that depend on x.
	fromOut := map[*G.Node]bool{out: true}
	for _, n := range sorted {
		if !fromOut[n] || n.Op() == nil {
			continue
		}
		cs := children(n)
		for j, d := range diffWRT(n, len(cs)) {
			if d {
				fromOut[cs[j]] = true
			}
		}
	}
	onX := map[*G.Node]bool{x: true}
	for i := len(sorted) - 1; i >= 0; i-- {
		n := sorted[i]
		if n.Op() == nil {
			continue
		}
		cs := children(n)
		for j, d := range diffWRT(n, len(cs)) {
			if d && onX[cs[j]] {
				onX[n] = true
				break
			}
		}
	}
	if !fromOut[x] {
		return nil, fmt.Errorf("gan: input gradient: the output does not depend differentiably on %v", x)
	}
	var seed *G.Node
	if out.IsScalar() {
		seed = G.NewConstant(castScalar(out.Dtype(), 1), G.In(g))
	} else {
		ones := tensor.Ones(out.Dtype(), out.Shape()...)
		seed = G.NewConstant(ones, G.In(g), G.WithName(fmt.Sprintf("ones#%d", out.ID())))
	}
	grads := map[*G.Node][]*G.Node{out: {seed}}
	for _, n := range sorted {
		if !fromOut[n] || !onX[n] {
			continue
		}
		gs := grads[n]
		if len(gs) == 0 {
			return nil, fmt.Errorf("gan: input gradient: no gradient reaches %v", n)
		}
		gn := gs[0]
		if len(gs) > 1 {
			if gn, err = G.ReduceAdd(gs); err != nil {
				return nil, fmt.Errorf("gan: input gradient: sum gradients of %v: %w", n, err)
			}
		}
		if n == x {
			return gn, nil
		}
		op, ok := n.Op().(G.SDOp)
		if !ok {
			return nil, fmt.Errorf("gan: input gradient: op %v is not symbolically differentiable", n.Op())
		}
		cs := children(n)
		cgs, err := op.SymDiff(cs, n, gn)
		if err != nil {
			return nil, fmt.Errorf("gan: input gradient: differentiate %v: %w", n.Op(), err)
		}
		for j, d := range op.DiffWRT(len(cs)) {
			if d && onX[cs[j]] && fromOut[cs[j]] && cgs[j] != nil {
				grads[cs[j]] = append(grads[cs[j]], cgs[j])
			}
		}
	}
	return nil, fmt.Errorf("gan: input gradient: %v not reached", x)
}
