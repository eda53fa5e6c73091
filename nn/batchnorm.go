package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm is a batch normalisation layer (Ioffe and Szegedy 2015) over
// the features of a [batch, features] input or the channels of a
// [batch, channels, height, width] input.
//
// In Training mode it normalises with the batch's mean and (biased)
// variance and, after each run (Builder.AfterRun), moves the running
// statistics towards the batch's: running = (1−Momentum)·running +
// Momentum·batch, with the unbiased variance, as PyTorch does. In Inference
// mode it normalises with the running statistics, so a generated sample
// does not depend on the rest of its batch or on the last training batch.
type BatchNorm struct {
	Scale, Shift      *Param // learnable γ and β, shape [features]
	RunMean, RunVar   *Param // buffers, shape [features]
	Momentum, Epsilon float64
}

// NewBatchNorm adds a batch norm layer's parameters for the given number of
// features to ps, named name/scale, name/shift, name/mean and name/var.
// scaleInit initialises γ (nil means ones; DCGAN uses Normal(1, 0.02)); β
// starts at zero, the running mean at 0 and the running variance at 1.
// Momentum is 0.1 and Epsilon 1e-5, PyTorch's defaults.
func NewBatchNorm(ps *Params, name string, features int, scaleInit Init, rng *rand.Rand) (*BatchNorm, error) {
	if scaleInit == nil {
		scaleInit = Ones()
	}
	bn := &BatchNorm{Momentum: 0.1, Epsilon: 1e-5}
	var err error
	if bn.Scale, err = ps.New(name+"/scale", []int{features}, scaleInit, rng); err != nil {
		return nil, err
	}
	if bn.Shift, err = ps.New(name+"/shift", []int{features}, Zeros(), rng); err != nil {
		return nil, err
	}
	if bn.RunMean, err = ps.NewBuffer(name+"/mean", []int{features}, Zeros(), rng); err != nil {
		return nil, err
	}
	if bn.RunVar, err = ps.NewBuffer(name+"/var", []int{features}, Ones(), rng); err != nil {
		return nil, err
	}
	return bn, nil
}

// Apply adds the normalisation of x to the builder's graph.
func (bn *BatchNorm) Apply(b *Builder, x *G.Node) (*G.Node, error) {
	wrap := func(err error) error { return fmt.Errorf("nn: batch norm %s: %w", bn.Scale.Name, err) }
	shape := x.Shape()
	features := bn.Scale.Value.Shape()[0]
	var statShape tensor.Shape
	var pattern []byte
	switch len(shape) {
	case 2:
		statShape, pattern = tensor.Shape{1, features}, []byte{0}
	case 4:
		statShape, pattern = tensor.Shape{1, features, 1, 1}, []byte{0, 2, 3}
	default:
		return nil, wrap(fmt.Errorf("input shape %v: want [batch, features] or [batch, channels, h, w]", shape))
	}
	if shape[1] != features {
		return nil, wrap(fmt.Errorf("input shape %v has %d features, the layer %d", shape, shape[1], features))
	}
	count := shape.TotalSize() / features
	reshape := func(n *G.Node) (*G.Node, error) { return G.Reshape(n, statShape) }

	if b.mode == Training {
		// Fused ops: the batch statistics and the normalisation, with a
		// gradient that makes two passes over x and dy.
		mean, variance, err := ops.BatchStats(x)
		if err != nil {
			return nil, wrap(err)
		}
		y, err := ops.BatchNorm(x, b.Node(bn.Scale), b.Node(bn.Shift), bn.Epsilon)
		if err != nil {
			return nil, wrap(err)
		}
		// The tape machine may reuse the statistics' memory later in the
		// run, so copy them out with Read nodes at the point they exist.
		st := batchStats{bn: bn, mean: new(G.Value), variance: new(G.Value), count: count, meanNode: mean, varNode: variance}
		G.Read(mean, st.mean)
		G.Read(variance, st.variance)
		b.norms = append(b.norms, st)
		return y, nil
	}

	mean := b.Node(bn.RunMean)
	meanR, err := reshape(mean)
	if err != nil {
		return nil, wrap(err)
	}
	centred, err := G.BroadcastSub(x, meanR, nil, pattern)
	if err != nil {
		return nil, wrap(err)
	}
	variance := b.Node(bn.RunVar)
	eps := G.NewConstant(castScalar(x.Dtype(), bn.Epsilon))
	varEps, err := G.Add(variance, eps)
	if err != nil {
		return nil, wrap(err)
	}
	// 1/sqrt(v) as Inverse(Sqrt(v)): Gorgonia v0.9.18's InverseSqrt has a
	// wrong gradient (−g/(2y³) instead of −g·y³/2), which would corrupt
	// every gradient below a batch norm layer.
	std, err := G.Sqrt(varEps)
	if err != nil {
		return nil, wrap(err)
	}
	invStd, err := G.Inverse(std)
	if err != nil {
		return nil, wrap(err)
	}
	scale, err := G.HadamardProd(invStd, b.Node(bn.Scale))
	if err != nil {
		return nil, wrap(err)
	}
	scaleR, err := reshape(scale)
	if err != nil {
		return nil, wrap(err)
	}
	y, err := G.BroadcastHadamardProd(centred, scaleR, nil, pattern)
	if err != nil {
		return nil, wrap(err)
	}
	shiftR, err := reshape(b.Node(bn.Shift))
	if err != nil {
		return nil, wrap(err)
	}
	if y, err = G.BroadcastAdd(y, shiftR, nil, pattern); err != nil {
		return nil, wrap(err)
	}
	return y, nil
}

func castScalar(dt tensor.Dtype, v float64) interface{} {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

// batchStats links a training-mode batch norm's statistic nodes to the
// layer's running buffers.
type batchStats struct {
	bn                *BatchNorm
	mean, variance    *G.Value
	count             int
	meanNode, varNode *G.Node
}

// NormStats describes one training-mode batch norm layer of a builder's
// graph, for backends that run the graph themselves (package gpu) and so
// must fold the batch statistics into the running ones as AfterRun does:
// RunMean = (1−Momentum)·RunMean + Momentum·mean and RunVar =
// (1−Momentum)·RunVar + Momentum·Unbias·variance.
type NormStats struct {
	// Mean and Variance are the nodes of the batch statistics.
	Mean, Variance *G.Node
	// RunMean and RunVar are the layer's running statistics.
	RunMean, RunVar *Param
	// Momentum is the layer's momentum; Unbias is count/(count−1), the
	// factor that turns the biased batch variance into the unbiased one
	// (1 for a count of 1).
	Momentum, Unbias float64
}

// Norms describes the training-mode batch norm layers added to b's graph,
// in the order they were added.
func (b *Builder) Norms() []NormStats {
	out := make([]NormStats, len(b.norms))
	for i, s := range b.norms {
		unbias := 1.0
		if s.count > 1 {
			unbias = float64(s.count) / float64(s.count-1)
		}
		out[i] = NormStats{Mean: s.meanNode, Variance: s.varNode, RunMean: s.bn.RunMean, RunVar: s.bn.RunVar,
			Momentum: s.bn.Momentum, Unbias: unbias}
	}
	return out
}

func (s batchStats) update() error {
	m, v := *s.mean, *s.variance
	if m == nil || v == nil {
		return fmt.Errorf("nn: batch norm %s: statistics not computed (AfterRun before the run?)", s.bn.Scale.Name)
	}
	mom := s.bn.Momentum
	unbias := 1.0
	if s.count > 1 {
		unbias = float64(s.count) / float64(s.count-1)
	}
	switch rm := s.bn.RunMean.Value.Data().(type) {
	case []float32:
		rv := s.bn.RunVar.Value.Data().([]float32)
		bm, bv := m.Data().([]float32), v.Data().([]float32)
		for i := range rm {
			rm[i] = float32((1-mom)*float64(rm[i]) + mom*float64(bm[i]))
			rv[i] = float32((1-mom)*float64(rv[i]) + mom*unbias*float64(bv[i]))
		}
	case []float64:
		rv := s.bn.RunVar.Value.Data().([]float64)
		bm, bv := m.Data().([]float64), v.Data().([]float64)
		for i := range rm {
			rm[i] = (1-mom)*rm[i] + mom*bm[i]
			rv[i] = (1-mom)*rv[i] + mom*unbias*bv[i]
		}
	}
	return nil
}
