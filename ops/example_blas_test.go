package ops_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/gogan/gogan/ops"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// UseBLAS("gogan") (or GOGAN_BLAS=gogan) puts every float32 matrix product
// of the process, Gorgonia's and gonum's blas32 included, on gogan's own
// SGEMM: what the default build uses where no BLAS library is installed.
func ExampleUseBLAS() {
	if err := ops.UseBLAS("gogan"); err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = ops.UseBLAS(os.Getenv(ops.BLASEnv)) }() // back to the process's choice

	// C = A·Bᵀ for A 2×3 and B 2×3, row-major.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	blas32.Implementation().Sgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	fmt.Println(strings.HasPrefix(ops.BLAS(), "gogan (pure Go"))
	// Output:
	// [4 2 10 5]
	// true
}
