//go:build !((linux && !android) || darwin)

package ops

import (
	"errors"
	"runtime"
)

// openBLAS is not implemented outside Linux and macOS: the products run
// on gonum's pure-Go BLAS (GOGAN_BLAS naming a library reports this
// error).
func openBLAS(file string) (*cblasLib, error) {
	return nil, errors.New("loading a BLAS library at run time is implemented on Linux and macOS only, not " + runtime.GOOS)
}

func (l *cblasLib) callSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("ops: no BLAS library")
}

func (l *cblasLib) callDgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	panic("ops: no BLAS library")
}
