package gan_test

import (
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

// TestPruningDropsUnreadGradientsOnly checks that the machines skip the
// gradients nobody reads and that this changes no number: a pruned and an
// unpruned trainer give bit-identical statistics and weights.
func TestPruningDropsUnreadGradientsOnly(t *testing.T) {
	build := func(prune bool) *gan.Trainer {
		defer gan.SetPruneGraphs(prune)()
		gen, disc := toyNets(t, 3, true, 0.1)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, DSteps: 2, Seed: 3})
		require.NoError(t, err)
		return tr
	}
	full, pruned := build(false), build(true)

	// Three dense layers each in G and D. Discriminator machine: G forward
	// (3), D forward on the real and the fake batch (6), D backward on
	// both (2 × 3 weight gradients + 2 × 2 input gradients) = 19; unpruned
	// it also computes D's first-layer input gradient for both batches
	// (21). Generator machine: forward through G and D (6), input
	// gradients back through D (3) and G's weight and input gradients
	// (3 + 2) = 14; unpruned it also computes D's three weight gradients
	// and G's input gradient (18).
	d, g := gan.MatMuls(full)
	require.Equal(t, [2]int{21, 18}, [2]int{d, g}, "unpruned matrix products")
	d, g = gan.MatMuls(pruned)
	require.Equal(t, [2]int{19, 14}, [2]int{d, g}, "pruned matrix products")

	srcA := data.NewSourceLoader(data.NewRing8(), 3)
	srcB := data.NewSourceLoader(data.NewRing8(), 3)
	for i := 0; i < 10; i++ {
		sa, err := full.Step(srcA)
		require.NoError(t, err)
		sb, err := pruned.Step(srcB)
		require.NoError(t, err)
		require.Equal(t, sa, sb, "step %d", i)
	}
	require.Equal(t, weights(full.Generator().Params()), weights(pruned.Generator().Params()))
	// The batch norm running statistics are read by Read nodes outside
	// the loss's subgraph: pruning must keep them updating.
	moved := 0
	for _, p := range pruned.Generator().Params().All() {
		if !p.Learnable && strings.HasSuffix(p.Name, "/mean") {
			for _, v := range p.Float64s() {
				if v != 0 {
					moved++
					break
				}
			}
		}
	}
	require.Positive(t, moved, "running means never moved from their initial zeros")
	require.Equal(t, weights(full.Discriminator().Params()), weights(pruned.Discriminator().Params()))
}
