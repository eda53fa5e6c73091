package main

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

func TestWGANGPFlags(t *testing.T) {
	c, err := parseFlags([]string{"-loss", "wgan-gp"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 5, c.K)
	require.Equal(t, 1e-4, c.LR)
	c, err = parseFlags([]string{"-loss", "wgan-gp", "-k", "2", "-lr", "3e-4"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 2, c.K, "an explicit -k wins")
	require.Equal(t, 3e-4, c.LR)
	c, err = parseFlags([]string{"-penalty", "r1:10:16"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 1, c.K)
	_, err = parseFlags([]string{"-penalty", "r3"}, io.Discard)
	require.ErrorContains(t, err, `unknown penalty "r3"`)
	_, err = parseFlags([]string{"-penalty", "gp:-1"}, io.Discard)
	require.ErrorContains(t, err, "not a positive number")
}

// TestPenalizedDCGANHasNoBatchNorm: with a penalty the reference dcgan's
// discriminator is built without batch normalisation, which a trainer
// with a penalty refuses.
func TestPenalizedDCGANHasNoBatchNorm(t *testing.T) {
	for _, c := range []config{{Model: "dcgan", Loss: "wgan-gp", Seed: 1}, {Model: "dcgan", Loss: "hinge", Penalty: "r1", Seed: 1}} {
		gen, disc, err := newModels(c)
		require.NoError(t, err)
		pen, err := gan.ParsePenalty(c.Penalty)
		require.NoError(t, err)
		if pen == nil {
			pen = gan.DefaultGradientPenalty()
		}
		_, err = gan.NewTrainer(gen, disc, gan.Config{BatchSize: 2, Penalty: pen})
		require.NoError(t, err)
	}
	gen, disc, err := newModels(config{Model: "dcgan", Loss: "nonsaturating", Seed: 1})
	require.NoError(t, err)
	_, err = gan.NewTrainer(gen, disc, gan.Config{BatchSize: 2, Penalty: gan.R1{Gamma: 1}})
	require.ErrorContains(t, err, "batch normalisation")
}

func TestWGANGPTrainsOnRealDigits(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	out := t.TempDir()
	c, err := parseFlags([]string{"-loss", "wgan-gp", "-data", sharedDigits, "-out", out, "-steps", "3", "-batch", "8", "-log-every", "1"}, io.Discard)
	require.NoError(t, err)
	var log strings.Builder
	require.NoError(t, run(context.Background(), c, &log))
	require.Contains(t, log.String(), "loss wgan-gp, batch 8, k 5, Adam lr 0.0001")
	require.Contains(t, log.String(), "discriminator penalty: gp(weight=10,target=1,every=1)")
	rows := readStats(t, filepath.Join(out, "stats.csv"))
	require.Len(t, rows, 3)
	for _, r := range rows {
		for j, v := range r {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "step %v column %d is %v", r[0], j, v)
		}
	}
}
