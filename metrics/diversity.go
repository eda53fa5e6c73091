package metrics

import (
	"fmt"
	"math"
)

// Diversity returns the mean Euclidean distance between the n(n−1)/2
// pairs of distinct samples of a batch of n samples of dim values each,
// stored row-major in samples (which may be longer than n·dim; the rest
// is ignored). It takes O(n²·dim) time, which is fine for n up to a few
// hundred. It is 0 for a batch of identical samples and NaN if a sample
// holds NaN.
func Diversity(samples []float32, n, dim int) (float64, error) {
	if n < 2 {
		return 0, fmt.Errorf("metrics: diversity of %d samples, want at least 2", n)
	}
	if dim < 1 {
		return 0, fmt.Errorf("metrics: diversity of samples of dimension %d", dim)
	}
	if len(samples) < n*dim {
		return 0, fmt.Errorf("metrics: diversity: %d values for %d samples of dimension %d", len(samples), n, dim)
	}
	total := 0.0
	for i := 0; i < n; i++ {
		a := samples[i*dim : (i+1)*dim]
		for j := i + 1; j < n; j++ {
			b := samples[j*dim : (j+1)*dim]
			total += math.Sqrt(sqDist(a, b))
		}
	}
	return total / float64(n*(n-1)/2), nil
}

// DiversityRatio returns Diversity(gen)/Diversity(real) for a generated
// and a real batch of n samples of dim values each: the live mode-collapse
// alarm. It is near 1 when the generator is as varied as the data and
// falls towards 0 as it collapses. It returns an error if either batch is
// malformed or the real batch's diversity is 0.
func DiversityRatio(gen, real []float32, n, dim int) (float64, error) {
	g, err := Diversity(gen, n, dim)
	if err != nil {
		return 0, fmt.Errorf("metrics: diversity ratio: generated batch: %w", err)
	}
	r, err := Diversity(real, n, dim)
	if err != nil {
		return 0, fmt.Errorf("metrics: diversity ratio: real batch: %w", err)
	}
	if r == 0 {
		return 0, fmt.Errorf("metrics: diversity ratio: the real batch's samples are all identical")
	}
	return g / r, nil
}

// sqDistGo returns the squared Euclidean distance of a and b (same
// length), accumulated in float64 with four independent sums so that the
// loop is not bound by the latency of one add chain. sqDist uses it where
// there is no assembly loop, and for the tail.
func sqDistGo(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		d0 := float64(a[k]) - float64(b[k])
		d1 := float64(a[k+1]) - float64(b[k+1])
		d2 := float64(a[k+2]) - float64(b[k+2])
		d3 := float64(a[k+3]) - float64(b[k+3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; k < len(a); k++ {
		d := float64(a[k]) - float64(b[k])
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}
