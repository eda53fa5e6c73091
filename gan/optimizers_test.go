package gan

import (
	"encoding/json"
	"testing"

	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
)

// TestOptimizerRecordKeepsTheCheckpointFormat: checkpoints record an
// optimizer's settings in the JSON that the former gan.OptimizerConfig
// had (what checkpoints written before optim.Settings hold), so they
// still compare equal and load.
func TestOptimizerRecordKeepsTheCheckpointFormat(t *testing.T) {
	for _, c := range []struct {
		s    optim.Settings
		want string
	}{
		{DefaultOptimizer(), `{"kind":"adam","lr":0.0002,"beta1":0.5,"beta2":0.999}`},
		{optim.SGDConfig{LR: 0.1}, `{"kind":"sgd","lr":0.1}`},
		{optim.SGDConfig{LR: 0.01, Momentum: 0.5}, `{"kind":"sgd","lr":0.01,"momentum":0.5}`},
		{optim.RMSPropConfig{LR: 5e-5}, `{"kind":"rmsprop","lr":0.00005}`},
		// Settings the old format did not have appear only when set.
		{optim.AdamConfig{LR: 1e-3}, `{"kind":"adam","lr":0.001,"beta1":0.9,"beta2":0.999}`},
		{optim.AdamConfig{LR: 1e-3, Eps: 1e-6}, `{"kind":"adam","lr":0.001,"beta1":0.9,"beta2":0.999,"eps":0.000001}`},
		{optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true}, `{"kind":"sgd","lr":0.1,"momentum":0.9,"nesterov":true}`},
		{optim.RMSPropConfig{LR: 1e-3, Alpha: 0.9}, `{"kind":"rmsprop","lr":0.001,"alpha":0.9}`},
	} {
		got, err := json.Marshal(recordOf(c.s))
		require.NoError(t, err)
		require.JSONEq(t, c.want, string(got), "%#v", c.s)
	}
}
