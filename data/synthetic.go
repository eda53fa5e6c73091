package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Gaussian1D is the normal distribution N(Mean, Std²) on the line, a Source
// of samples of shape [1].
type Gaussian1D struct {
	Mean, Std float64
}

// NewGaussian1D returns N(4, 0.5²), the 1-D target of the original GAN
// demonstrations.
func NewGaussian1D() Gaussian1D { return Gaussian1D{Mean: 4, Std: 0.5} }

// Shape returns [1].
func (g Gaussian1D) Shape() []int { return []int{1} }

// Draw writes one sample into dst[0].
func (g Gaussian1D) Draw(rng *rand.Rand, dst []float32) {
	dst[0] = float32(g.Mean + g.Std*rng.NormFloat64())
}

// Mixture is an equal-weight mixture of isotropic 2-D Gaussians with a
// common standard deviation, a Source of samples of shape [2]: the ring and
// grid targets used to measure mode collapse.
type Mixture struct {
	means [][2]float64
	std   float64
}

// NewMixture returns the equal-weight mixture of N(m, std²I) for m in means.
func NewMixture(means [][2]float64, std float64) (*Mixture, error) {
	if len(means) == 0 {
		return nil, fmt.Errorf("data: mixture of no components")
	}
	if !(std >= 0) || math.IsInf(std, 0) {
		return nil, fmt.Errorf("data: mixture std %v, want finite and >= 0", std)
	}
	return &Mixture{means: append([][2]float64(nil), means...), std: std}, nil
}

// Ring returns the mixture of n Gaussians of standard deviation std with
// means on the circle of the given radius, at angles 2πi/n.
func Ring(n int, radius, std float64) (*Mixture, error) {
	if n <= 0 {
		return nil, fmt.Errorf("data: ring of %d components", n)
	}
	means := make([][2]float64, n)
	for i := range means {
		a := 2 * math.Pi * float64(i) / float64(n)
		means[i] = [2]float64{radius * math.Cos(a), radius * math.Sin(a)}
	}
	return NewMixture(means, std)
}

// Grid returns the mixture of k×k Gaussians of standard deviation std with
// means on a square grid of the given spacing centred on the origin.
func Grid(k int, spacing, std float64) (*Mixture, error) {
	if k <= 0 {
		return nil, fmt.Errorf("data: grid of %d×%d components", k, k)
	}
	means := make([][2]float64, 0, k*k)
	c := float64(k-1) / 2
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			means = append(means, [2]float64{spacing * (float64(i) - c), spacing * (float64(j) - c)})
		}
	}
	return NewMixture(means, std)
}

// NewRing8 returns the 8-Gaussian ring: means on the unit circle, std 0.01.
func NewRing8() *Mixture {
	m, _ := Ring(8, 1, 0.01)
	return m
}

// NewGrid25 returns the 25-Gaussian grid: means on {−4, −2, 0, 2, 4}², std
// 0.05.
func NewGrid25() *Mixture {
	m, _ := Grid(5, 2, 0.05)
	return m
}

// Means returns a copy of the component means.
func (m *Mixture) Means() [][2]float64 { return append([][2]float64(nil), m.means...) }

// Std returns the components' standard deviation.
func (m *Mixture) Std() float64 { return m.std }

// Shape returns [2].
func (m *Mixture) Shape() []int { return []int{2} }

// Draw picks a component uniformly and writes a sample of it into dst[0:2].
func (m *Mixture) Draw(rng *rand.Rand, dst []float32) {
	c := m.means[rng.IntN(len(m.means))]
	dst[0] = float32(c[0] + m.std*rng.NormFloat64())
	dst[1] = float32(c[1] + m.std*rng.NormFloat64())
}
