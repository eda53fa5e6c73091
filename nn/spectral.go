package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SpectralNorm is the spectral normalisation of one weight (Miyato et al.
// 2018): the weight W used in a graph is W/σ(W), σ(W) the largest singular
// value of W viewed as a matrix M of shape [rows, cols] (rows the first
// dimension of W, cols the product of the others: [in, out] for a dense
// weight, [out, in·kh·kw] for a convolution kernel).
//
// σ is estimated by power iteration with two persistent vectors, U
// (length rows) and V (length cols), buffers of W's Params, so that they
// are saved with the network, in checkpoints and model files. Before
// every run of a Training-mode graph that uses the weight
// (Builder.BeforeRun), one power-iteration step is done on the host:
// V ← normalise(Mᵀ·U), U ← normalise(M·V); the graph then computes
// σ = Uᵀ·M·V and W/σ. In a trainer that is once per discriminator update
// and once per generator update (D is evaluated in Training mode in the
// generator's graph too), as PyTorch's spectral_norm iterates on every
// training-mode forward. Inference-mode graphs use U and V as they are.
// The gradient flows through W/σ with U and V held constant, as in the
// paper's implementation: ∂σ/∂M = U·Vᵀ.
type SpectralNorm struct {
	W    *Param // the weight
	U, V *Param // the power-iteration vectors, buffers of shapes [rows] and [cols]
	// Eps guards the normalisations against division by zero (1e-12, as
	// in PyTorch).
	Eps float64
}

// NewSpectralNorm adds the power-iteration vectors of w (at least two
// dimensions) to ps as buffers named w.Name+"/sn_u" and w.Name+"/sn_v",
// drawn from N(0, 1) with rng and normalised.
func NewSpectralNorm(ps *Params, w *Param, rng *rand.Rand) (*SpectralNorm, error) {
	shape := w.Value.Shape()
	if shape.Dims() < 2 {
		return nil, fmt.Errorf("nn: spectral norm of %q: want a weight of at least two dimensions, got shape %v", w.Name, shape)
	}
	rows := shape[0]
	cols := shape.TotalSize() / rows
	unit := func(_ *rand.Rand, _ []int, vals []float64) {
		for i := range vals {
			vals[i] = rng.NormFloat64()
		}
		normalise(vals, 1e-12)
	}
	sn := &SpectralNorm{W: w, Eps: 1e-12}
	var err error
	if sn.U, err = ps.NewBuffer(w.Name+"/sn_u", []int{rows}, unit, rng); err != nil {
		return nil, err
	}
	if sn.V, err = ps.NewBuffer(w.Name+"/sn_v", []int{cols}, unit, rng); err != nil {
		return nil, err
	}
	return sn, nil
}

func normalise(x []float64, eps float64) {
	n := 0.0
	for _, v := range x {
		n += v * v
	}
	n = math.Max(math.Sqrt(n), eps)
	for i := range x {
		x[i] /= n
	}
}

// dims returns M's shape.
func (sn *SpectralNorm) dims() (rows, cols int) {
	s := sn.W.Value.Shape()
	return s[0], s.TotalSize() / s[0]
}

// PowerIteration does one step of the power iteration on the current
// weight: V ← normalise(Mᵀ·U), then U ← normalise(M·V), in float64,
// stored in U's and V's dtype. Builder.BeforeRun calls it for every
// normalised weight of a Training-mode graph.
func (sn *SpectralNorm) PowerIteration() {
	rows, cols := sn.dims()
	u, v := sn.U.Float64s(), make([]float64, cols)
	// W is read in its own dtype, not copied: this runs before every
	// training-mode run of the network.
	switch m := sn.W.Value.Data().(type) {
	case []float32:
		powerStep(m, rows, cols, u, v, sn.Eps)
	case []float64:
		powerStep(m, rows, cols, u, v, sn.Eps)
	}
	_ = sn.U.SetFloat64s(u) // sizes match by construction
	_ = sn.V.SetFloat64s(v)
}

// powerStep does one power-iteration step on the rows×cols matrix m:
// v ← normalise(mᵀ·u) (v starts at zero), then u ← normalise(m·v), in
// float64.
func powerStep[T float32 | float64](m []T, rows, cols int, u, v []float64, eps float64) {
	for r := 0; r < rows; r++ {
		ur := u[r]
		for c, w := range m[r*cols : (r+1)*cols] {
			v[c] += float64(w) * ur
		}
	}
	normalise(v, eps)
	for r := 0; r < rows; r++ {
		s := 0.0
		for c, w := range m[r*cols : (r+1)*cols] {
			s += float64(w) * v[c]
		}
		u[r] = s
	}
	normalise(u, eps)
}

// Sigma returns the current estimate σ = Uᵀ·M·V of W's largest singular
// value, computed on the host in float64 (the graph computes the same in
// W's dtype).
func (sn *SpectralNorm) Sigma() float64 {
	rows, cols := sn.dims()
	m, u, v := sn.W.Float64s(), sn.U.Float64s(), sn.V.Float64s()
	s := 0.0
	for r := 0; r < rows; r++ {
		mv := 0.0
		for c, w := range m[r*cols : (r+1)*cols] {
			mv += w * v[c]
		}
		s += u[r] * mv
	}
	return s
}

// Apply returns the node of W/σ(W) in the builder's graph, the same node
// each time it is called on one builder (so a network applied twice in a
// graph normalises once and iterates once per run). In Training mode it
// registers the weight for a power-iteration step before each run.
func (sn *SpectralNorm) Apply(b *Builder) (*G.Node, error) {
	if n, ok := b.spectral[sn]; ok {
		return n, nil
	}
	wrap := func(err error) error { return fmt.Errorf("nn: spectral norm of %s: %w", sn.W.Name, err) }
	rows, cols := sn.dims()
	w := b.Node(sn.W)
	m := w
	var err error
	if w.Dims() != 2 {
		if m, err = G.Reshape(w, tensor.Shape{rows, cols}); err != nil {
			return nil, wrap(err)
		}
	}
	mv, err := G.Mul(m, b.Node(sn.V)) // [rows]
	if err != nil {
		return nil, wrap(err)
	}
	sigma, err := G.Mul(b.Node(sn.U), mv) // a scalar: Uᵀ·M·V
	if err != nil {
		return nil, wrap(err)
	}
	y, err := G.HadamardDiv(w, sigma)
	if err != nil {
		return nil, wrap(err)
	}
	if b.spectral == nil {
		b.spectral = map[*SpectralNorm]*G.Node{}
	}
	b.spectral[sn] = y
	if b.mode == Training {
		b.sns = append(b.sns, sn)
	}
	return y, nil
}

// SpectralNormSet holds the spectral normalisations of some of a network's
// weights, so that the network's code can ask for every weight the same
// way: Weight and Dense normalise the weights in the set and use the
// others as they are. The nil set normalises nothing.
type SpectralNormSet map[*Param]*SpectralNorm

// NewSpectralNormSet adds the power-iteration vectors of each of weights
// to ps (see NewSpectralNorm).
func NewSpectralNormSet(ps *Params, weights []*Param, rng *rand.Rand) (SpectralNormSet, error) {
	s := SpectralNormSet{}
	for _, w := range weights {
		sn, err := NewSpectralNorm(ps, w, rng)
		if err != nil {
			return nil, err
		}
		s[w] = sn
	}
	return s, nil
}

// Weight returns p's node in the builder's graph: W/σ(W) if p is in the
// set, b.Node(p) otherwise.
func (s SpectralNormSet) Weight(b *Builder, p *Param) (*G.Node, error) {
	if sn, ok := s[p]; ok {
		return sn.Apply(b)
	}
	return b.Node(p), nil
}

// Dense is the package's Dense, x·w + bias, with w normalised if it is in
// the set.
func (s SpectralNormSet) Dense(b *Builder, x *G.Node, w, bias *Param) (*G.Node, error) {
	if _, ok := s[w]; !ok {
		return Dense(b, x, w, bias)
	}
	wn, err := s.Weight(b, w)
	if err != nil {
		return nil, err
	}
	y, err := G.Mul(x, wn)
	if err != nil {
		return nil, fmt.Errorf("nn: dense %s: %w", w.Name, err)
	}
	if bias == nil {
		return y, nil
	}
	if y, err = ops.AddBias(y, b.Node(bias)); err != nil {
		return nil, fmt.Errorf("nn: dense %s: %w", bias.Name, err)
	}
	return y, nil
}

// SpectralNorms returns the spectral normalisations whose power iteration
// BeforeRun does (those applied in a Training-mode graph), for backends
// that run the graph themselves (package gpu does not support them).
func (b *Builder) SpectralNorms() []*SpectralNorm { return b.sns }
