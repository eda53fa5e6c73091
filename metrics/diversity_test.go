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
	for n := 0; n < 14; n++ {
		a, b := make([]float32, n), make([]float32, n)
		want := 0.0
		for k := range a {
			a[k], b[k] = float32(k)*0.5-1, float32(k*k%5)
			d := float64(a[k]) - float64(b[k])
			want += d * d
		}
		require.InDelta(t, want, sqDist(a, b), 1e-12, "length %d", n)
	}
}
