package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/stretchr/testify/require"
)

func TestConditionalFlags(t *testing.T) {
	_, err := parseFlags([]string{"-conditional", "film"}, io.Discard)
	require.ErrorContains(t, err, `unknown -conditional "film"`)
	_, err = parseFlags([]string{"-conditional", "acgan", "-export", "15"}, io.Discard)
	require.ErrorContains(t, err, "-export 15 with -conditional: want a multiple of 10")
	c, err := parseFlags([]string{"-conditional", "projection", "-export", "20"}, io.Discard)
	require.NoError(t, err)
	require.True(t, c.conditional())
	c, err = parseFlags([]string{"-export", "15"}, io.Discard)
	require.NoError(t, err)
	require.False(t, c.conditional())
}

// TestConditionalRun trains a conditional MLP for a few steps and checks
// the outputs: the class grid, the exported digits with their classes
// (equally many of each), and a model file that remembers the classes.
func TestConditionalRun(t *testing.T) {
	if _, err := os.Stat(sharedDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s: %v", sharedDigits, err)
	}
	out := t.TempDir()
	c := config{Data: sharedDigits, Out: out, Model: "mlp", Conditional: "acgan", Steps: 6, Batch: 16, Loss: "nonsaturating",
		K: 1, LR: 2e-4, Seed: 1, Export: 30, GridEvery: 3, LogEvery: 100}
	require.NoError(t, run(context.Background(), c, io.Discard))
	for _, name := range []string{"classes-000003.png", "classes-000006.png", "samples-000006.png", "generated-labels-idx1-ubyte"} {
		_, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
	}
	digits, err := data.ReadImagesIDX(filepath.Join(out, "generated-images-idx3-ubyte"), filepath.Join(out, "generated-labels-idx1-ubyte"))
	require.NoError(t, err)
	require.Equal(t, 30, digits.Len())
	counts := make([]int, 10)
	for _, l := range digits.Labels {
		counts[l]++
	}
	require.Equal(t, []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, counts)
	gen, _, info, err := models.Load(filepath.Join(out, "model.gogan"))
	require.NoError(t, err)
	require.Equal(t, 10, info.Classes)
	s, err := gan.GenerateSamples(gen, make([]float64, 2*100), []int{3, 7})
	require.NoError(t, err)
	require.Equal(t, []int{2, 1, 28, 28}, []int(s.Shape()))
}
