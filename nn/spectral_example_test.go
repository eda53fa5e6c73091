package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/nn"
	"gorgonia.org/tensor"
)

// ExampleSpectralNorm estimates the largest singular value of
// diag(3, −5, 2) by power iteration; a Training-mode graph does one step
// of it before every run (Builder.BeforeRun) and uses W/σ.
func ExampleSpectralNorm() {
	ps, _ := nn.NewParams(tensor.Float64)
	w, _ := ps.New("w", []int{3, 3}, nil, nil)
	_ = w.SetFloat64s([]float64{3, 0, 0, 0, -5, 0, 0, 0, 2})
	sn, err := nn.NewSpectralNorm(ps, w, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	for i := 0; i < 50; i++ {
		sn.PowerIteration()
	}
	fmt.Printf("σ ≈ %.6f; buffers %s and %s\n", sn.Sigma(), sn.U.Name, sn.V.Name)
	// Output: σ ≈ 5.000000; buffers w/sn_u and w/sn_v
}
