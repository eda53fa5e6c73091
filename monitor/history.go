package monitor

import (
	"math"

	"github.com/gogan/gogan/gan"
)

// Reference values of the statistics at the equilibrium of the original
// GAN game (Goodfellow et al. 2014), where D(x) = 1/2 everywhere.
const (
	// Equilibrium is the value of D(x) and D(G(z)) at the equilibrium.
	Equilibrium = 0.5
)

// EquilibriumV is V(D, G) at the equilibrium: −log 4 ≈ −1.386.
var EquilibriumV = -math.Log(4)

// History records the statistics of a run, one entry per Add, in
// parallel slices that the curve plots read. Adding is an append to each
// slice, cheap enough for every step. The zero value is an empty history
// ready to use. It is not safe for concurrent use.
type History struct {
	Step         []int
	DLoss, GLoss []float64
	DReal, DFake []float64
	V            []float64
}

// Add appends the statistics of one step.
func (h *History) Add(s gan.Stats) {
	h.Step = append(h.Step, s.Step)
	h.DLoss = append(h.DLoss, s.DLoss)
	h.GLoss = append(h.GLoss, s.GLoss)
	h.DReal = append(h.DReal, s.DReal)
	h.DFake = append(h.DFake, s.DFake)
	h.V = append(h.V, s.V)
}

// Len returns the number of steps recorded.
func (h *History) Len() int {
	if h == nil {
		return 0
	}
	return len(h.Step)
}

// Last returns the statistics last added (those History keeps), and
// false if the history is empty.
func (h *History) Last() (gan.Stats, bool) {
	n := h.Len()
	if n == 0 {
		return gan.Stats{}, false
	}
	i := n - 1
	return gan.Stats{Step: h.Step[i], DLoss: h.DLoss[i], GLoss: h.GLoss[i], DReal: h.DReal[i], DFake: h.DFake[i], V: h.V[i]}, true
}
