package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The minibatch layer of Salimans et al.'s code starts centred: after
// InitFromFeatures on a batch, each kernel's statistic (the layer's last
// NumKernels outputs) averages 0 over that batch, however small the
// features are.
func ExampleMinibatchDiscrimination_InitFromFeatures() {
	const n, features, kernels, dim = 8, 3, 2, 4
	ps, err := nn.NewParams(tensor.Float64)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := nn.NewMinibatchDiscriminationWeightNorm(ps, "mbd", features, kernels, dim, rng)
	if err != nil {
		panic(err)
	}
	f := make([]float64, n*features)
	for i := range f {
		f[i] = 1e-3 * rng.NormFloat64()
	}
	if err := m.InitFromFeatures(f, n); err != nil {
		panic(err)
	}

	b := nn.NewBuilder(G.NewGraph(), nn.Inference)
	x := b.Input("f", tensor.Float64, n, features)
	copy(x.Value().Data().([]float64), f)
	out, err := m.Apply(b, x)
	if err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	v := out.Value().Data().([]float64)
	for k := 0; k < kernels; k++ {
		mean := 0.0
		for i := 0; i < n; i++ {
			mean += v[i*m.OutFeatures()+features+k] / n
		}
		fmt.Printf("kernel %d: |mean statistic| < 1e-9: %v\n", k, math.Abs(mean) < 1e-9)
	}
	// Output:
	// kernel 0: |mean statistic| < 1e-9: true
	// kernel 1: |mean statistic| < 1e-9: true
}
