package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
)

// MinibatchDiscrimination is the minibatch discrimination layer of
// Salimans et al., "Improved Techniques for Training GANs" (2016), §3.2.
// It lets a discriminator see how similar the samples of a batch are to
// one another, so that a generator that collapses onto a few outputs is
// easy to tell from the data.
//
// For the features f_i ∈ R^A of the n samples of a batch and a learned
// tensor T ∈ R^{A×B×C}, the layer computes M_i = f_i·T ∈ R^{B×C}, the
// closeness of two samples under each of the B kernels
//
//	c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖₁)
//
// (the L1 norm taken over the C entries of row b) and the per-sample
// statistic o(x_i)_b = Σ_j c_b(x_i, x_j), and outputs concat(f_i, o(x_i)),
// of width A+B.
//
// The sum over j runs over the whole batch including j = i, as in the
// paper's formula and its original implementation: the j = i term is the
// constant exp(0) = 1, so o ≥ 1, and a batch of n identical samples gives
// o = n in every kernel. (The constant shifts o without changing its
// gradient; Gorgonia's gradient of |x| at 0 is 0, and the j = i distance is
// identically 0.)
//
// T is stored as one learnable Param of shape [A, B·C], row-major in (B, C),
// so that M is a single matrix product f·T reshaped to [n, B, C].
type MinibatchDiscrimination struct {
	// T is the learned tensor, shape [inFeatures, numKernels·kernelDim].
	T *Param
	// InFeatures (A), NumKernels (B) and KernelDim (C) are the layer's
	// sizes.
	InFeatures, NumKernels, KernelDim int
}

// NewMinibatchDiscrimination adds a minibatch discrimination layer's tensor
// T to ps, named name/T, of shape [inFeatures, numKernels·kernelDim] and
// initialised from N(0, 0.02²) drawn from rng (the DCGAN initialisation;
// Salimans et al.'s code uses N(0, 0.05²)). Salimans et al. use 100 kernels
// of dimension 5 on MNIST and 50 of dimension 5 on CIFAR-10.
func NewMinibatchDiscrimination(ps *Params, name string, inFeatures, numKernels, kernelDim int, rng *rand.Rand) (*MinibatchDiscrimination, error) {
	if inFeatures <= 0 || numKernels <= 0 || kernelDim <= 0 {
		return nil, fmt.Errorf("nn: minibatch discrimination %s: sizes in=%d kernels=%d dim=%d, want all > 0",
			name, inFeatures, numKernels, kernelDim)
	}
	if rng == nil {
		return nil, fmt.Errorf("nn: minibatch discrimination %s: nil random generator", name)
	}
	t, err := ps.New(name+"/T", []int{inFeatures, numKernels * kernelDim}, Normal(0, 0.02), rng)
	if err != nil {
		return nil, fmt.Errorf("nn: minibatch discrimination %s: %w", name, err)
	}
	return &MinibatchDiscrimination{T: t, InFeatures: inFeatures, NumKernels: numKernels, KernelDim: kernelDim}, nil
}

// OutFeatures returns the width of the layer's output, InFeatures +
// NumKernels.
func (m *MinibatchDiscrimination) OutFeatures() int { return m.InFeatures + m.NumKernels }

// Apply adds the layer to the builder's graph for features f of shape
// [n, InFeatures] and returns concat(f, o) of shape [n, InFeatures +
// NumKernels]. f must have the dtype of the layer's parameters.
//
// M = f·T is one matrix product and the statistic o one op,
// ops.MinibatchKernels, which computes the pairwise L1 distances, their
// exponentials and the sums over the batch row by row in O(n²·B·C) time
// without materialising the n×n×B·C tensor of pairwise differences (the
// composite Gorgonia graph it replaces, a broadcast subtraction, Abs,
// Sum, Neg, Exp and Sum, made an iteration of examples/modes' minibatch
// variant ~17× slower than the plain GAN's). It works with G.Grad and the
// tape machine, and its gradient is differentiable once more (gradient
// penalties on a discriminator with this layer).
func (m *MinibatchDiscrimination) Apply(b *Builder, f *G.Node) (*G.Node, error) {
	wrap := func(err error) error {
		return fmt.Errorf("nn: minibatch discrimination %s: %w", m.T.Name, err)
	}
	shape := f.Shape()
	if len(shape) != 2 {
		return nil, wrap(fmt.Errorf("input shape %v: want [batch, features]", shape))
	}
	if shape[1] != m.InFeatures {
		return nil, wrap(fmt.Errorf("input shape %v has %d features, the layer %d", shape, shape[1], m.InFeatures))
	}
	if want := m.T.Value.Shape(); len(want) != 2 || want[0] != m.InFeatures || want[1] != m.NumKernels*m.KernelDim {
		return nil, wrap(fmt.Errorf("tensor T shape %v, want [%d, %d]", want, m.InFeatures, m.NumKernels*m.KernelDim))
	}
	if f.Dtype() != m.T.Value.Dtype() {
		return nil, wrap(fmt.Errorf("input dtype %v, the layer %v", f.Dtype(), m.T.Value.Dtype()))
	}
	nb := m.NumKernels

	mat, err := G.Mul(f, b.Node(m.T)) // [n, B·C]
	if err != nil {
		return nil, wrap(err)
	}
	o, err := ops.MinibatchKernels(mat, nb) // [n, B]
	if err != nil {
		return nil, wrap(err)
	}
	out, err := G.Concat(1, f, o)
	if err != nil {
		return nil, wrap(err)
	}
	return out, nil
}
