//go:build openblas && cgo

package ops

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// With the build tag openblas (and cgo), every matrix product of gogan,
// Gorgonia's and this package's, runs on the system's CBLAS (OpenBLAS):
// build with CGO_LDFLAGS=-lopenblas go build -tags openblas.
func init() {
	impl := netlib.Implementation{}
	G.Use(impl)
	blas32.Use(impl)
	blas64.Use(impl)
}
