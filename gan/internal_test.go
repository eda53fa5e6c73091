package gan

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"
)

func TestAdversaryWeights(t *testing.T) {
	w, err := adversaryWeights(nil, 2, 3)
	require.NoError(t, err)
	require.Equal(t, [][]float64{{1, 1, 1}, {1, 1, 1}}, w)
	_, err = adversaryWeights([][]float64{{1, 1}}, 2, 2)
	require.ErrorContains(t, err, "AdversaryWeights has 1 rows, want one per generator (2)")
	_, err = adversaryWeights([][]float64{{1, 0}, {1, 0}}, 2, 2)
	require.ErrorContains(t, err, "discriminator 1 has no adversary")
	_, err = adversaryWeights([][]float64{{0, 0}, {1, 1}}, 2, 2)
	require.ErrorContains(t, err, "generator 0 has no adversary")
	_, err = adversaryWeights([][]float64{{1, math.NaN()}, {1, 1}}, 2, 2)
	require.ErrorContains(t, err, "AdversaryWeights[0][1] = NaN")
}

func TestAllFinite(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 17, 1000} { // gorgonia tensors cannot be empty
		f32 := make([]float32, n)
		f64 := make([]float64, n)
		for i := range f32 {
			f32[i] = 3e38 // finite, but a plain sum would overflow
			f64[i] = 1e308
		}
		require.True(t, allFinite(tensor.New(tensor.WithBacking(f32))), "n=%d", n)
		require.True(t, allFinite(tensor.New(tensor.WithBacking(f64))), "n=%d", n)
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, at := range []int{0, n / 2, n - 1} {
				c32, c64 := slices.Clone(f32), slices.Clone(f64)
				c32[at], c64[at] = float32(bad), bad
				require.False(t, allFinite(tensor.New(tensor.WithBacking(c32))), "n=%d %v at %d", n, bad, at)
				require.False(t, allFinite(tensor.New(tensor.WithBacking(c64))), "n=%d %v at %d", n, bad, at)
			}
		}
	}
}
