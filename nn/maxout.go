package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Maxout is a maxout layer (Goodfellow et al., "Maxout Networks", 2013):
// for an input x of shape [n, in] it computes K affine maps
// z_k = x·W_k + b_k, each of shape [n, out], and outputs their elementwise
// maximum max_k z_k. It is the hidden layer of the discriminators of
// VEEGAN and PacGAN on the 2-D mixtures (Blocks' LinearMaxout, 5 pieces).
//
// The maximum is composed from Gorgonia's own differentiable ops as
// max(a, b) = (a + b + |a − b|) / 2, applied K−1 times, so it works with
// G.Grad and the tape machine. Its gradient is that of the largest piece,
// except at exact ties, where Gorgonia's |x|' = 0 at 0 splits it equally
// between the two tied pieces.
type Maxout struct {
	// W[k] and B[k] are piece k's weights, shape [in, out], and bias,
	// shape [out].
	W, B []*Param
	// In, Out and Pieces (K) are the layer's sizes.
	In, Out, Pieces int
}

// NewMaxout adds a maxout layer's parameters to ps: for each piece k,
// name/wk of shape [in, out] filled by init from rng, and name/bk of shape
// [out], zero.
func NewMaxout(ps *Params, name string, in, out, pieces int, init Init, rng *rand.Rand) (*Maxout, error) {
	if in <= 0 || out <= 0 || pieces <= 0 {
		return nil, fmt.Errorf("nn: maxout %s: sizes in=%d out=%d pieces=%d, want all > 0", name, in, out, pieces)
	}
	if init == nil {
		return nil, fmt.Errorf("nn: maxout %s: nil weight initialisation", name)
	}
	m := &Maxout{In: in, Out: out, Pieces: pieces}
	for k := 0; k < pieces; k++ {
		w, err := ps.New(fmt.Sprintf("%s/w%d", name, k), []int{in, out}, init, rng)
		if err != nil {
			return nil, fmt.Errorf("nn: maxout %s: %w", name, err)
		}
		b, err := ps.New(fmt.Sprintf("%s/b%d", name, k), []int{out}, Zeros(), rng)
		if err != nil {
			return nil, fmt.Errorf("nn: maxout %s: %w", name, err)
		}
		m.W, m.B = append(m.W, w), append(m.B, b)
	}
	return m, nil
}

// Apply adds the layer to the builder's graph for x of shape [n, In] and
// returns max_k (x·W_k + b_k), of shape [n, Out].
func (m *Maxout) Apply(b *Builder, x *G.Node) (*G.Node, error) {
	if len(m.W) == 0 || len(m.W) != len(m.B) {
		return nil, fmt.Errorf("nn: maxout: %d weights and %d biases, want the same positive number", len(m.W), len(m.B))
	}
	wrap := func(err error) error { return fmt.Errorf("nn: maxout %s: %w", m.W[0].Name, err) }
	if s := x.Shape(); len(s) != 2 || s[1] != m.In {
		return nil, wrap(fmt.Errorf("input shape %v, want [batch, %d]", s, m.In))
	}
	y, err := Dense(b, x, m.W[0], m.B[0])
	if err != nil {
		return nil, wrap(err)
	}
	for k := 1; k < len(m.W); k++ {
		z, err := Dense(b, x, m.W[k], m.B[k])
		if err != nil {
			return nil, wrap(err)
		}
		if y, err = max2(y, z); err != nil {
			return nil, wrap(err)
		}
	}
	return y, nil
}

// max2 returns the elementwise maximum (a + b + |a − b|) / 2.
func max2(a, b *G.Node) (*G.Node, error) {
	d, err := G.Sub(a, b)
	if err != nil {
		return nil, err
	}
	abs, err := G.Abs(d)
	if err != nil {
		return nil, err
	}
	s, err := G.Add(a, b)
	if err != nil {
		return nil, err
	}
	if s, err = G.Add(s, abs); err != nil {
		return nil, err
	}
	return G.Mul(s, G.NewConstant(castScalar(a.Dtype(), 0.5)))
}
