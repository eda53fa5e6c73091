package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClassHistogramAndKL(t *testing.T) {
	h, err := ClassHistogram([]int{0, 1, 1, 3}, 4)
	require.NoError(t, err)
	require.Equal(t, []float64{0.25, 0.5, 0, 0.25}, h)
	kl, err := KLFromUniform(h)
	require.NoError(t, err)
	// ¼·log(¼·4) + ½·log(½·4) + ¼·log(¼·4) = ½·log 2.
	require.InDelta(t, 0.5*math.Log(2), kl, 1e-12)

	// Counts work as well as shares.
	kl, err = KLFromUniform([]float64{5, 0, 0, 0})
	require.NoError(t, err)
	require.InDelta(t, math.Log(4), kl, 1e-12)
	kl, err = KLFromUniform([]float64{7, 7, 7})
	require.NoError(t, err)
	require.InDelta(t, 0, kl, 1e-15)
}

func TestClassHistogramAndKLErrors(t *testing.T) {
	_, err := ClassHistogram([]int{0, 4}, 4)
	require.ErrorContains(t, err, "label 1 is 4, outside [0, 4)")
	_, err = ClassHistogram([]int{-1}, 4)
	require.ErrorContains(t, err, "outside")
	_, err = ClassHistogram(nil, 4)
	require.ErrorContains(t, err, "no labels")
	_, err = ClassHistogram([]int{0}, 0)
	require.ErrorContains(t, err, "0 classes")

	_, err = KLFromUniform(nil)
	require.ErrorContains(t, err, "empty histogram")
	_, err = KLFromUniform([]float64{0, 0})
	require.ErrorContains(t, err, "all-zero")
	_, err = KLFromUniform([]float64{1, -1})
	require.ErrorContains(t, err, "bin 1 is -1")
	_, err = KLFromUniform([]float64{1, math.NaN()})
	require.ErrorContains(t, err, "bin 1 is NaN")
}
