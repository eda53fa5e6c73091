package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"testing"

	"github.com/gogan/gogan/monitor"
	"github.com/stretchr/testify/require"
)

// TestLearnsTheGaussian is the acceptance test of the 1-D toy problem: the
// generator must match N(4, 0.5) in mean and standard deviation.
func TestLearnsTheGaussian(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a GAN for a few thousand steps; skipped in -short mode")
	}
	o := options{Mean: 4, Std: 0.5, Steps: 4000, Batch: 256, Hidden: 64, LR: 5e-4, Seed: 1, Samples: 10000, K: 1, Latent: 4}
	r, err := run(context.Background(), o, io.Discard)
	require.NoError(t, err)
	t.Logf("generated mean %.4f std %.4f after %d steps in %s", r.Mean, r.Std, r.Steps, r.Elapsed)
	require.InDelta(t, 4, r.Mean, 0.15)
	require.InDelta(t, 0.5, r.Std, 0.15)
}

func TestRejectsBadOptions(t *testing.T) {
	_, err := run(context.Background(), options{Std: 0, Steps: 1, Batch: 1, Hidden: 1, Samples: 1, K: 1, Latent: 1}, io.Discard)
	require.ErrorContains(t, err, "must be positive")
}

// TestProgressAndInterruption checks the progress lines of a short run,
// and that an interrupted run still measures its generator.
func TestProgressAndInterruption(t *testing.T) {
	o := options{Mean: 4, Std: 0.5, Steps: 40, Batch: 16, Hidden: 8, LR: 5e-4, Seed: 1, Samples: 100, K: 1, Latent: 2,
		Every: 20, Progress: monitor.ModePlain}
	var log bytes.Buffer
	r, err := run(context.Background(), o, &log)
	require.NoError(t, err)
	require.Equal(t, 40, r.Steps)
	require.Contains(t, log.String(), "step 20/40 ")
	require.Contains(t, log.String(), "step 40/40 ")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log.Reset()
	r, err = run(ctx, o, &log)
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, r.Interrupted)
	require.Equal(t, 0, r.Steps)
	require.False(t, math.IsNaN(r.Mean))
}
