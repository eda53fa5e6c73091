package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A maxout layer of 2 pieces from 1 input to 1 output with weights 1 and
// −1 computes |x|.
func ExampleMaxout() {
	ps, err := nn.NewParams(tensor.Float64)
	if err != nil {
		panic(err)
	}
	m, err := nn.NewMaxout(ps, "abs", 1, 1, 2, nn.Zeros(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	if err := m.W[0].SetFloat64s([]float64{1}); err != nil {
		panic(err)
	}
	if err := m.W[1].SetFloat64s([]float64{-1}); err != nil {
		panic(err)
	}
	b := nn.NewBuilder(G.NewGraph(), nn.Inference)
	x := b.Input("x", tensor.Float64, 3, 1)
	copy(x.Value().Data().([]float64), []float64{-2, 0.5, 3})
	y, err := m.Apply(b, x)
	if err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	fmt.Println(y.Value().Data())
	// Output: [2 0.5 3]
}
