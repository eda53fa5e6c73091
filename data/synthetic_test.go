package data

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGaussian1DStatistics(t *testing.T) {
	g := NewGaussian1D()
	require.Equal(t, Gaussian1D{Mean: 4, Std: 0.5}, g)
	require.Equal(t, []int{1}, g.Shape())
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	var sum, sum2 float64
	dst := make([]float32, 1)
	for i := 0; i < n; i++ {
		g.Draw(rng, dst)
		v := float64(dst[0])
		sum += v
		sum2 += v * v
	}
	mean := sum / n
	std := math.Sqrt(sum2/n - mean*mean)
	require.InDelta(t, 4, mean, 0.02)
	require.InDelta(t, 0.5, std, 0.02)
}

func TestRing8AndGrid25Means(t *testing.T) {
	r := NewRing8()
	require.Equal(t, 0.01, r.Std())
	require.Len(t, r.Means(), 8)
	for i, m := range r.Means() {
		a := 2 * math.Pi * float64(i) / 8
		require.InDelta(t, math.Cos(a), m[0], 1e-12)
		require.InDelta(t, math.Sin(a), m[1], 1e-12)
	}
	require.InDelta(t, math.Sqrt2/2, r.Means()[1][0], 1e-12)

	g := NewGrid25()
	require.Equal(t, 0.05, g.Std())
	want := map[[2]float64]bool{}
	for _, x := range []float64{-4, -2, 0, 2, 4} {
		for _, y := range []float64{-4, -2, 0, 2, 4} {
			want[[2]float64{x, y}] = true
		}
	}
	got := map[[2]float64]bool{}
	for _, m := range g.Means() {
		got[m] = true
	}
	require.Equal(t, want, got)

	// Means returns a copy.
	g.Means()[0] = [2]float64{99, 99}
	require.NotEqual(t, [2]float64{99, 99}, g.Means()[0])

	_, err := Ring(0, 1, 0.1)
	require.EqualError(t, err, "data: ring of 0 components")
	_, err = Grid(-1, 1, 0.1)
	require.EqualError(t, err, "data: grid of -1×-1 components")
	_, err = NewMixture([][2]float64{{0, 0}}, math.NaN())
	require.EqualError(t, err, "data: mixture std NaN, want finite and >= 0")
}

func TestMixtureDraws(t *testing.T) {
	for name, m := range map[string]*Mixture{"ring8": NewRing8(), "grid25": NewGrid25()} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, []int{2}, m.Shape())
			means, std := m.Means(), m.Std()
			rng := rand.New(rand.NewPCG(3, 4))
			const n = 20_000
			hits := make([]int, len(means))
			var dev2 float64
			dst := make([]float32, 2)
			for i := 0; i < n; i++ {
				m.Draw(rng, dst)
				best, bd := -1, math.Inf(1)
				for k, c := range means {
					if d := math.Hypot(float64(dst[0])-c[0], float64(dst[1])-c[1]); d < bd {
						best, bd = k, d
					}
				}
				require.Less(t, bd, 5*std, "draw %v is far from every mean", dst)
				hits[best]++
				dx, dy := float64(dst[0])-means[best][0], float64(dst[1])-means[best][1]
				dev2 += dx*dx + dy*dy
			}
			// Uniform component choice: each within 5 binomial stds of n/k.
			p := 1 / float64(len(means))
			sd := math.Sqrt(n * p * (1 - p))
			for k, h := range hits {
				require.InDelta(t, n*p, float64(h), 5*sd, "component %d", k)
			}
			// Per-coordinate std of the deviation from the nearest mean.
			require.InDelta(t, std, math.Sqrt(dev2/(2*n)), 0.05*std)
		})
	}
}
