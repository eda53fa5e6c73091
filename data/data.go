// Package data reads, generates and batches training data for gogan.
//
// A Dataset is a finite, indexable collection of samples (MNIST digits, a
// folder of images); a Source is an endless distribution (the 1-D Gaussian
// and the 2-D mixtures of the GAN literature). Both are turned into a stream
// of batches, Batches, which is what a trainer consumes. Samples are float32
// and images are scaled to [-1, 1], the range of a tanh generator; images
// are kept in memory as bytes and converted a sample at a time.
//
// Readers check the sizes an input declares against the data it holds and
// against a memory limit (MemoryLimit: 1 GiB unless MaxBytes or the
// environment variable GOGAN_MAX_DATA_BYTES says otherwise) before they
// allocate, so a hostile or mistaken input ends in an error that says how
// much it needs, wrapping ErrTooLarge, never in an out-of-memory crash.
package data

import "math/rand/v2"

// Dataset is a finite, indexable collection of samples of one shape.
type Dataset interface {
	// Len returns the number of samples.
	Len() int
	// Shape returns the shape of one sample, for example [1 28 28] for an
	// MNIST digit or [2] for a point in the plane.
	Shape() []int
	// At copies sample i (0 <= i < Len()) into dst, whose length must be
	// the product of Shape.
	At(i int, dst []float32)
}

// Source is an endless distribution of samples of one shape.
type Source interface {
	// Shape returns the shape of one sample.
	Shape() []int
	// Draw writes one sample drawn with rng into dst, whose length must be
	// the product of Shape.
	Draw(rng *rand.Rand, dst []float32)
}

// Batches is a stream of batches, the input of a trainer.
type Batches interface {
	// Shape returns the shape of one sample.
	Shape() []int
	// Next fills dst with the next batch. len(dst) must be a positive
	// multiple of the sample size; the batch size is len(dst)/sample size.
	Next(dst []float32) error
	// Epoch returns the number of complete passes over the data so far;
	// it is always 0 for an endless Source.
	Epoch() int
}

// Size returns the number of elements of a sample of the given shape: the
// product of its dimensions (1 for an empty shape).
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
