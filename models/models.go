// Package models provides ready-made generators and discriminators for
// gogan: configurable multilayer perceptrons (MLPGenerator,
// MLPDiscriminator) and DCGANs (DCGANGenerator, DCGANDiscriminator, for
// 28×28 images or square images of a power-of-two size), and the
// reference configurations used by the examples and benchmarks
// (ReferenceMLP, ReferenceDCGAN, ReferenceDCGAN64).
//
// Every model satisfies gan.Generator or gan.Discriminator and describes
// itself with a Spec (a kind and a JSON configuration), which is what a
// saved model file records so that Load (or NewGenerator and
// NewDiscriminator, from a Spec) can rebuild the networks before it
// restores their weights.
package models

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// newRNG returns the generator a model draws its initial weights from.
// stream separates the generator's and the discriminator's draws, so that
// one seed can be given to both.
func newRNG(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^stream))
}

func parseDType(s string) (tensor.Dtype, error) {
	switch s {
	case "", "float32":
		return tensor.Float32, nil
	case "float64":
		return tensor.Float64, nil
	}
	return tensor.Float32, fmt.Errorf("models: unknown dtype %q (want float32 or float64)", s)
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkShape(field string, shape []int) error {
	if len(shape) == 0 {
		return fmt.Errorf("models: %s is empty", field)
	}
	for _, d := range shape {
		if d <= 0 {
			return fmt.Errorf("models: %s %v has a non-positive dimension", field, shape)
		}
	}
	return nil
}
