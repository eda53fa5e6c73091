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

// TestSumSquares: the gradient check's one pass gives the float64 sum of
// squares and finds every non-finite element, also where the float64 sum
// of finite values overflows.
func TestSumSquares(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 17, 1000} {
		f32 := make([]float32, n)
		f64 := make([]float64, n)
		want := 0.0
		for i := range f32 {
			f32[i] = float32(i%13) - 6.5
			f64[i] = float64(f32[i])
			want += float64(f32[i]) * float64(f32[i])
		}
		s, ok := sumSquares(tensor.New(tensor.WithBacking(f32)))
		require.True(t, ok)
		require.InDelta(t, want, s, 1e-12*want, "n=%d", n)
		s, ok = sumSquares(tensor.New(tensor.WithBacking(f64)))
		require.True(t, ok)
		require.InDelta(t, want, s, 1e-12*want, "n=%d", n)
		for i := range f32 {
			f32[i], f64[i] = 3e38, 1e200 // f64: squares overflow the sum, values finite
		}
		s, ok = sumSquares(tensor.New(tensor.WithBacking(f32)))
		require.True(t, ok, "n=%d", n)
		require.InDelta(t, float64(n)*float64(float32(3e38))*float64(float32(3e38)), s, 1e64, "n=%d", n)
		s, ok = sumSquares(tensor.New(tensor.WithBacking(f64)))
		require.True(t, ok, "n=%d: finite values whose squares overflow", n)
		require.True(t, math.IsInf(s, 1))
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, at := range []int{0, n / 2, n - 1} {
				c32, c64 := slices.Clone(f32), slices.Clone(f64)
				c32[at], c64[at] = float32(bad), bad
				_, ok := sumSquares(tensor.New(tensor.WithBacking(c32)))
				require.False(t, ok, "n=%d %v at %d", n, bad, at)
				_, ok = sumSquares(tensor.New(tensor.WithBacking(c64)))
				require.False(t, ok, "n=%d %v at %d", n, bad, at)
			}
		}
	}
	for _, v := range []any{float32(3), float64(3)} {
		s, ok := sumSquares(tensor.New(tensor.FromScalar(v)))
		require.True(t, ok)
		require.Equal(t, 9.0, s)
	}
	_, ok := sumSquares(tensor.New(tensor.FromScalar(float32(math.NaN()))))
	require.False(t, ok)
}

func BenchmarkSumSquares(b *testing.B) {
	d := make([]float32, 1<<20)
	for i := range d {
		d[i] = float32(i%7) - 3
	}
	t := tensor.New(tensor.WithBacking(d))
	b.SetBytes(4 << 20)
	for b.Loop() {
		sumSquares(t)
	}
}
