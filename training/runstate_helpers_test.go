package training_test

import (
	"encoding/json"
	"testing"

	"github.com/gogan/gogan/tensorfile"
	"github.com/stretchr/testify/require"
)

// checkpointWithoutID returns the checkpoint at path as compared between
// two runs: its tensors and its metadata, the run identity (which differs
// between any two runs) blanked.
func checkpointWithoutID(t *testing.T, path string) ([]tensorfile.Tensor, map[string]any) {
	t.Helper()
	f, err := tensorfile.ReadFile(path)
	require.NoError(t, err)
	var meta map[string]any
	require.NoError(t, json.Unmarshal(f.Meta, &meta))
	if extra, ok := meta["extra"].(map[string]any); ok {
		if run, ok := extra["gogan_run"].(map[string]any); ok {
			require.NotEmpty(t, run["id"], "%s: a run state without identity", path)
			run["id"] = "<id>"
		}
	}
	return f.Tensors, meta
}

// requireSameCheckpoint checks that the checkpoints at a and b are the
// same but for their runs' identities.
func requireSameCheckpoint(t *testing.T, a, b string) {
	t.Helper()
	ta, ma := checkpointWithoutID(t, a)
	tb, mb := checkpointWithoutID(t, b)
	require.Equal(t, ma, mb, "checkpoint metadata")
	require.Equal(t, ta, tb, "checkpoint tensors")
}
