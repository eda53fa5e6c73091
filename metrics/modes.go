package metrics

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/data"
)

// HighQualityStds is the distance, in standard deviations of the mixture's
// components, within which a sample of its nearest mode's mean counts as
// high quality (VEEGAN's and PacGAN's three standard deviations). The
// boundary itself counts as inside.
const HighQualityStds = 3

// Coverage is the mode-collapse score of a set of samples from a
// generator trained on a Gaussian mixture (see ModeCoverage).
type Coverage struct {
	// Samples is the number of samples scored and Modes the number of
	// modes of the mixture.
	Samples, Modes int
	// HighQuality is the number of samples within HighQualityStds
	// standard deviations of their nearest mode's mean, and
	// HighQualityShare that number divided by Samples.
	HighQuality      int
	HighQualityShare float64
	// ModesCovered is the number of modes that are the nearest mode of at
	// least one high-quality sample: the number of nonzero entries of
	// PerMode.
	ModesCovered int
	// PerMode[k] is the number of high-quality samples whose nearest mode
	// is mode k: the histogram of modes over the high-quality samples.
	PerMode []int
	// Assigned[k] is the number of samples, high quality or not, whose
	// nearest mode is mode k. It sums to Samples.
	Assigned []int
	// ReverseKL is KL(p_gen ‖ p_true) in nats, where p_gen is Assigned
	// normalised to sum to 1 (every sample assigned to its nearest mode,
	// high quality or not) and p_true is uniform over the modes; empty
	// modes contribute 0 (0·log 0 = 0). It is 0 when the samples spread
	// evenly over the modes and log(Modes) when they all fall nearest one
	// mode.
	ReverseKL float64
	// ReverseKLHighQuality is KL(p_hq ‖ p_true) in nats for p_hq the
	// histogram PerMode of the high-quality samples normalised to sum to
	// 1: the reverse KL as PacGAN's public code computes it (its
	// "detail of coverage" counts only samples within three standard
	// deviations; log(Modes) minus its "entropy of coverage"). It is NaN
	// when no sample is of high quality.
	ReverseKLHighQuality float64
}

// String summarises the coverage as "covered 6/8 modes, 98.2% high
// quality, reverse KL 0.123".
func (c Coverage) String() string {
	return fmt.Sprintf("covered %d/%d modes, %.1f%% high quality, reverse KL %.3f",
		c.ModesCovered, c.Modes, 100*c.HighQualityShare, c.ReverseKL)
}

// ModeCoverage scores points, samples of a generator trained on the
// equal-weight mixture of the isotropic 2-D Gaussians N(m, std²I) for m in
// means. Each point is assigned to its nearest mean in Euclidean distance
// (the first of equally near means); it is of high quality if that
// distance is at most HighQualityStds·std. See Coverage for the measures.
//
// It returns an error if there are no points or no means, if std is
// negative, infinite or NaN, or if a point or mean is not finite.
func ModeCoverage(points, means [][2]float64, std float64) (Coverage, error) {
	if len(points) == 0 {
		return Coverage{}, fmt.Errorf("metrics: mode coverage: no points")
	}
	if len(means) == 0 {
		return Coverage{}, fmt.Errorf("metrics: mode coverage: no modes")
	}
	if !(std >= 0) || math.IsInf(std, 0) {
		return Coverage{}, fmt.Errorf("metrics: mode coverage: std %v, want finite and >= 0", std)
	}
	for k, m := range means {
		if !finite2(m) {
			return Coverage{}, fmt.Errorf("metrics: mode coverage: mean %d is %v, not finite", k, m)
		}
	}
	c := Coverage{
		Samples:  len(points),
		Modes:    len(means),
		PerMode:  make([]int, len(means)),
		Assigned: make([]int, len(means)),
	}
	radius := HighQualityStds * std
	r2 := radius * radius
	for i, p := range points {
		if !finite2(p) {
			return Coverage{}, fmt.Errorf("metrics: mode coverage: point %d is %v, not finite", i, p)
		}
		best, bestD2 := 0, math.Inf(1)
		for k, m := range means {
			dx, dy := p[0]-m[0], p[1]-m[1]
			if d2 := dx*dx + dy*dy; d2 < bestD2 {
				best, bestD2 = k, d2
			}
		}
		c.Assigned[best]++
		if bestD2 <= r2 {
			c.HighQuality++
			c.PerMode[best]++
		}
	}
	for _, n := range c.PerMode {
		if n > 0 {
			c.ModesCovered++
		}
	}
	c.HighQualityShare = float64(c.HighQuality) / float64(c.Samples)
	c.ReverseKL = klUniform(c.Assigned, c.Samples)
	c.ReverseKLHighQuality = math.NaN()
	if c.HighQuality > 0 {
		c.ReverseKLHighQuality = klUniform(c.PerMode, c.HighQuality)
	}
	return c, nil
}

// MixtureCoverage scores points against the means and standard deviation
// of mixture m, as ModeCoverage does.
func MixtureCoverage(points [][2]float64, m *data.Mixture) (Coverage, error) {
	if m == nil {
		return Coverage{}, fmt.Errorf("metrics: mode coverage: nil mixture")
	}
	return ModeCoverage(points, m.Means(), m.Std())
}

// Points2D converts a batch of 2-D samples stored row-major, as a
// generator's [n, 2] output tensor holds them, into points.
func Points2D(flat []float32) ([][2]float64, error) {
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("metrics: points: %d values do not make 2-D points", len(flat))
	}
	pts := make([][2]float64, len(flat)/2)
	for i := range pts {
		pts[i] = [2]float64{float64(flat[2*i]), float64(flat[2*i+1])}
	}
	return pts, nil
}

func finite2(p [2]float64) bool {
	return !math.IsNaN(p[0]) && !math.IsInf(p[0], 0) && !math.IsNaN(p[1]) && !math.IsInf(p[1], 0)
}

// ReverseKLUniform returns KL(p ‖ u) in nats for p the histogram counts
// normalised to sum to 1 and u the uniform distribution over its bins:
// Coverage.ReverseKL for the counts Assigned, ReverseKLHighQuality for
// PerMode. Empty bins contribute 0. It returns an error if there are no
// bins, a count is negative or all counts are 0.
func ReverseKLUniform(counts []int) (float64, error) {
	if len(counts) == 0 {
		return 0, fmt.Errorf("metrics: reverse KL: no bins")
	}
	total := 0
	for k, n := range counts {
		if n < 0 {
			return 0, fmt.Errorf("metrics: reverse KL: count %d is %d, negative", k, n)
		}
		total += n
	}
	if total == 0 {
		return 0, fmt.Errorf("metrics: reverse KL: all %d counts are 0", len(counts))
	}
	return klUniform(counts, total), nil
}

// klUniform returns KL(counts/total ‖ uniform) for nonnegative counts
// summing to total > 0.
func klUniform(counts []int, total int) float64 {
	k := float64(len(counts))
	kl := 0.0
	for _, n := range counts {
		if n == 0 {
			continue
		}
		q := float64(n) / float64(total)
		kl += q * math.Log(q*k)
	}
	return math.Max(kl, 0)
}
