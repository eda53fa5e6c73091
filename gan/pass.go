package gan

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pass is one graph, its machine and the nodes a run reads and writes.
type pass struct {
	b       *nn.Builder
	prog    *G.ExprGraph // the part of b's graph the machine runs
	vm      G.VM
	zs      []*tensor.Dense // noise inputs, one per generator, refilled in place before each run
	real    *tensor.Dense   // the real batch (discriminator pass only)
	noise   []*tensor.Dense // instance noise inputs (empty when off)
	ys      []*tensor.Dense // one-hot classes of the generated batches (conditional trainers)
	realY   *tensor.Dense   // one-hot classes of the real batch (conditional discriminator pass)
	losses  []G.Value       // one per network the pass trains
	realOut []G.Value       // logits of the real batch per discriminator (discriminator pass only)
	fakeOut [][]G.Value     // [discriminator][generator] logits of the generated batches
	samples G.Value         // generator 0's batch (discriminator and sampling passes)
	grads   [][]G.Value     // per network, per learnable parameter
	gradT   [][]*tensor.Dense
	// gradNorm is the L2 norm of each network's gradients (all its
	// learnables' as one vector) in the last run, averaged over the
	// networks the pass trains; check sets it (runDevice on a device).
	gradNorm float64

	gradNodes [][]*G.Node // the gradient nodes, as grads
	reads     []passRead  // the values a step reads (losses, logits, samples)
	dev       *devPass    // the compiled program when the trainer runs on a device

	// eps are WGAN-GP's interpolation weights ε and 1 − ε (empty without
	// that penalty); epsDrawn the ε of the last run, one per sample.
	eps      [][2]*tensor.Dense
	epsDrawn [][]float64
}

// finish differentiates the sum of the networks' losses with respect to
// each network's learnables, arranges for the values a step reads to be
// copied out during the run, and compiles the machine.
func (p *pass) finish(netLosses []*G.Node, wrt []G.Nodes) error {
	g := p.b.Graph()
	// The roots the networks and the step built (their outputs and Read
	// nodes); G.Grad adds gradient nodes after this point.
	var keep G.Nodes
	for _, n := range g.AllNodes() {
		if g.To(n.ID()).Len() == 0 {
			keep = append(keep, n)
		}
	}
	if len(netLosses) > 0 {
		total := netLosses[0]
		for _, l := range netLosses[1:] {
			var err error
			if total, err = G.Add(total, l); err != nil {
				return fmt.Errorf("gan: sum losses: %w", err)
			}
		}
		var all G.Nodes
		for _, w := range wrt {
			all = append(all, w...)
		}
		grads, err := G.Grad(total, all...)
		if err != nil {
			return fmt.Errorf("gan: differentiate: %w", err)
		}
		p.losses = make([]G.Value, len(netLosses))
		for i, l := range netLosses {
			keep = append(keep, p.read(l, &p.losses[i]))
		}
		p.grads = make([][]G.Value, len(wrt))
		p.gradT = make([][]*tensor.Dense, len(wrt))
		p.gradNodes = make([][]*G.Node, len(wrt))
		k := 0
		for i, w := range wrt {
			p.grads[i] = make([]G.Value, len(w))
			p.gradT[i] = make([]*tensor.Dense, len(w))
			p.gradNodes[i] = grads[k : k+len(w)]
			for j := range w {
				keep = append(keep, G.Read(grads[k], &p.grads[i][j]))
				k++
			}
		}
	}
	p.prog = prune(g, keep)
	p.vm = G.NewTapeMachine(p.prog)
	return nil
}

// prune returns the part of g that computes the nodes in keep. Gorgonia's
// G.Grad adds, for every op on the way, the gradients of all its inputs
// (the input gradient of D's first layer in the discriminator pass, the
// gradients of D's weights in the generator pass), and a tape machine runs
// every node of its graph; compiling only what the step reads skips that
// work (bench/NOTES.md, lever 4b). Read statements of kept nodes are kept
// with them.
func prune(g *G.ExprGraph, keep G.Nodes) *G.ExprGraph {
	if !pruneGraphs {
		return g
	}
	return g.SubgraphRoots(keep...)
}

// pruneGraphs is false only in the test that checks pruning changes no
// number.
var pruneGraphs = true

// run executes one pass of p's machine.
func (t *Trainer) run(p *pass) error {
	p.b.BeforeRun(t.rng)
	if t.dev != nil {
		return t.runDevice(p)
	}
	defer p.vm.Reset()
	return p.vm.RunAll()
}

// check verifies the losses and gradients of the last run of p, sets
// p.gradNorm on the CPU, and returns the mean loss; who names the
// networks ("discriminator").
func (t *Trainer) check(p *pass, who string) (float64, error) {
	mean := 0.0
	if p.dev == nil {
		p.gradNorm = 0
	}
	for n, v := range p.losses {
		loss := scalar(v)
		name := who
		if len(p.losses) > 1 {
			name = fmt.Sprintf("%s %d", who, n)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, fmt.Errorf("gan: step %d: %s loss is %v; weights left as they were before this update: %w", t.step+1, name, loss, ErrNonFinite)
		}
		if p.dev != nil {
			if p.dev.bad[n] {
				i := p.dev.badAt[n][0]
				return loss, fmt.Errorf("gan: step %d: %s gradient %d (of shape %v) is not finite; weights left as they were before this update: %w",
					t.step+1, name, i, p.gradNodes[n][i].Shape(), ErrNonFinite)
			}
			mean += loss / float64(len(p.losses))
			continue
		}
		sq := 0.0
		for i, g := range p.grads[n] {
			p.gradT[n][i] = g.(*tensor.Dense)
			s, ok := sumSquares(p.gradT[n][i])
			if !ok {
				return loss, fmt.Errorf("gan: step %d: %s gradient %d (of shape %v) is not finite; weights left as they were before this update: %w",
					t.step+1, name, i, p.gradT[n][i].Shape(), ErrNonFinite)
			}
			sq += s
		}
		p.gradNorm += math.Sqrt(sq) / float64(len(p.losses))
		mean += loss / float64(len(p.losses))
	}
	return mean, nil
}

// sumSquares returns the sum of the squares of t's elements, in float64,
// and whether every element is finite, in one pass over the data. A
// float32 squared in float64 cannot overflow (and no realistic number of
// them can overflow the sum), so for float32 data the sum is finite
// exactly when every element is; float64 data whose sum is not finite is
// checked element by element (a finite but huge gradient overflows the
// sum to +Inf, which is then its norm). Eight accumulators keep the loop
// from waiting on one add chain.
func sumSquares(t *tensor.Dense) (sum float64, allFinite bool) {
	switch d := t.Data().(type) {
	case []float32:
		s := sumSquares32(d)
		return s, !math.IsNaN(s) && !math.IsInf(s, 0)
	case []float64:
		var a [8]float64
		i := 0
		for ; i+8 <= len(d); i += 8 {
			v := d[i : i+8 : i+8]
			a[0] += v[0] * v[0]
			a[1] += v[1] * v[1]
			a[2] += v[2] * v[2]
			a[3] += v[3] * v[3]
			a[4] += v[4] * v[4]
			a[5] += v[5] * v[5]
			a[6] += v[6] * v[6]
			a[7] += v[7] * v[7]
		}
		for ; i < len(d); i++ {
			a[0] += d[i] * d[i]
		}
		s := ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return s, finite(d)
		}
		return s, true
	case float32: // one-element tensors report their data as a scalar
		s := float64(d) * float64(d)
		return s, !math.IsNaN(s) && !math.IsInf(s, 0)
	case float64:
		return d * d, !math.IsNaN(d) && !math.IsInf(d, 0)
	}
	return 0, true
}

// sumSquares32 is sumSquares's float32 loop.
func sumSquares32(d []float32) float64 {
	var a [8]float64
	i := 0
	for ; i+8 <= len(d); i += 8 {
		v := d[i : i+8 : i+8]
		a[0] += float64(v[0]) * float64(v[0])
		a[1] += float64(v[1]) * float64(v[1])
		a[2] += float64(v[2]) * float64(v[2])
		a[3] += float64(v[3]) * float64(v[3])
		a[4] += float64(v[4]) * float64(v[4])
		a[5] += float64(v[5]) * float64(v[5])
		a[6] += float64(v[6]) * float64(v[6])
		a[7] += float64(v[7]) * float64(v[7])
	}
	for ; i < len(d); i++ {
		a[0] += float64(d[i]) * float64(d[i])
	}
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

// apply folds the batch statistics of the last run of p into the running
// ones and, unless skip, applies the optimizers.
func (t *Trainer) apply(p *pass, who string, opts []optim.Optimizer, params [][]*tensor.Dense, skip bool) error {
	if t.dev != nil {
		devOpts := t.dev.gOpts
		if p == t.d {
			devOpts = t.dev.dOpts
		}
		return t.applyDevice(p, devOpts, skip)
	}
	if err := p.b.AfterRun(); err != nil {
		return err
	}
	if skip {
		return nil
	}
	for n, o := range opts {
		if err := o.Step(params[n], p.gradT[n]); err != nil {
			return fmt.Errorf("gan: step %d: %s %d update: %w", t.step+1, who, n, err)
		}
	}
	return nil
}
