package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
)

func TestWritesTheSamplersDigits(t *testing.T) {
	dir := t.TempDir()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{8}, OutputShape: []int{1, 4, 5},
		Output: nn.Tanh()}, 2)
	require.NoError(t, err)
	model := filepath.Join(dir, "m.gogan")
	require.NoError(t, gan.SaveModel(model, gen, nil, gan.ModelInfo{}))
	out := filepath.Join(dir, "digits")
	require.NoError(t, run([]string{"-model", model, "-n", "7", "-seed", "3", "-out", out}, io.Discard, io.Discard))

	got, err := data.ReadImagesIDX(out, "")
	require.NoError(t, err)
	require.Equal(t, 7, got.Len())
	require.Equal(t, []int{1, 4, 5}, got.Shape())
	s, err := gan.NewSampler(gen, nil, 3)
	require.NoError(t, err)
	x, err := s.Sample(7)
	require.NoError(t, err)
	dst := make([]float32, 20)
	for i := 0; i < 7; i++ {
		got.At(i, dst)
		for j, v := range x.Data().([]float32)[i*20 : (i+1)*20] {
			require.Equal(t, data.ToByte(v), data.ToByte(dst[j]), "sample %d pixel %d", i, j)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	require.ErrorContains(t, run([]string{"-n", "3"}, io.Discard, io.Discard), "-model and -out are required")
	require.ErrorContains(t, run([]string{"-model", "x", "-out", "y", "-n", "0"}, io.Discard, io.Discard), "-n must be positive")
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{8}, OutputShape: []int{2}}, 2)
	require.NoError(t, err)
	model := filepath.Join(dir, "points.gogan")
	require.NoError(t, gan.SaveModel(model, gen, nil, gan.ModelInfo{}))
	err = run([]string{"-model", model, "-out", filepath.Join(dir, "o")}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "want gray images [1 H W] or [H W]")
	err = run([]string{"-model", filepath.Join(dir, "missing"), "-out", filepath.Join(dir, "o")}, io.Discard, io.Discard)
	require.Error(t, err)
}

// TestHugeCountIsRefused: -n beyond what the data limit lets mnisteval read
// back is an error naming the limit, before anything is sampled (the old
// code allocated n·H·W bytes first: 784 GB here).
func TestHugeCountIsRefused(t *testing.T) {
	dir := t.TempDir()
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 3, Hidden: []int{8}, OutputShape: []int{1, 28, 28},
		Output: nn.Tanh()}, 2)
	require.NoError(t, err)
	model := filepath.Join(dir, "m.gogan")
	require.NoError(t, gan.SaveModel(model, gen, nil, gan.ModelInfo{}))
	out := filepath.Join(dir, "digits")
	err = run([]string{"-model", model, "-n", "1000000000", "-out", out}, io.Discard, io.Discard)
	require.ErrorIs(t, err, data.ErrTooLarge)
	require.ErrorContains(t, err, "GOGAN_MAX_DATA_BYTES")
	require.NoFileExists(t, out)
	err = run([]string{"-model", model, "-n", "5000000000", "-out", out}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "an IDX file holds at most")
}
