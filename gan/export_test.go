package gan

import (
	"strings"

	"github.com/gogan/gogan/optim"
	G "gorgonia.org/gorgonia"
)

// SetPruneGraphs switches graph pruning for trainers built afterwards and
// returns a function that restores the previous setting.
func SetPruneGraphs(on bool) (restore func()) {
	old := pruneGraphs
	pruneGraphs = on
	return func() { pruneGraphs = old }
}

// MatMuls returns the number of matrix products in the graphs that the
// discriminator and the generator machines run.
func MatMuls(t *Trainer) (d, g int) {
	return countMatMuls(t.d.prog), countMatMuls(t.g.prog)
}

func countMatMuls(g *G.ExprGraph) int {
	n := 0
	for _, node := range g.AllNodes() {
		if op := node.Op(); op != nil && strings.Contains(op.String(), "×") {
			n++
		}
	}
	return n
}

// LastGradients returns the gradients of the last discriminator and
// generator runs, per network and learnable, from the host tensors on the
// CPU or downloaded from the device.
func LastGradients(t *Trainer) (d, g [][][]float32, err error) {
	get := func(p *pass) ([][][]float32, error) {
		out := make([][][]float32, len(p.gradNodes))
		for n, gs := range p.gradNodes {
			for j, node := range gs {
				if p.dev != nil {
					v := make([]float32, p.dev.sizes[n][j])
					if err := p.dev.prog.Read(node, v); err != nil {
						return nil, err
					}
					out[n] = append(out[n], v)
					continue
				}
				out[n] = append(out[n], append([]float32(nil), p.grads[n][j].Data().([]float32)...))
			}
		}
		return out, nil
	}
	if d, err = get(t.d); err != nil {
		return nil, nil, err
	}
	g, err = get(t.g)
	return d, g, err
}

// OptimizerStates returns the host optimizers' states (call Sync first on
// a device).
func OptimizerStates(t *Trainer) []optim.State {
	var out []optim.State
	for _, o := range t.dOpts {
		out = append(out, o.State())
	}
	for _, o := range t.gOpts {
		out = append(out, o.State())
	}
	return out
}

// DeviceLaunches returns the kernel launches and matrix products of one
// run of the discriminator and generator programs (zero on the CPU).
func DeviceLaunches(t *Trainer) (dKernels, dProducts, gKernels, gProducts int) {
	if t.dev == nil {
		return
	}
	dKernels, dProducts = t.d.dev.prog.Launches()
	gKernels, gProducts = t.g.dev.prog.Launches()
	return
}

// PushForTest uploads the host tensors and optimizer states to the
// trainer's device.
func PushForTest(t *Trainer) error { return t.push() }

// LastGradients64 returns the gradients of the last discriminator and
// generator runs of a float64 trainer on the CPU, each network's
// learnables one after the other (the first network of each pass).
func LastGradients64(t *Trainer) (d, g []float64, err error) {
	get := func(p *pass) []float64 {
		var out []float64
		for j := range p.gradNodes[0] {
			out = append(out, p.grads[0][j].Data().([]float64)...)
		}
		return out
	}
	return get(t.d), get(t.g), nil
}
