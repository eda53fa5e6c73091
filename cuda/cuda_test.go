//go:build cuda

package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// openOrSkip opens device 0 or skips the test, saying why, on a machine
// without an NVIDIA driver or device.
func openOrSkip(t *testing.T) *Runtime {
	t.Helper()
	r, err := Open(0)
	if errors.Is(err, ErrNoDriver) {
		t.Skipf("no NVIDIA driver on this machine, GPU test skipped: %v", err)
	}
	if err != nil {
		t.Fatalf("Open(0): %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("device %v", r.Device())
	return r
}

func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				av, bv := a[i*lda+p], b[p*ldb+j]
				if transA {
					av = a[p*lda+i]
				}
				if transB {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
		}
	}
	return out
}

// TestSgemmAgreesWithCPU runs cuBLAS SGEMM on fresh random matrices in all
// four transpositions, with padded leading dimensions, against a float64
// CPU reference (relative error under 1e-4), and checks that a NaN input
// comes back as NaN.
func TestSgemmAgreesWithCPU(t *testing.T) {
	r := openOrSkip(t)
	rng := rand.New(rand.NewPCG(uint64(rand.Int64()), 1))
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			m, n, k := 64+rng.IntN(64), 1+rng.IntN(300), 1+rng.IntN(800)
			rowsA, colsA, rowsB, colsB := m, k, k, n
			if tA {
				rowsA, colsA = k, m
			}
			if tB {
				rowsB, colsB = n, k
			}
			lda, ldb, ldc := colsA+3, colsB+1, n+2
			fill := func(size int) []float32 {
				v := make([]float32, size)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return v
			}
			a, b, c := fill(rowsA*lda), fill(rowsB*ldb), fill(m*ldc)
			want := refGemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, -0.3, c, ldc)
			if err := r.Sgemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, -0.3, c, ldc); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					got, w := float64(c[i*ldc+j]), want[i*ldc+j]
					if math.IsNaN(got) || math.Abs(got-w) > 1e-4*math.Max(1, math.Abs(w))*math.Sqrt(float64(k)) {
						t.Fatalf("transA %v transB %v m=%d n=%d k=%d: c[%d,%d] = %v, want %v", tA, tB, m, n, k, i, j, got, w)
					}
				}
			}
		}
	}
	a, b, c := []float32{float32(math.NaN()), 1}, []float32{1, 1}, []float32{0}
	if err := r.Sgemm(false, false, 1, 1, 2, 1, a, 2, b, 1, 0, c, 1); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(c[0])) {
		t.Fatalf("NaN input gave %v", c[0])
	}
}

func TestOpenNamesMissingDevice(t *testing.T) {
	openOrSkip(t)
	if _, err := Open(1 << 20); err == nil {
		t.Fatal("Open of a device that does not exist succeeded")
	}
}
