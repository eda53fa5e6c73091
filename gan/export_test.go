package gan

import (
	"strings"

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
