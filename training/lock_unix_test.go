//go:build unix

package training_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestClaimLocksTheFolder: a claimed folder is locked until released;
// another claim fails naming the holder's process ID, whichever the mode.
func TestClaimLocksTheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	held, err := training.Claim(dir, training.NewRun)
	require.NoError(t, err)
	pid, err := os.ReadFile(filepath.Join(dir, training.LockFile))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%d\n", os.Getpid()), string(pid))
	for _, mode := range []training.ClaimMode{training.NewRun, training.ResumeRun, training.Overwrite} {
		_, err := training.Claim(dir, mode)
		require.ErrorIs(t, err, training.ErrLocked, "mode %d", mode)
		require.ErrorContains(t, err, fmt.Sprintf("locked by process %d", os.Getpid()))
	}
	require.NoError(t, held.Release())
	again, err := training.Claim(dir, training.ResumeRun)
	require.NoError(t, err)
	require.NoError(t, again.Release())
}
