package gan

import (
	"fmt"
	"math/rand/v2"
)

// Noise is the prior p_z the generator's input is drawn from.
type Noise interface {
	// Fill writes independent draws into z using rng.
	Fill(rng *rand.Rand, z []float64)
	// String names the prior, e.g. "normal".
	String() string
}

// NormalNoise is the standard normal prior N(0, 1), the default.
type NormalNoise struct{}

// Fill draws from N(0, 1).
func (NormalNoise) Fill(rng *rand.Rand, z []float64) {
	for i := range z {
		z[i] = rng.NormFloat64()
	}
}

func (NormalNoise) String() string { return "normal" }

// UniformNoise is the uniform prior on [-1, 1].
type UniformNoise struct{}

// Fill draws from U(-1, 1).
func (UniformNoise) Fill(rng *rand.Rand, z []float64) {
	for i := range z {
		z[i] = 2*rng.Float64() - 1
	}
}

func (UniformNoise) String() string { return "uniform" }

// NoiseFunc adapts a function that draws one value to a Noise, for a
// custom prior: gan.NoiseFunc{Name: "exp", Draw: func(r *rand.Rand) float64 { return r.ExpFloat64() }}.
type NoiseFunc struct {
	Name string
	Draw func(rng *rand.Rand) float64
}

// Fill calls Draw for every element of z.
func (f NoiseFunc) Fill(rng *rand.Rand, z []float64) {
	for i := range z {
		z[i] = f.Draw(rng)
	}
}

func (f NoiseFunc) String() string { return f.Name }

// ParseNoise returns the prior named "normal" or "uniform".
func ParseNoise(name string) (Noise, error) {
	switch name {
	case "normal", "gaussian":
		return NormalNoise{}, nil
	case "uniform":
		return UniformNoise{}, nil
	}
	return nil, fmt.Errorf("gan: unknown noise prior %q (want normal or uniform)", name)
}
