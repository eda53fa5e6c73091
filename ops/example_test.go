package ops_test

import (
	"fmt"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A 2×2 kernel of ones with stride 2 expands every input pixel into a 2×2
// block.
func ExampleConvTranspose2d() {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithName("x"), G.WithShape(1, 1, 2, 2),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float64{1, 2, 3, 4}))))
	w := G.NewTensor(g, tensor.Float64, 4, G.WithName("w"), G.WithShape(1, 1, 2, 2),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float64{1, 1, 1, 1}))))

	y, err := ops.ConvTranspose2d(x, w, [2]int{2, 2}, [2]int{0, 0}, [2]int{0, 0})
	if err != nil {
		panic(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		panic(err)
	}

	fmt.Println(y.Shape())
	data := y.Value().Data().([]float64)
	for i := 0; i < 4; i++ {
		fmt.Println(data[4*i : 4*i+4])
	}
	// Output:
	// (1, 1, 4, 4)
	// [1 1 2 2]
	// [1 1 2 2]
	// [3 3 4 4]
	// [3 3 4 4]
}

func ExampleConvTranspose2dOutputSize() {
	// DCGAN generator: 7×7 → 14×14 → 28×28 with kernel 4, stride 2, pad 1.
	fmt.Println(ops.ConvTranspose2dOutputSize(7, 4, 2, 1, 0))
	fmt.Println(ops.ConvTranspose2dOutputSize(14, 4, 2, 1, 0))
	// Output:
	// 14
	// 28
}
