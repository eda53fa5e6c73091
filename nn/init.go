package nn

import (
	"math"
	"math/rand/v2"
)

// Init fills vals, the values of a tensor of the given shape, drawing from
// rng. Inits that draw nothing accept a nil rng.
type Init func(rng *rand.Rand, shape []int, vals []float64)

// Zeros fills with 0.
func Zeros() Init { return Constant(0) }

// Ones fills with 1.
func Ones() Init { return Constant(1) }

// Constant fills with c.
func Constant(c float64) Init {
	return func(_ *rand.Rand, _ []int, vals []float64) {
		for i := range vals {
			vals[i] = c
		}
	}
}

// Normal draws from N(mean, std²). DCGAN initialises weights with
// Normal(0, 0.02) and batch norm scales with Normal(1, 0.02).
func Normal(mean, std float64) Init {
	return func(rng *rand.Rand, _ []int, vals []float64) {
		for i := range vals {
			vals[i] = mean + std*rng.NormFloat64()
		}
	}
}

// GlorotUniform draws from U(-a, a) with a = gain·sqrt(6/(fanIn+fanOut))
// (Glorot and Bengio 2010). For a matrix of shape [in, out] the fans are in
// and out; for a convolution kernel [out, in, kh, kw] they are in·kh·kw and
// out·kh·kw.
func GlorotUniform(gain float64) Init {
	return func(rng *rand.Rand, shape []int, vals []float64) {
		fanIn, fanOut := Fans(shape)
		a := gain * math.Sqrt(6/float64(fanIn+fanOut))
		for i := range vals {
			vals[i] = a * (2*rng.Float64() - 1)
		}
	}
}

// Fans returns the fan-in and fan-out of a weight tensor: [in, out] for a
// dense layer's matrix, [out, in, kh, kw] for a convolution kernel.
func Fans(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	case 2:
		return shape[0], shape[1]
	}
	field := 1
	for _, d := range shape[2:] {
		field *= d
	}
	return shape[1] * field, shape[0] * field
}
