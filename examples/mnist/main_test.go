package main

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

const sharedDigits = "../../../shared/data/mnist10k"

func readStats(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, training.StatsHeader, rows[0])
	var out [][]float64
	for _, r := range rows[1:] {
		var vals []float64
		for _, s := range r {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			vals = append(vals, v)
		}
		out = append(out, vals)
	}
	return out
}

func mean(rows [][]float64, col int) float64 {
	s := 0.0
	for _, r := range rows {
		s += r[col]
	}
	return s / float64(len(rows))
}

// TestTrainsOnRealDigits trains the reference MLP on the real digits for a
// few hundred steps and checks that the game moved and stayed finite, and
// that every output the command promises is there and readable.
func TestTrainsOnRealDigits(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s (the shared data folder beside the checkout): %v", sharedDigits, err)
	}
	if testing.Short() {
		t.Skip("trains for 300 steps; skipped in -short mode")
	}
	out := t.TempDir()
	c := config{Data: sharedDigits, Out: out, Model: "mlp", Steps: 300, Batch: 64, Loss: "nonsaturating",
		K: 1, LR: 2e-4, Seed: 1, Export: 100, GridEvery: 150, LogEvery: 100}
	require.NoError(t, run(context.Background(), c, io.Discard))

	rows := readStats(t, filepath.Join(out, "stats.csv"))
	require.Len(t, rows, 300)
	for _, r := range rows {
		for j, v := range r {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "step %v column %d is %v", r[0], j, v)
		}
	}
	const dReal, dFake = 3, 4
	first, late := rows[0], rows[250:]
	t.Logf("D(x): %.3f → %.3f; D(G(z)): %.3f → %.3f", first[dReal], mean(late, dReal), first[dFake], mean(late, dFake))
	// Both statistics move off their starting values, and D learns to
	// tell the two apart: D(x) ends above D(G(z)).
	require.Greater(t, math.Abs(mean(late, dReal)-first[dReal]), 0.05)
	require.Greater(t, math.Abs(mean(late, dFake)-first[dFake]), 0.05)
	require.Greater(t, mean(late, dReal)-mean(late, dFake), 0.1)

	for _, name := range []string{"samples-000150.png", "samples-000300.png", "model.gogan", "checkpoint.gogan",
		"report.html", "losses.png", "discriminator.png", "value.png", "timeline.png", "interpolation.png"} {
		_, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
	}
	gen, disc, info, err := models.Load(filepath.Join(out, "model.gogan"))
	require.NoError(t, err)
	require.Equal(t, 300, info.Steps)
	require.Equal(t, []int{1, 28, 28}, gen.SampleShape())
	require.Equal(t, []int{1, 28, 28}, disc.InputShape())

	exported, err := data.ReadImagesIDX(filepath.Join(out, "generated-images-idx3-ubyte"), "")
	require.NoError(t, err)
	require.Equal(t, 100, exported.Len())
	require.Equal(t, []int{1, 28, 28}, exported.Shape())
}

func TestFlagsAreValidated(t *testing.T) {
	cases := map[string][]string{
		"-batch must be positive":      {"-batch", "0"},
		"-steps must not be negative":  {"-steps", "-1"},
		"set -steps or -epochs":        {"-steps", "0"},
		"-k must be at least 1":        {"-k", "0"},
		"-lr must be positive":         {"-lr", "0"},
		`unknown loss "fancy"`:         {"-loss", "fancy"},
		`unknown -model "transformer"`: {"-model", "transformer"},
		"unexpected arguments":         {"extra"},
	}
	for want, args := range cases {
		_, err := parseFlags(args, io.Discard)
		require.ErrorContains(t, err, want, "%v", args)
	}
	c, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 5000, c.Steps)
	require.Equal(t, 64, c.Batch)
	require.Equal(t, "nonsaturating", c.Loss)
}

func TestMissingDataIsNamed(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), config{Data: dir, Out: filepath.Join(dir, "out"), Model: "mlp", Steps: 1, Batch: 8,
		Loss: "nonsaturating", K: 1, LR: 1e-3, LogEvery: 1}, io.Discard)
	require.ErrorContains(t, err, dir)
}

// TestResumeContinuesExactly trains 2N steps straight, and N steps then N
// more resumed from the checkpoint in a new process-like run: the saved
// models are identical bit for bit, and stats.csv has one row per step.
func TestResumeContinuesExactly(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	base := config{Data: sharedDigits, Model: "mlp", Batch: 16, Loss: "nonsaturating", K: 1, LR: 2e-4, Seed: 3,
		LogEvery: 100, CheckpointEvery: 7}
	straight, split := base, base
	straight.Out, straight.Steps = t.TempDir(), 24
	split.Out, split.Steps = t.TempDir(), 12
	require.NoError(t, run(context.Background(), straight, io.Discard))
	require.NoError(t, run(context.Background(), split, io.Discard))

	args := []string{"-resume", split.Out, "-steps", "24"}
	c, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c, io.Discard))

	g1, d1, i1, err := models.Load(filepath.Join(straight.Out, "model.gogan"))
	require.NoError(t, err)
	g2, d2, i2, err := models.Load(filepath.Join(split.Out, "model.gogan"))
	require.NoError(t, err)
	require.Equal(t, 24, i1.Steps)
	require.Equal(t, 24, i2.Steps)
	for i, p := range g1.Params().All() {
		require.Equal(t, p.Float64s(), g2.Params().All()[i].Float64s(), p.Name)
	}
	for i, p := range d1.Params().All() {
		require.Equal(t, p.Float64s(), d2.Params().All()[i].Float64s(), p.Name)
	}
	rows := readStats(t, filepath.Join(split.Out, "stats.csv"))
	require.Len(t, rows, 24)
	for i, r := range rows {
		require.Equal(t, float64(i+1), r[0])
	}

	_, err = parseFlags([]string{"-resume", split.Out, "-batch", "8"}, io.Discard)
	require.ErrorContains(t, err, "-resume reuses the run's configuration; drop [-batch]")
	c, err = parseFlags([]string{"-resume", t.TempDir()}, io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, run(context.Background(), c, io.Discard), "resume:")
}
