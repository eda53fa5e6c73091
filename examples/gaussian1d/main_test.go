package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
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

func TestW1Normal(t *testing.T) {
	// Samples at the target's own quantiles are at distance 0; shifted by
	// c they are at distance |c|; a point mass at the mean is at
	// E|X − μ| ≈ σ·√(2/π) from N(μ, σ²).
	n := 2000
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 4 + 0.5*math.Sqrt2*math.Erfinv(2*(float64(i)+0.5)/float64(n)-1)
	}
	require.InDelta(t, 0, w1Normal(xs, 4, 0.5), 1e-12)
	for i := range xs {
		xs[i] += 0.3
	}
	require.InDelta(t, 0.3, w1Normal(xs, 4, 0.5), 1e-12)
	for i := range xs {
		xs[i] = 4
	}
	require.InDelta(t, 0.5*math.Sqrt(2/math.Pi), w1Normal(xs, 4, 0.5), 2e-3)
}

func TestGridNoiseSpansTheRangeShuffled(t *testing.T) {
	z := make([]float64, 9)
	gridNoise{r: 8}.Fill(rand.New(rand.NewPCG(1, 2)), z)
	s := append([]float64(nil), z...)
	sort.Float64s(s)
	for i, v := range s {
		grid := -8 + 2*float64(i)
		require.GreaterOrEqual(t, v, grid)
		require.Less(t, v, grid+0.01)
	}
	require.NotEqual(t, s, z, "the batch is shuffled")
}

func TestCollapseStudyWritesItsFigures(t *testing.T) {
	out := t.TempDir()
	var log bytes.Buffer
	require.NoError(t, collapseStudy(context.Background(), collapseVariants, 2, 20, "grid", out, &log))
	for _, v := range collapseVariants {
		require.Regexp(t, v+` +over 2 seeds: mean `, log.String())
		want := "G updated on 100% of the steps"
		if v == "losing" {
			want = "G updated on " // the share varies; exactly one network per step
		}
		require.Regexp(t, v+` +seed 1: .*`+want, log.String())
		f, err := os.Open(filepath.Join(out, "gaussian1d-"+v+".png"))
		require.NoError(t, err)
		_, err = png.Decode(f)
		f.Close()
		require.NoError(t, err)
	}
	_, _, err := collapseRun(context.Background(), "magic", gridNoise{8}, 1, 1)
	require.ErrorContains(t, err, `unknown variant "magic"`)
	require.ErrorContains(t, collapseStudy(context.Background(), collapseVariants, 0, 1, "grid", "", io.Discard), "must be positive")
	require.ErrorContains(t, collapseStudy(context.Background(), collapseVariants, 1, 1, "gauss", "", io.Discard), `unknown noise "gauss"`)
}
