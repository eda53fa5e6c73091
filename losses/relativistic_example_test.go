package losses_test

import (
	"fmt"

	"github.com/gogan/gogan/losses"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ExampleRaGAN evaluates the relativistic average GAN's losses on
// hand-made logits: real [1, 3] (mean 2), generated [−1, 2] (mean 0.5).
// The generator's loss needs the real logits too (GeneratorRelative).
func ExampleRaGAN() {
	g := G.NewGraph()
	real := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("real"), G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 3}))))
	fake := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("fake"), G.WithValue(tensor.New(tensor.WithBacking([]float64{-1, 2}))))
	var l losses.RelativisticLoss = losses.RaGAN{}
	d, err := l.Discriminator(real, fake)
	if err != nil {
		panic(err)
	}
	gl, err := l.GeneratorRelative(real, fake)
	if err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	// D: mean softplus(0.5 − r) + mean softplus(f − 2); G: the roles swapped.
	sp := losses.Softplus
	fmt.Printf("D %.6f (formula %.6f)\n", d.Value().Data(), (sp(-0.5)+sp(-2.5))/2+(sp(-3)+sp(0))/2)
	fmt.Printf("G %.6f (formula %.6f)\n", gl.Value().Data(), (sp(3)+sp(0))/2+(sp(0.5)+sp(2.5))/2)
	// Output:
	// D 0.647351 (formula 0.647351)
	// G 3.647351 (formula 3.647351)
}
