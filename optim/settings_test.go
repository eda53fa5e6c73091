package optim_test

import (
	"testing"

	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
)

// TestSettings: each config builds its own kind with its values, a
// learning-rate change keeps every other setting, and an invalid setting
// is named.
func TestSettings(t *testing.T) {
	cases := []struct {
		s    optim.Settings
		kind string
	}{
		{optim.AdamConfig{LR: 2e-4, Beta1: 0.5, Beta2: 0.99}, "adam"},
		{optim.SGDConfig{LR: 0.01, Momentum: 0.9, Nesterov: true}, "sgd"},
		{optim.RMSPropConfig{LR: 5e-5, Alpha: 0.9}, "rmsprop"},
	}
	for _, c := range cases {
		o, err := c.s.New()
		require.NoError(t, err)
		require.Equal(t, c.kind, o.State().Kind)
		moved := c.s.WithLearningRate(1e-3)
		require.Equal(t, 1e-3, moved.LearningRate())
		require.Equal(t, c.s.LearningRate(), c.s.WithLearningRate(c.s.LearningRate()).LearningRate())
		switch s := moved.(type) {
		case optim.AdamConfig:
			require.Equal(t, optim.AdamConfig{LR: 1e-3, Beta1: 0.5, Beta2: 0.99}, s)
		case optim.SGDConfig:
			require.Equal(t, optim.SGDConfig{LR: 1e-3, Momentum: 0.9, Nesterov: true}, s)
		case optim.RMSPropConfig:
			require.Equal(t, optim.RMSPropConfig{LR: 1e-3, Alpha: 0.9}, s)
		}
	}
	_, err := optim.AdamConfig{LR: -1}.New()
	require.ErrorContains(t, err, "learning rate")
	_, err = optim.SGDConfig{LR: 0.1, Nesterov: true}.New()
	require.ErrorContains(t, err, "Nesterov")
}
