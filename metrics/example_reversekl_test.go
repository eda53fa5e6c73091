package metrics_test

import (
	"fmt"

	"github.com/gogan/gogan/metrics"
)

// The reverse KL of a histogram over four modes against the uniform
// distribution: samples split 3:1 over two modes give ¾·log 3 nats.
func ExampleReverseKLUniform() {
	kl, err := metrics.ReverseKLUniform([]int{30, 10, 0, 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f nats\n", kl)
	// Output: 0.8240 nats
}
