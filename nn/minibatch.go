package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
// paper's formula: the j = i term is the constant exp(0) = 1, so o ≥ 1,
// and a batch of n identical samples gives o = n in every kernel. (The
// constant shifts o without changing its gradient; Gorgonia's gradient of
// |x| at 0 is 0, and the j = i distance is identically 0.) The authors'
// code (openai/improved-gan, MinibatchLayer) leaves j = i out.
//
// T is stored as one learnable Param of shape [A, B·C], row-major in (B, C),
// so that M is a single matrix product f·T reshaped to [n, B, C].
//
// NewMinibatchDiscrimination builds the layer of the paper's formula, with
// T learned as it is. Its statistics start near n: with small features
// every pair is close, so each of the B outputs is about n for every
// sample, and the layer after it sees B large, nearly constant inputs.
// NewMinibatchDiscriminationWeightNorm builds the layer of the authors'
// code instead: T weight-normalised with a learned log-scale, a learned
// bias per kernel, and InitFromFeatures, the code's data-dependent
// initialisation, which scales the distances and centres the statistics
// on a batch of real features.
type MinibatchDiscrimination struct {
	// T is the learned tensor, shape [inFeatures, numKernels·kernelDim];
	// with LogScale set, the direction θ of the weight-normalised tensor.
	T *Param
	// LogScale, when not nil, weight-normalises T as the authors' code
	// does: the tensor used is T[:, k]·exp(LogScale[k])/‖T[:, k]‖₂ for
	// every column k of the B·C columns. Shape [numKernels·kernelDim].
	LogScale *Param
	// Bias, when not nil, is added to the statistic of each kernel.
	// Shape [numKernels].
	Bias *Param
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

// NewMinibatchDiscriminationWeightNorm adds the minibatch discrimination
// layer of Salimans et al.'s code (openai/improved-gan,
// mnist_svhn_cifar10/nn.py, MinibatchLayer) to ps: the direction T, named
// name/T, drawn from N(0, 0.05²) as there; LogScale (name/log_scale)
// zero; and Bias (name/bias) −2, the code's −1 less the j = i term that
// this layer's statistic includes and the code's leaves out, so that the
// layer's output before InitFromFeatures is the code's. Call
// InitFromFeatures with the features of a real batch before training, as
// the code's init pass does.
func NewMinibatchDiscriminationWeightNorm(ps *Params, name string, inFeatures, numKernels, kernelDim int, rng *rand.Rand) (*MinibatchDiscrimination, error) {
	if inFeatures <= 0 || numKernels <= 0 || kernelDim <= 0 {
		return nil, fmt.Errorf("nn: minibatch discrimination %s: sizes in=%d kernels=%d dim=%d, want all > 0",
			name, inFeatures, numKernels, kernelDim)
	}
	if rng == nil {
		return nil, fmt.Errorf("nn: minibatch discrimination %s: nil random generator", name)
	}
	wrap := func(err error) error { return fmt.Errorf("nn: minibatch discrimination %s: %w", name, err) }
	t, err := ps.New(name+"/T", []int{inFeatures, numKernels * kernelDim}, Normal(0, 0.05), rng)
	if err != nil {
		return nil, wrap(err)
	}
	ls, err := ps.New(name+"/log_scale", []int{numKernels * kernelDim}, Zeros(), rng)
	if err != nil {
		return nil, wrap(err)
	}
	bias, err := ps.New(name+"/bias", []int{numKernels}, Constant(-2), rng)
	if err != nil {
		return nil, wrap(err)
	}
	return &MinibatchDiscrimination{T: t, LogScale: ls, Bias: bias,
		InFeatures: inFeatures, NumKernels: numKernels, KernelDim: kernelDim}, nil
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
	if err := m.checkExtras(); err != nil {
		return nil, wrap(err)
	}

	t := b.Node(m.T)
	if m.LogScale != nil {
		var err error
		if t, err = weightNorm(t, b.Node(m.LogScale), m.NumKernels*m.KernelDim); err != nil {
			return nil, wrap(err)
		}
	}
	mat, err := G.Mul(f, t) // [n, B·C]
	if err != nil {
		return nil, wrap(err)
	}
	o, err := ops.MinibatchKernels(mat, nb) // [n, B]
	if err != nil {
		return nil, wrap(err)
	}
	if m.Bias != nil {
		if o, err = ops.AddBias(o, b.Node(m.Bias)); err != nil {
			return nil, wrap(err)
		}
	}
	out, err := G.Concat(1, f, o)
	if err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// checkExtras checks the shapes of LogScale and Bias, where set.
func (m *MinibatchDiscrimination) checkExtras() error {
	if m.LogScale != nil {
		if s := m.LogScale.Value.Shape(); len(s) != 1 || s[0] != m.NumKernels*m.KernelDim {
			return fmt.Errorf("log scale shape %v, want [%d]", s, m.NumKernels*m.KernelDim)
		}
	}
	if m.Bias != nil {
		if s := m.Bias.Value.Shape(); len(s) != 1 || s[0] != m.NumKernels {
			return fmt.Errorf("bias shape %v, want [%d]", s, m.NumKernels)
		}
	}
	return nil
}

// weightNorm returns θ[:, k]·exp(s[k])/‖θ[:, k]‖₂ for the cols columns
// of θ.
func weightNorm(theta, logScale *G.Node, cols int) (*G.Node, error) {
	sq, err := G.Square(theta)
	if err != nil {
		return nil, err
	}
	ss, err := G.Sum(sq, 0) // [cols]
	if err != nil {
		return nil, err
	}
	norm, err := G.Sqrt(ss)
	if err != nil {
		return nil, err
	}
	scale, err := G.Exp(logScale)
	if err != nil {
		return nil, err
	}
	ratio, err := G.HadamardDiv(scale, norm)
	if err != nil {
		return nil, err
	}
	row, err := G.Reshape(ratio, tensor.Shape{1, cols})
	if err != nil {
		return nil, err
	}
	return G.BroadcastHadamardProd(theta, row, nil, []byte{0})
}

// Tensor returns the tensor the layer multiplies its features by, shape
// [InFeatures, NumKernels·KernelDim], row-major: T itself, or T
// weight-normalised by LogScale.
func (m *MinibatchDiscrimination) Tensor() []float64 {
	t := m.T.Float64s()
	if m.LogScale == nil {
		return t
	}
	cols := m.NumKernels * m.KernelDim
	ls := m.LogScale.Float64s()
	for k := 0; k < cols; k++ {
		ss := 0.0
		for r := 0; r < m.InFeatures; r++ {
			ss += t[r*cols+k] * t[r*cols+k]
		}
		f := math.Exp(ls[k]) / math.Sqrt(ss)
		for r := 0; r < m.InFeatures; r++ {
			t[r*cols+k] *= f
		}
	}
	return t
}

// InitFromFeatures is the data-dependent initialisation of Salimans et
// al.'s code for a layer with LogScale and Bias: for the features f of n
// samples of a real batch (row-major [n, InFeatures]), it scales each
// kernel's columns so that half the mean, over the samples, of the L1
// distance to the nearest other sample becomes 1 (the code's
// mean_min_abs_dif; so the nearest neighbour's closeness is about
// exp(−2)), then sets each kernel's bias so that the statistic's mean
// over the batch is 0. It refuses a batch in which some kernel sees
// every sample's nearest neighbour at distance 0.
func (m *MinibatchDiscrimination) InitFromFeatures(f []float64, n int) error {
	wrap := func(err error) error {
		return fmt.Errorf("nn: minibatch discrimination %s: init from features: %w", m.T.Name, err)
	}
	if m.LogScale == nil || m.Bias == nil {
		return wrap(fmt.Errorf("the layer has no log scale and bias (build it with NewMinibatchDiscriminationWeightNorm)"))
	}
	if err := m.checkExtras(); err != nil {
		return wrap(err)
	}
	if n < 2 || len(f) != n*m.InFeatures {
		return wrap(fmt.Errorf("%d values for %d samples of %d features; want at least 2 samples", len(f), n, m.InFeatures))
	}
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return wrap(fmt.Errorf("feature %d is %v", i, v))
		}
	}
	nb, nc, a := m.NumKernels, m.KernelDim, m.InFeatures
	cols := nb * nc
	t := m.Tensor()
	mat := make([]float64, n*cols)
	for i := 0; i < n; i++ {
		for r := 0; r < a; r++ {
			fv := f[i*a+r]
			if fv == 0 {
				continue
			}
			row := t[r*cols : (r+1)*cols]
			out := mat[i*cols : (i+1)*cols]
			for k, tv := range row {
				out[k] += fv * tv
			}
		}
	}
	dist := func(i, j, kb int) float64 {
		d := 0.0
		for c := 0; c < nc; c++ {
			d += math.Abs(mat[i*cols+kb*nc+c] - mat[j*cols+kb*nc+c])
		}
		return d
	}
	ls := m.LogScale.Float64s()
	bias := m.Bias.Float64s()
	for kb := 0; kb < nb; kb++ {
		meanMin := 0.0
		for i := 0; i < n; i++ {
			lo := math.Inf(1)
			for j := 0; j < n; j++ {
				if j != i {
					lo = math.Min(lo, dist(i, j, kb))
				}
			}
			meanMin += lo
		}
		meanMin = 0.5 * meanMin / float64(n)
		if !(meanMin > 0) || math.IsInf(meanMin, 0) {
			return wrap(fmt.Errorf("kernel %d: mean distance to the nearest sample is %v; the features do not tell the samples apart", kb, 2*meanMin))
		}
		sum := 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				sum += math.Exp(-dist(i, j, kb) / meanMin)
			}
		}
		bias[kb] = -sum / float64(n)
		for c := 0; c < nc; c++ {
			ls[kb*nc+c] -= math.Log(meanMin)
		}
	}
	if err := m.LogScale.SetFloat64s(ls); err != nil {
		return wrap(err)
	}
	if err := m.Bias.SetFloat64s(bias); err != nil {
		return wrap(err)
	}
	return nil
}
