package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/models"
	"github.com/stretchr/testify/require"
)

// -sn and -ema survive a resume: N steps then N more resumed give the
// model files of 2N straight steps, bit for bit (the generator in the
// file is the average; the discriminator has its power-iteration vectors).
func TestSNAndEMAResumeExactly(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	base := config{Data: sharedDigits, Model: "mlp", Batch: 16, Loss: "nonsaturating", K: 1, LR: 2e-4, Seed: 5,
		LogEvery: 100, CheckpointEvery: 100, EMA: 0.9, SN: true}
	straight, split := base, base
	straight.Out, straight.Steps = t.TempDir(), 10
	split.Out, split.Steps = t.TempDir(), 5
	require.NoError(t, run(context.Background(), straight, io.Discard))
	require.NoError(t, run(context.Background(), split, io.Discard))
	c, err := parseFlags([]string{"-resume", split.Out, "-steps", "10"}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))

	g1, d1, _, err := models.Load(filepath.Join(straight.Out, "model.gogan"))
	require.NoError(t, err)
	g2, d2, _, err := models.Load(filepath.Join(split.Out, "model.gogan"))
	require.NoError(t, err)
	_, ok := d1.Params().Get("dense0/w/sn_u")
	require.True(t, ok, "the discriminator is spectrally normalised")
	for i, p := range g1.Params().All() {
		require.Equal(t, p.Float64s(), g2.Params().All()[i].Float64s(), p.Name)
	}
	for i, p := range d1.Params().All() {
		require.Equal(t, p.Float64s(), d2.Params().All()[i].Float64s(), p.Name)
	}
	// The checkpoint's live generator differs from the model's average.
	live, _, _, err := models.Load(filepath.Join(straight.Out, "checkpoint.gogan"))
	require.NoError(t, err)
	require.NotEqual(t, live.Params().All()[0].Float64s(), g1.Params().All()[0].Float64s())

	for _, v := range []string{"1", "-0.5", "NaN"} {
		_, err := parseFlags([]string{"-ema", v}, io.Discard)
		require.ErrorContains(t, err, "-ema must be 0 (off) or lie in (0, 1)")
	}
}
