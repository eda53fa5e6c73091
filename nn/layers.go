package nn

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dense returns x·w + bias for x of shape [batch, in], w of shape
// [in, out] and bias of shape [out] (bias may be nil).
func Dense(b *Builder, x *G.Node, w, bias *Param) (*G.Node, error) {
	y, err := G.Mul(x, b.Node(w))
	if err != nil {
		return nil, fmt.Errorf("nn: dense %s: %w", w.Name, err)
	}
	if bias == nil {
		return y, nil
	}
	// One op, not Reshape + BroadcastAdd (which materialises the bias
	// repeated over the batch): same values.
	y, err = ops.AddBias(y, b.Node(bias))
	if err != nil {
		return nil, fmt.Errorf("nn: dense %s: %w", bias.Name, err)
	}
	return y, nil
}

// ActivationKind names an activation.
type ActivationKind string

// The activations.
const (
	KindIdentity  ActivationKind = "identity"
	KindReLU      ActivationKind = "relu"
	KindLeakyReLU ActivationKind = "leakyrelu"
	KindTanh      ActivationKind = "tanh"
	KindSigmoid   ActivationKind = "sigmoid"
)

// Activation is an elementwise nonlinearity. The zero value is the
// identity. It marshals to JSON as {"kind":"leakyrelu","slope":0.2}.
type Activation struct {
	// Kind is one of the Kind constants.
	Kind ActivationKind `json:"kind"`
	// Slope is LeakyReLU's slope for negative inputs.
	Slope float64 `json:"slope,omitempty"`
}

// Identity returns the identity activation.
func Identity() Activation { return Activation{Kind: KindIdentity} }

// ReLU returns max(x, 0).
func ReLU() Activation { return Activation{Kind: KindReLU} }

// LeakyReLU returns x for x ≥ 0 and slope·x otherwise.
func LeakyReLU(slope float64) Activation { return Activation{Kind: KindLeakyReLU, Slope: slope} }

// Tanh returns the hyperbolic tangent.
func Tanh() Activation { return Activation{Kind: KindTanh} }

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid() Activation { return Activation{Kind: KindSigmoid} }

// ParseActivation parses "identity", "relu", "tanh", "sigmoid",
// "leakyrelu" (slope 0.2) or "leakyrelu:SLOPE".
func ParseActivation(s string) (Activation, error) {
	kind, arg, hasArg := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	a := Activation{Kind: ActivationKind(kind)}
	switch kind {
	case "identity", "linear", "":
		a.Kind = KindIdentity
	case "relu", "tanh", "sigmoid":
	case "leakyrelu":
		a.Slope = 0.2
		if hasArg {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil {
				return Activation{}, fmt.Errorf("nn: activation %q: bad slope: %w", s, err)
			}
			a.Slope = v
		}
		return a, nil
	default:
		return Activation{}, fmt.Errorf("nn: unknown activation %q (want identity, relu, leakyrelu[:slope], tanh or sigmoid)", s)
	}
	if hasArg {
		return Activation{}, fmt.Errorf("nn: activation %q takes no argument", s)
	}
	return a, nil
}

// String returns the activation in the form ParseActivation reads.
func (a Activation) String() string {
	if a.Kind == KindLeakyReLU {
		return "leakyrelu:" + strconv.FormatFloat(a.Slope, 'g', -1, 64)
	}
	if a.Kind == "" {
		return string(KindIdentity)
	}
	return string(a.Kind)
}

// Validate reports whether a is a known activation.
func (a Activation) Validate() error {
	_, err := ParseActivation(a.String())
	return err
}

// Apply adds the activation of x to x's graph.
func (a Activation) Apply(x *G.Node) (*G.Node, error) {
	var y *G.Node
	var err error
	switch a.Kind {
	case "", KindIdentity:
		return x, nil
	case KindReLU:
		// LeakyReLU with slope 0 is ReLU: x·0 = −0 for x < 0, as
		// G.Rectify's x·(x ≥ 0) gives; one op instead of Gorgonia's
		// comparison and product.
		y, err = ops.LeakyReLU(x, 0)
	case KindLeakyReLU:
		y, err = ops.LeakyReLU(x, a.Slope) // one op instead of Gorgonia's six, same values
	case KindTanh:
		y, err = G.Tanh(x)
	case KindSigmoid:
		y, err = G.Sigmoid(x)
	default:
		return nil, fmt.Errorf("nn: unknown activation %q", a.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", a, err)
	}
	return y, nil
}

// Dropout zeroes each element of x with probability p in Training mode and
// scales the survivors by 1/(1-p) (inverted dropout), so that Inference
// mode is the identity. Masks are drawn by Builder.BeforeRun from the
// caller's random generator, which keeps training reproducible.
func Dropout(b *Builder, x *G.Node, p float64) (*G.Node, error) {
	if p < 0 || p >= 1 {
		return nil, fmt.Errorf("nn: dropout probability %v outside [0, 1)", p)
	}
	if p == 0 || b.mode == Inference {
		return x, nil
	}
	mask := b.Input("dropout-mask", x.Dtype(), x.Shape()...)
	b.masks = append(b.masks, dropoutMask{t: mask.Value().(*tensor.Dense), p: p})
	y, err := G.HadamardProd(x, mask)
	if err != nil {
		return nil, fmt.Errorf("nn: dropout: %w", err)
	}
	return y, nil
}

type dropoutMask struct {
	t *tensor.Dense
	p float64
}

func (m dropoutMask) draw(rng *rand.Rand) {
	keep := 1 / (1 - m.p)
	switch d := m.t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = 0
			if rng.Float64() >= m.p {
				d[i] = float32(keep)
			}
		}
	case []float64:
		for i := range d {
			d[i] = 0
			if rng.Float64() >= m.p {
				d[i] = keep
			}
		}
	}
}
