package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomSPD returns A·Aᵀ + εI for a random d×d matrix A.
func randomSPD(rng *rand.Rand, d int, eps float64) *mat.SymDense {
	a := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1, a)
	for i := 0; i < d; i++ {
		s.SetSym(i, i, s.At(i, i)+eps)
	}
	return s
}

func randomVec(rng *rand.Rand, d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// sqrtmDenmanBeavers returns the principal square root of a (a matrix
// with eigenvalues off the closed negative real axis) by the
// Denman–Beavers iteration Y ← (Y + Z⁻¹)/2, Z ← (Z + Y⁻¹)/2 from Y = a,
// Z = I: an independent check on FrechetDistance's eigendecomposition.
func sqrtmDenmanBeavers(t *testing.T, a mat.Matrix) *mat.Dense {
	t.Helper()
	d, _ := a.Dims()
	y := mat.DenseCopyOf(a)
	z := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		z.Set(i, i, 1)
	}
	for it := 0; it < 100; it++ {
		var yi, zi mat.Dense
		require.NoError(t, yi.Inverse(y))
		require.NoError(t, zi.Inverse(z))
		var ny, nz mat.Dense
		ny.Add(y, &zi)
		ny.Scale(0.5, &ny)
		nz.Add(z, &yi)
		nz.Scale(0.5, &nz)
		var diff mat.Dense
		diff.Sub(&ny, y)
		y, z = &ny, &nz
		if mat.Norm(&diff, 1) < 1e-15*mat.Norm(y, 1) {
			break
		}
	}
	return y
}

func TestFrechetDistanceOfIdenticalGaussians(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, d := range []int{1, 3, 16} {
		cov := randomSPD(rng, d, 0.1)
		mu := randomVec(rng, d)
		fd, err := FrechetDistance(mu, cov, mu, cov)
		require.NoError(t, err)
		require.InDelta(t, 0, fd, 1e-9*float64(d))
	}
}

func TestFrechetDistanceOneDimensional(t *testing.T) {
	// (μ1 − μ2)² + (σ1 − σ2)² for N(1, 2²) and N(3, 3²): 4 + 1.
	fd, err := FrechetDistance([]float64{1}, mat.NewSymDense(1, []float64{4}), []float64{3}, mat.NewSymDense(1, []float64{9}))
	require.NoError(t, err)
	require.InDelta(t, 5, fd, 1e-12)
}

func TestFrechetDistanceDiagonal(t *testing.T) {
	mu1 := []float64{0, 1, -2, 0.5}
	mu2 := []float64{1, 1, 0, -0.5}
	a := []float64{1, 4, 0.25, 2}
	b := []float64{9, 4, 1, 0.5}
	want := 0.0
	for i := range a {
		dm := mu1[i] - mu2[i]
		ds := math.Sqrt(a[i]) - math.Sqrt(b[i])
		want += dm*dm + ds*ds
	}
	c1, c2 := mat.NewSymDense(4, nil), mat.NewSymDense(4, nil)
	for i := range a {
		c1.SetSym(i, i, a[i])
		c2.SetSym(i, i, b[i])
	}
	fd, err := FrechetDistance(mu1, c1, mu2, c2)
	require.NoError(t, err)
	require.InDelta(t, want, fd, 1e-12)

	// Singular (rank-deficient) covariances are positive semi-definite
	// and fine: diag(1, 0) against diag(4, 0) is (1 − 2)² = 1.
	s1 := mat.NewSymDense(2, []float64{1, 0, 0, 0})
	s2 := mat.NewSymDense(2, []float64{4, 0, 0, 0})
	fd, err = FrechetDistance([]float64{0, 0}, s1, []float64{0, 0}, s2)
	require.NoError(t, err)
	require.InDelta(t, 1, fd, 1e-12)
}

func TestFrechetDistanceAgainstDenmanBeavers(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, d := range []int{2, 5, 8} {
		c1 := randomSPD(rng, d, 0.5)
		c2 := randomSPD(rng, d, 0.5)
		mu1, mu2 := randomVec(rng, d), randomVec(rng, d)
		var prod mat.Dense
		prod.Mul(c1, c2) // not symmetric; eigenvalues real and positive
		root := sqrtmDenmanBeavers(t, &prod)
		var check mat.Dense
		check.Mul(root, root)
		require.True(t, mat.EqualApprox(&check, &prod, 1e-9*mat.Norm(&prod, 1)), "Denman–Beavers did not converge")
		want := mat.Trace(c1) + mat.Trace(c2) - 2*mat.Trace(root)
		for i := range mu1 {
			want += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i])
		}
		fd, err := FrechetDistance(mu1, c1, mu2, c2)
		require.NoError(t, err)
		require.InDelta(t, want, fd, 1e-8*math.Max(1, want), "d=%d", d)
		require.Greater(t, fd, 0.0)

		// Symmetric in its two arguments.
		back, err := FrechetDistance(mu2, c2, mu1, c1)
		require.NoError(t, err)
		require.InDelta(t, fd, back, 1e-8*math.Max(1, fd))
	}
}

func TestMeanCov(t *testing.T) {
	mean, cov, err := MeanCov([][]float64{{1, 2}, {3, 4}, {5, 0}})
	require.NoError(t, err)
	require.Equal(t, []float64{3, 2}, mean)
	// x deviations (−2, 0, 2), y deviations (0, 2, −2), divided by n−1 = 2.
	require.True(t, mat.EqualApprox(cov, mat.NewSymDense(2, []float64{4, -2, -2, 4}), 1e-12))

	// Features shifted by c: the same covariance, distance ‖c‖².
	rng := rand.New(rand.NewPCG(4, 5))
	feats := make([][]float64, 200)
	shifted := make([][]float64, 200)
	c := []float64{1, -2, 0.5}
	for i := range feats {
		feats[i] = randomVec(rng, 3)
		feats[i][1] += 0.7 * feats[i][0] // correlated features
		shifted[i] = []float64{feats[i][0] + c[0], feats[i][1] + c[1], feats[i][2] + c[2]}
	}
	m1, c1, err := MeanCov(feats)
	require.NoError(t, err)
	m2, c2, err := MeanCov(shifted)
	require.NoError(t, err)
	fd, err := FrechetDistance(m1, c1, m2, c2)
	require.NoError(t, err)
	require.InDelta(t, 1+4+0.25, fd, 1e-9)
}

func TestFrechetAndMeanCovErrors(t *testing.T) {
	id2 := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	id3 := mat.NewSymDense(3, nil)
	_, err := FrechetDistance(nil, id2, nil, id2)
	require.ErrorContains(t, err, "empty mean")
	_, err = FrechetDistance([]float64{0, 0}, id2, []float64{0}, id2)
	require.ErrorContains(t, err, "dimensions 2 and 1")
	_, err = FrechetDistance([]float64{0, 0}, id3, []float64{0, 0}, id2)
	require.ErrorContains(t, err, "cov1 is 3×3")
	_, err = FrechetDistance([]float64{0, 0}, id2, []float64{0, 0}, nil)
	require.ErrorContains(t, err, "nil covariance")
	_, err = FrechetDistance([]float64{0, math.NaN()}, id2, []float64{0, 0}, id2)
	require.ErrorContains(t, err, "mu1/cov1: mean[1] = NaN")
	notPSD := mat.NewSymDense(2, []float64{1, 0, 0, -1})
	_, err = FrechetDistance([]float64{0, 0}, notPSD, []float64{0, 0}, id2)
	require.ErrorContains(t, err, "cov1: not positive semi-definite (eigenvalue -1)")
	_, err = FrechetDistance([]float64{0, 0}, id2, []float64{0, 0}, notPSD)
	require.ErrorContains(t, err, "not positive semi-definite")

	_, _, err = MeanCov([][]float64{{1}})
	require.ErrorContains(t, err, "1 feature vectors, want at least 2")
	_, _, err = MeanCov([][]float64{{1, 2}, {1}})
	require.ErrorContains(t, err, "feature vector 1 has length 1, vector 0 2")
	_, _, err = MeanCov([][]float64{{}, {}})
	require.ErrorContains(t, err, "empty feature vectors")
}
