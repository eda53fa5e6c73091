package losses_test

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/losses"
)

// At the equilibrium of the minimax game the discriminator outputs ½ for
// every input (logit 0), and V(D, G) = 2·log ½ = −log 4.
func ExampleValue() {
	real := []float64{0, 0, 0, 0}
	fake := []float64{0, 0, 0, 0}
	v := losses.Value(real, fake)
	fmt.Printf("V = %.6f nats = %.6f (−log 4)\n", v, -math.Log(4))
	fmt.Printf("mean D(x) = %.4f, mean D(G(z)) = %.4f\n", losses.MeanProb(real), losses.MeanProb(fake))
	// Output:
	// V = -1.386294 nats = -1.386294 (−log 4)
	// mean D(x) = 0.5000, mean D(G(z)) = 0.5000
}
