package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// psdTolerance is how negative, relative to the largest eigenvalue's
// magnitude (or 1 if that is smaller), an eigenvalue of a covariance may be
// before it is rejected rather than treated as rounding error and clamped
// to 0.
const psdTolerance = 1e-9

// FrechetDistance returns the squared Fréchet (2-Wasserstein) distance
// between the Gaussians N(mu1, cov1) and N(mu2, cov2),
//
//	‖mu1 − mu2‖² + Tr(cov1 + cov2 − 2(cov1·cov2)^{1/2}),
//
// the formula of the Fréchet Inception Distance (Heusel et al. 2017) when
// the means and covariances are those of Inception features of real and
// generated images (see MeanCov).
//
// The trace of the matrix square root is computed stably as Σ√λᵢ over the
// eigenvalues λᵢ of the symmetric positive semi-definite matrix
// cov1^{1/2}·cov2·cov1^{1/2}, which has the same eigenvalues as cov1·cov2;
// cov1^{1/2} comes from the eigendecomposition of cov1. Eigenvalues that
// are negative by rounding error are treated as 0, and the result, which
// is mathematically nonnegative, is clamped at 0.
//
// It returns an error if the dimensions disagree, a value is not finite or
// a covariance is not positive semi-definite.
func FrechetDistance(mu1 []float64, cov1 mat.Symmetric, mu2 []float64, cov2 mat.Symmetric) (float64, error) {
	d := len(mu1)
	if d == 0 {
		return 0, fmt.Errorf("metrics: Fréchet distance: empty mean")
	}
	if len(mu2) != d {
		return 0, fmt.Errorf("metrics: Fréchet distance: means of dimensions %d and %d", d, len(mu2))
	}
	if cov1 == nil || cov2 == nil {
		return 0, fmt.Errorf("metrics: Fréchet distance: nil covariance")
	}
	if n := cov1.SymmetricDim(); n != d {
		return 0, fmt.Errorf("metrics: Fréchet distance: cov1 is %d×%d for a mean of dimension %d", n, n, d)
	}
	if n := cov2.SymmetricDim(); n != d {
		return 0, fmt.Errorf("metrics: Fréchet distance: cov2 is %d×%d for a mean of dimension %d", n, n, d)
	}
	if err := checkFinite(mu1, cov1); err != nil {
		return 0, fmt.Errorf("metrics: Fréchet distance: mu1/cov1: %w", err)
	}
	if err := checkFinite(mu2, cov2); err != nil {
		return 0, fmt.Errorf("metrics: Fréchet distance: mu2/cov2: %w", err)
	}

	meanTerm := 0.0
	for i := range mu1 {
		diff := mu1[i] - mu2[i]
		meanTerm += diff * diff
	}
	trace := 0.0
	for i := 0; i < d; i++ {
		trace += cov1.At(i, i) + cov2.At(i, i)
	}

	root1, err := sqrtPSD(cov1)
	if err != nil {
		return 0, fmt.Errorf("metrics: Fréchet distance: cov1: %w", err)
	}
	var tmp, prod mat.Dense
	tmp.Mul(root1, cov2)
	prod.Mul(&tmp, root1)
	inner := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			inner.SetSym(i, j, (prod.At(i, j)+prod.At(j, i))/2)
		}
	}
	vals, err := eigenvalues(inner)
	if err != nil {
		return 0, fmt.Errorf("metrics: Fréchet distance: cov1^½·cov2·cov1^½: %w", err)
	}
	traceRoot := 0.0
	for _, v := range vals {
		traceRoot += math.Sqrt(v)
	}
	return math.Max(meanTerm+trace-2*traceRoot, 0), nil
}

// MeanCov returns the mean and the unbiased (divided by n−1) covariance
// matrix of n ≥ 2 feature vectors of equal length, as numpy.cov computes
// them for the FID.
func MeanCov(features [][]float64) ([]float64, *mat.SymDense, error) {
	n := len(features)
	if n < 2 {
		return nil, nil, fmt.Errorf("metrics: mean and covariance of %d feature vectors, want at least 2", n)
	}
	d := len(features[0])
	if d == 0 {
		return nil, nil, fmt.Errorf("metrics: mean and covariance: empty feature vectors")
	}
	mean := make([]float64, d)
	for i, f := range features {
		if len(f) != d {
			return nil, nil, fmt.Errorf("metrics: mean and covariance: feature vector %d has length %d, vector 0 %d", i, len(f), d)
		}
		for k, v := range f {
			mean[k] += v
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	cov := make([]float64, d*d)
	centred := make([]float64, d)
	for _, f := range features {
		for k, v := range f {
			centred[k] = v - mean[k]
		}
		for a := 0; a < d; a++ {
			ca := centred[a]
			row := cov[a*d : (a+1)*d]
			for b := a; b < d; b++ {
				row[b] += ca * centred[b]
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := cov[a*d+b] / float64(n-1)
			cov[a*d+b], cov[b*d+a] = v, v
		}
	}
	return mean, mat.NewSymDense(d, cov), nil
}

func checkFinite(mu []float64, cov mat.Symmetric) error {
	for i, v := range mu {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("mean[%d] = %v", i, v)
		}
	}
	d := cov.SymmetricDim()
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			if v := cov.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("cov[%d,%d] = %v", i, j, v)
			}
		}
	}
	return nil
}

// eigenvalues returns the eigenvalues of the symmetric matrix s, rejecting
// clearly negative ones and clamping those negative by rounding to 0.
func eigenvalues(s mat.Symmetric) ([]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil, fmt.Errorf("eigendecomposition failed")
	}
	return clampPSD(eig.Values(nil))
}

func clampPSD(vals []float64) ([]float64, error) {
	scale := 1.0
	for _, v := range vals {
		scale = math.Max(scale, math.Abs(v))
	}
	for i, v := range vals {
		if v < 0 {
			if v < -psdTolerance*scale {
				return nil, fmt.Errorf("not positive semi-definite (eigenvalue %g)", v)
			}
			vals[i] = 0
		}
	}
	return vals, nil
}

// sqrtPSD returns the symmetric positive semi-definite square root
// V·diag(√λ)·Vᵀ of the positive semi-definite matrix s.
func sqrtPSD(s mat.Symmetric) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("eigendecomposition failed")
	}
	vals, err := clampPSD(eig.Values(nil))
	if err != nil {
		return nil, err
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	d := len(vals)
	scaled := mat.NewDense(d, d, nil)
	for j, v := range vals {
		r := math.Sqrt(v)
		for i := 0; i < d; i++ {
			scaled.Set(i, j, vecs.At(i, j)*r)
		}
	}
	root := mat.NewDense(d, d, nil)
	root.Mul(scaled, vecs.T())
	return root, nil
}
