package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gogan/gogan/data"
)

func ring8Means() [][2]float64 { return data.NewRing8().Means() }

func offset(p [2]float64, dx, dy float64) [2]float64 { return [2]float64{p[0] + dx, p[1] + dy} }

func TestModeCoverageAllModesAtTheirMeans(t *testing.T) {
	means := ring8Means()
	c, err := ModeCoverage(means, means, 0.01)
	require.NoError(t, err)
	require.Equal(t, 8, c.Samples)
	require.Equal(t, 8, c.Modes)
	require.Equal(t, 8, c.ModesCovered)
	require.Equal(t, 8, c.HighQuality)
	require.Equal(t, 1.0, c.HighQualityShare)
	require.Equal(t, []int{1, 1, 1, 1, 1, 1, 1, 1}, c.PerMode)
	require.Equal(t, c.PerMode, c.Assigned)
	require.InDelta(t, 0, c.ReverseKL, 1e-15)
	require.Equal(t, "covered 8/8 modes, 100.0% high quality, reverse KL 0.000", c.String())

	grid := data.NewGrid25()
	var pts [][2]float64
	for _, m := range grid.Means() {
		pts = append(pts, m, m, m) // three samples per mode
	}
	c, err = MixtureCoverage(pts, grid)
	require.NoError(t, err)
	require.Equal(t, 25, c.ModesCovered)
	require.Equal(t, 75, c.HighQuality)
	require.InDelta(t, 0, c.ReverseKL, 1e-15)
}

func TestModeCoverageCollapsedOntoOneMode(t *testing.T) {
	means := ring8Means()
	pts := make([][2]float64, 10)
	for i := range pts {
		pts[i] = means[3]
	}
	c, err := ModeCoverage(pts, means, 0.01)
	require.NoError(t, err)
	require.Equal(t, 1, c.ModesCovered)
	require.Equal(t, 1.0, c.HighQualityShare)
	require.Equal(t, []int{0, 0, 0, 10, 0, 0, 0, 0}, c.PerMode)
	require.InDelta(t, math.Log(8), c.ReverseKL, 1e-12)
}

func TestModeCoverageFarAwayPoints(t *testing.T) {
	means := ring8Means()
	pts := [][2]float64{{10, 10}, {-10, 3}, {0.1, -0.02}, {0.5, 0.5}}
	c, err := ModeCoverage(pts, means, 0.01)
	require.NoError(t, err)
	require.Equal(t, 0, c.ModesCovered)
	require.Equal(t, 0, c.HighQuality)
	require.Equal(t, 0.0, c.HighQualityShare)
	require.Equal(t, make([]int, 8), c.PerMode)
	// Every sample is still assigned to its nearest mode: (0.1, −0.02) to
	// the mode at 0°, (10, 10) and (0.5, 0.5) to the one at 45°, (−10, 3)
	// to the one at 180°.
	require.Equal(t, []int{1, 2, 0, 0, 1, 0, 0, 0}, c.Assigned)
}

func TestModeCoverageHalfOffTheModes(t *testing.T) {
	// Eight samples at the means, eight 10 std off them: half high quality,
	// every mode covered, and every sample still nearest its own mode.
	means := ring8Means()
	var pts [][2]float64
	for _, m := range means {
		pts = append(pts, m, offset(m, 0.1*m[0], 0.1*m[1]))
	}
	c, err := ModeCoverage(pts, means, 0.01)
	require.NoError(t, err)
	require.Equal(t, 0.5, c.HighQualityShare)
	require.Equal(t, 8, c.HighQuality)
	require.Equal(t, 8, c.ModesCovered)
	require.Equal(t, []int{2, 2, 2, 2, 2, 2, 2, 2}, c.Assigned)
	require.InDelta(t, 0, c.ReverseKL, 1e-15)
}

func TestModeCoverageThreshold(t *testing.T) {
	means := ring8Means()
	const std = 0.01
	in := offset(means[2], 2.9*std, 0)
	out := offset(means[5], 0, -3.1*std)
	c, err := ModeCoverage([][2]float64{in, out}, means, std)
	require.NoError(t, err)
	require.Equal(t, 1, c.HighQuality)
	require.Equal(t, 1, c.ModesCovered)
	require.Equal(t, []int{0, 0, 1, 0, 0, 0, 0, 0}, c.PerMode)
	require.Equal(t, []int{0, 0, 1, 0, 0, 1, 0, 0}, c.Assigned)

	// On the grid (std 0.05), diagonally: 2.9 std is inside, 3.1 outside.
	grid := data.NewGrid25()
	g := grid.Means()
	d := 1 / math.Sqrt2
	c, err = MixtureCoverage([][2]float64{
		offset(g[7], 2.9*0.05*d, 2.9*0.05*d),
		offset(g[7], -3.1*0.05*d, 3.1*0.05*d),
	}, grid)
	require.NoError(t, err)
	require.Equal(t, 1, c.HighQuality)
	require.Equal(t, 2, c.Assigned[7])

	// Exactly 3 std away counts as high quality (exact in floating point).
	c, err = ModeCoverage([][2]float64{{3, 0}, {0, -3}, {3, 4}}, [][2]float64{{0, 0}, {10, 10}}, 1)
	require.NoError(t, err)
	require.Equal(t, 2, c.HighQuality)
}

func TestModeCoverageThreeToOneSplit(t *testing.T) {
	// 30 samples at mode 0 and 10 at mode 1 of the ring: p_gen = (3/4,
	// 1/4, 0, …, 0) against the uniform 1/8, so KL = ¾·log(¾·8) +
	// ¼·log(¼·8) = ¾·log 6 + ¼·log 2.
	means := ring8Means()
	var pts [][2]float64
	for i := 0; i < 40; i++ {
		if i < 30 {
			pts = append(pts, means[0])
		} else {
			pts = append(pts, means[1])
		}
	}
	c, err := ModeCoverage(pts, means, 0.01)
	require.NoError(t, err)
	require.Equal(t, 2, c.ModesCovered)
	require.InDelta(t, 0.75*math.Log(6)+0.25*math.Log(2), c.ReverseKL, 1e-12)

	// A two-mode mixture with the same split: ¾·log(3/2) + ¼·log(1/2).
	two := [][2]float64{{-1, 0}, {1, 0}}
	pts = pts[:0]
	for i := 0; i < 4; i++ {
		p := two[0]
		if i == 3 {
			p = two[1]
		}
		pts = append(pts, offset(p, 0, 0.01*float64(i)))
	}
	c, err = ModeCoverage(pts, two, 0.1)
	require.NoError(t, err)
	require.Equal(t, 2, c.ModesCovered)
	require.Equal(t, []int{3, 1}, c.PerMode)
	require.InDelta(t, 0.75*math.Log(1.5)+0.25*math.Log(0.5), c.ReverseKL, 1e-12)
}

func TestModeCoverageKLCountsLowQualitySamples(t *testing.T) {
	// ReverseKL assigns every sample to its nearest mode, high quality or
	// not: two high-quality samples at mode 0 and two poor ones nearest
	// mode 1 give p_gen = (½, ½) and KL 0, though only one mode is
	// covered. ReverseKLHighQuality, PacGAN's code's version, counts only
	// the high-quality samples: p_hq = (1, 0), KL log 2.
	two := [][2]float64{{-1, 0}, {1, 0}}
	pts := [][2]float64{{-1, 0}, {-1, 0}, {0.5, 0}, {0.6, 0}}
	c, err := ModeCoverage(pts, two, 0.01)
	require.NoError(t, err)
	require.Equal(t, []int{2, 0}, c.PerMode)
	require.Equal(t, []int{2, 2}, c.Assigned)
	require.Equal(t, 1, c.ModesCovered)
	require.InDelta(t, 0, c.ReverseKL, 1e-15)
	require.InDelta(t, math.Log(2), c.ReverseKLHighQuality, 1e-15)

	// No high-quality sample: the high-quality histogram is empty.
	c, err = ModeCoverage([][2]float64{{0.5, 0}}, two, 0.01)
	require.NoError(t, err)
	require.True(t, math.IsNaN(c.ReverseKLHighQuality))
}

func TestReverseKLUniform(t *testing.T) {
	// (3, 1, 0, 0) over 4 bins: ¾·log(¾·4) + ¼·log(¼·4) = ¾·log 3.
	kl, err := ReverseKLUniform([]int{3, 1, 0, 0})
	require.NoError(t, err)
	require.InDelta(t, 0.75*math.Log(3), kl, 1e-15)
	kl, err = ReverseKLUniform([]int{5, 5})
	require.NoError(t, err)
	require.Equal(t, 0.0, kl)
	_, err = ReverseKLUniform([]int{0, 0})
	require.ErrorContains(t, err, "all 2 counts are 0")
	_, err = ReverseKLUniform([]int{1, -1})
	require.ErrorContains(t, err, "count 1 is -1, negative")
	_, err = ReverseKLUniform(nil)
	require.ErrorContains(t, err, "no bins")
}

func TestMixtureCoverageOfTheDataItself(t *testing.T) {
	// Samples of the target itself: every mode covered, the high-quality
	// share is P(χ²₂ ≤ 9) = 1 − e^−4.5 ≈ 0.9889, and the KL is near 0.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []*data.Mixture{data.NewRing8(), data.NewGrid25()} {
		flat := make([]float32, 2*5000)
		for i := 0; i < 5000; i++ {
			m.Draw(rng, flat[2*i:])
		}
		pts, err := Points2D(flat)
		require.NoError(t, err)
		c, err := MixtureCoverage(pts, m)
		require.NoError(t, err)
		require.Equal(t, c.Modes, c.ModesCovered)
		require.InDelta(t, 1-math.Exp(-4.5), c.HighQualityShare, 0.006)
		require.Less(t, c.ReverseKL, 0.01)
	}
}

func TestModeCoverageErrors(t *testing.T) {
	means := ring8Means()
	_, err := ModeCoverage(nil, means, 0.01)
	require.ErrorContains(t, err, "no points")
	_, err = ModeCoverage(means, nil, 0.01)
	require.ErrorContains(t, err, "no modes")
	_, err = ModeCoverage(means, means, -1)
	require.ErrorContains(t, err, "std -1")
	_, err = ModeCoverage(means, means, math.NaN())
	require.ErrorContains(t, err, "std NaN")
	_, err = ModeCoverage([][2]float64{{0, 0}, {math.NaN(), 1}}, means, 0.01)
	require.ErrorContains(t, err, "point 1 is [NaN 1], not finite")
	_, err = ModeCoverage(means, [][2]float64{{math.Inf(1), 0}}, 0.01)
	require.ErrorContains(t, err, "mean 0")
	_, err = MixtureCoverage(means, nil)
	require.ErrorContains(t, err, "nil mixture")
	_, err = Points2D([]float32{1, 2, 3})
	require.ErrorContains(t, err, "3 values")
	pts, err := Points2D([]float32{1, 2, 3, 4})
	require.NoError(t, err)
	require.Equal(t, [][2]float64{{1, 2}, {3, 4}}, pts)
}
