package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode selects how layers whose behaviour differs between training and
// generation are built: batch norm uses batch statistics in Training mode
// and running statistics in Inference mode; dropout is active only in
// Training mode.
type Mode int

const (
	// Training builds layers for a training step.
	Training Mode = iota
	// Inference builds layers for generation and evaluation.
	Inference
)

// String returns "training" or "inference".
func (m Mode) String() string {
	if m == Inference {
		return "inference"
	}
	return "training"
}

// A Builder adds networks to one Gorgonia graph. It binds each Param to a
// node of the graph (the same node every time the Param is used, so a
// network applied twice in one graph shares its weights), and it keeps the
// per-run work of stateful layers: dropout masks to redraw before each run
// and batch norm running statistics to update after each training run.
//
// Use one Builder per graph. A Builder is not safe for concurrent use.
type Builder struct {
	g      *G.ExprGraph
	mode   Mode
	nodes  map[*Param]*G.Node
	serial int
	masks  []dropoutMask
	norms  []batchStats
	// spectral caches each spectral normalisation's node; sns are those
	// to iterate before each run (Training mode; see SpectralNorm).
	spectral map[*SpectralNorm]*G.Node
	sns      []*SpectralNorm
}

// NewBuilder returns a Builder for graph g in the given mode.
func NewBuilder(g *G.ExprGraph, mode Mode) *Builder {
	return &Builder{g: g, mode: mode, nodes: map[*Param]*G.Node{}}
}

// Graph returns the builder's graph.
func (b *Builder) Graph() *G.ExprGraph { return b.g }

// Mode returns the builder's mode.
func (b *Builder) Mode() Mode { return b.mode }

// UniqueName returns name made unique within the builder's graph. Gorgonia
// merges input nodes of equal name, type and shape, so every input node a
// network adds must be named through UniqueName.
func (b *Builder) UniqueName(name string) string {
	b.serial++
	return fmt.Sprintf("%s#%d", name, b.serial)
}

// Node returns the node of the builder's graph bound to p's tensor,
// creating it on first use.
func (b *Builder) Node(p *Param) *G.Node {
	if n, ok := b.nodes[p]; ok {
		return n
	}
	shape := p.Value.Shape()
	n := G.NewTensor(b.g, p.Value.Dtype(), shape.Dims(), G.WithShape(shape...),
		G.WithName(b.UniqueName(p.Name)), G.WithValue(p.Value))
	b.nodes[p] = n
	return n
}

// Learnables returns the nodes of the learnable parameters in ps, in ps's
// order, creating nodes for parameters not used yet. Every one of them
// must take part in the graph's cost for Gorgonia to differentiate it.
func (b *Builder) Learnables(ps *Params) G.Nodes {
	var out G.Nodes
	for _, p := range ps.Learnables() {
		out = append(out, b.Node(p))
	}
	return out
}

// Input adds an input node of the given dtype and shape, bound to a zero
// tensor that the caller fills before each run (its Value() is a
// *tensor.Dense whose backing slice can be written in place).
func (b *Builder) Input(name string, dtype tensor.Dtype, shape ...int) *G.Node {
	t := tensor.New(tensor.Of(dtype), tensor.WithShape(shape...))
	return G.NewTensor(b.g, dtype, len(shape), G.WithShape(shape...), G.WithName(b.UniqueName(name)), G.WithValue(t))
}

// BeforeRun prepares the graph for a run: it does one power-iteration
// step of every spectral normalisation of a Training-mode graph and draws
// fresh dropout masks from rng. Call it before every run of a machine on
// the builder's graph.
func (b *Builder) BeforeRun(rng *rand.Rand) {
	for _, sn := range b.sns {
		sn.PowerIteration()
	}
	for _, m := range b.masks {
		m.draw(rng)
	}
}

// AfterRun finishes a run: in Training mode it folds the batch statistics
// of every batch norm layer into the layer's running statistics. Call it
// after every successful training run, before the machine is reset.
func (b *Builder) AfterRun() error {
	for _, s := range b.norms {
		if err := s.update(); err != nil {
			return err
		}
	}
	return nil
}
