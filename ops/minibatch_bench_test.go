package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkMinibatchKernels times the forward op and its gradient at
// examples/modes' sizes: a batch of 100, 100 kernels of dimension 5.
func BenchmarkMinibatchKernels(b *testing.B) {
	const n, nb, nc = 100, 100, 5
	rng := rand.New(rand.NewPCG(1, 2))
	m, g, _ := mbdInputs(rng, n, nb, nc)
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, kind := range []mbdKind{mbdForward, mbdGrad} {
			vals := []G.Value{denseOf(dt, tensor.Shape{n, nb * nc}, m)}
			if kind == mbdGrad {
				vals = append(vals, denseOf(dt, tensor.Shape{n, nb}, g))
			}
			op := mbdOp{kind: kind, kernels: nb, cache: new(outCache)}
			b.Run(fmt.Sprintf("%s/%v", mbdNames[kind], dt), func(b *testing.B) {
				for b.Loop() {
					if _, err := op.Do(vals...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
