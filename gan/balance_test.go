package gan_test

import (
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

// The "losing" schedule's default is the literal rule: each step (k = 1)
// updates exactly one network, D when D(x) − D(G(z)) ≤ 0 (D is losing),
// G when it is > 0.
func TestLosingDefaultUpdatesExactlyTheLosingNetwork(t *testing.T) {
	gen, disc := ringNets(t, 3, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Balance: gan.Balance{Kind: gan.BalanceLosing}})
	require.NoError(t, err)
	src := data.NewSourceLoader(data.NewRing8(), 3)
	var dOnly, gOnly int
	for i := 0; i < 60; i++ {
		dBefore, gBefore := weights(disc.Params()), weights(gen.Params())
		s, err := tr.Step(src)
		require.NoError(t, err)
		require.Equal(t, 1, s.DUpdates+s.GUpdates, "step %d: exactly one network is updated", i)
		if s.DReal-s.DFake > 0 { // D ahead: only G learns
			require.Equal(t, 1, s.GUpdates, "step %d: gap %v", i, s.DReal-s.DFake)
			require.Equal(t, dBefore, weights(disc.Params()))
			require.NotEqual(t, gBefore, weights(gen.Params()))
			gOnly++
		} else {
			require.Equal(t, 1, s.DUpdates, "step %d: gap %v", i, s.DReal-s.DFake)
			require.Equal(t, gBefore, weights(gen.Params()))
			require.NotEqual(t, dBefore, weights(disc.Params()))
			dOnly++
		}
	}
	// Both cases must occur, or the test would not tell the rule from
	// "always update G" or "always update D".
	require.Positive(t, dOnly)
	require.Positive(t, gOnly)
}
