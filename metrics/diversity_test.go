package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiversityOfKnownBatches(t *testing.T) {
	// The corners of a unit square: four sides of length 1 and two
	// diagonals of length √2.
	square := []float32{0, 0, 1, 0, 1, 1, 0, 1}
	d, err := Diversity(square, 4, 2)
	require.NoError(t, err)
	require.InDelta(t, (4+2*math.Sqrt2)/6, d, 1e-12)

	// Two points in 3-D at distance √(1+4+4) = 3; trailing values ignored.
	d, err = Diversity([]float32{1, 2, 3, 2, 4, 5, 99}, 2, 3)
	require.NoError(t, err)
	require.InDelta(t, 3, d, 1e-12)

	same := []float32{0.5, -2, 0.5, -2, 0.5, -2}
	d, err = Diversity(same, 3, 2)
	require.NoError(t, err)
	require.Equal(t, 0.0, d)
}

func TestDiversityRatio(t *testing.T) {
	square := []float32{0, 0, 1, 0, 1, 1, 0, 1}
	half := make([]float32, len(square))
	for i, v := range square {
		half[i] = 0.5*v + 3 // scaled by ½ and shifted
	}
	r, err := DiversityRatio(half, square, 4, 2)
	require.NoError(t, err)
	require.InDelta(t, 0.5, r, 1e-12)

	collapsed := []float32{1, 1, 1, 1, 1, 1, 1, 1}
	r, err = DiversityRatio(collapsed, square, 4, 2)
	require.NoError(t, err)
	require.Equal(t, 0.0, r)

	_, err = DiversityRatio(square, collapsed, 4, 2)
	require.ErrorContains(t, err, "real batch's samples are all identical")
	_, err = DiversityRatio(square[:6], square, 4, 2)
	require.ErrorContains(t, err, "generated batch: metrics: diversity: 6 values for 4 samples of dimension 2")
	_, err = DiversityRatio(square, square[:6], 4, 2)
	require.ErrorContains(t, err, "real batch")
}

func TestDiversityErrors(t *testing.T) {
	_, err := Diversity([]float32{1, 2}, 1, 2)
	require.ErrorContains(t, err, "diversity of 1 samples, want at least 2")
	_, err = Diversity([]float32{1, 2}, 2, 0)
	require.ErrorContains(t, err, "dimension 0")
	_, err = Diversity([]float32{1, 2, 3}, 2, 2)
	require.ErrorContains(t, err, "3 values for 2 samples")
}

func TestSqDistMatchesDefinition(t *testing.T) {
	for n := 0; n < 70; n++ { // the assembly loop takes 16 at a time
		if n > 14 && n%16 != 0 && n%16 != 1 && n%16 != 15 {
			continue
		}
		a, b := make([]float32, n), make([]float32, n)
		want := 0.0
		for k := range a {
			a[k], b[k] = float32(k)*0.5-1, float32(k*k%5)
			d := float64(a[k]) - float64(b[k])
			want += d * d
		}
		require.InDelta(t, want, sqDist(a, b), 1e-12*max(1, want), "length %d", n)
		require.InDelta(t, want, sqDistGo(a, b), 1e-12*max(1, want), "length %d", n)
	}
	// Non-finite values propagate; float32 extremes do not overflow.
	a, b := make([]float32, 35), make([]float32, 35)
	for _, at := range []int{0, 7, 16, 31, 34} {
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
			a[at] = bad
			require.False(t, isFinite(sqDist(a, b)), "%v at %d", bad, at)
			a[at] = 0
		}
	}
	for k := range a {
		a[k], b[k] = math.MaxFloat32, -math.MaxFloat32
	}
	want := 35 * 4 * float64(math.MaxFloat32) * float64(math.MaxFloat32)
	require.InDelta(t, want, sqDist(a, b), 1e-12*want)
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func BenchmarkSqDist(b *testing.B) {
	x, y := make([]float32, 784), make([]float32, 784)
	for k := range x {
		x[k], y[k] = float32(k%17)/17, float32(k%5)/5
	}
	for _, f := range []struct {
		name string
		f    func(a, b []float32) float64
	}{{"sqDist", sqDist}, {"sqDistGo", sqDistGo}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(2 * 4 * 784)
			for b.Loop() {
				f.f(x, y)
			}
		})
	}
}
