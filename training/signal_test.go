//go:build unix

package training_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// TestNotifyContextCancelsOnSIGTERM sends the process SIGTERM: the context
// is cancelled instead of the process ending.
func TestNotifyContextCancelsOnSIGTERM(t *testing.T) {
	ctx, stop := training.NotifyContext(context.Background())
	defer stop()
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
}
