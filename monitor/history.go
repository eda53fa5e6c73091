package monitor

import (
	"math"

	"github.com/gogan/gogan/gan"
)

// Reference values of the statistics at the equilibrium of the original
// GAN game (Goodfellow et al. 2014), where D(x) = 1/2 everywhere; the
// statistics' own reference values are their gan.StatField.Equilibrium.
const (
	// Equilibrium is the value of D(x) and D(G(z)) at the equilibrium.
	Equilibrium = 0.5
)

// EquilibriumV is V(D, G) at the equilibrium: −log 4 ≈ −1.386.
var EquilibriumV = -math.Log(4)

// History records the statistics of a run, one entry per Add: the step
// and one series per statistic of gan.StatsFields, which the curve plots
// read. Adding is an append to each series, cheap enough for every step.
// The zero value is an empty history ready to use. It is not safe for
// concurrent use.
type History struct {
	Step []int
	// Series holds the values of each statistic, in the order of
	// gan.StatsFields: Series[i][j] is statistic i at Step[j].
	Series [][]float64
}

// Add appends the statistics of one step.
func (h *History) Add(s gan.Stats) {
	if h.Series == nil {
		h.Series = make([][]float64, len(gan.StatsFields))
	}
	h.Step = append(h.Step, s.Step)
	for i, f := range gan.StatsFields {
		h.Series[i] = append(h.Series[i], f.Get(s))
	}
}

// Values returns the series of the statistic of gan.StatsFields called
// name (nil if there is none or the history is empty).
func (h *History) Values(name string) []float64 {
	if h == nil {
		return nil
	}
	for i, f := range gan.StatsFields {
		if f.Name == name && i < len(h.Series) {
			return h.Series[i]
		}
	}
	return nil
}

// Len returns the number of steps recorded.
func (h *History) Len() int {
	if h == nil {
		return 0
	}
	return len(h.Step)
}

// Last returns the statistics last added (the step and those of
// gan.StatsFields, which History keeps), and false if the history is
// empty.
func (h *History) Last() (gan.Stats, bool) {
	n := h.Len()
	if n == 0 {
		return gan.Stats{}, false
	}
	s := gan.Stats{Step: h.Step[n-1]}
	for i, f := range gan.StatsFields {
		if i < len(h.Series) && n <= len(h.Series[i]) {
			f.Set(&s, h.Series[i][n-1])
		}
	}
	return s, true
}
