package gan

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gogan/gogan/losses"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Penalty is a regularizer of the discriminators that depends on their
// gradient with respect to their input (Config.Penalty): GradientPenalty
// (WGAN-GP), R1 or R2. It is added to every discriminator's loss, on
// every discriminator update or, lazily, on one update in Every with
// weight multiplied by Every (Karras et al. 2020, StyleGAN2); Stats.DLoss
// includes it. Its
// gradient with respect to the discriminator's weights goes through the
// discriminator's input gradient (double backpropagation), so every op
// of the discriminator must be twice differentiable: dense layers,
// convolutions, AddBias, LeakyReLU, ReLU, tanh and sigmoid are; batch
// normalisation is not, and a discriminator that uses it is refused (a
// per-sample gradient penalty is also wrong in theory with batch
// normalisation, which mixes the samples of a batch; Gulrajani et al.
// 2017 drop it from the critic).
type Penalty interface {
	// String describes the penalty and its settings, as checkpoints
	// record it ("gp(weight=10,target=1,every=1)").
	String() string
	spec() penaltySpec
}

// penaltySpec is a Penalty's settings in one form.
type penaltySpec struct {
	kind   string  // "gp", "r1" or "r2"
	weight float64 // λ for gp, γ for r1 and r2
	target float64 // gp's target norm
	every  int     // apply on one discriminator update in every; 0 and 1 mean every update
}

func (s penaltySpec) String() string {
	every := max(s.every, 1)
	if s.kind == "gp" {
		return fmt.Sprintf("gp(weight=%g,target=%g,every=%d)", s.weight, s.target, every)
	}
	return fmt.Sprintf("%s(gamma=%g,every=%d)", s.kind, s.weight, every)
}

func (s penaltySpec) validate() error {
	if !(s.weight > 0) || math.IsInf(s.weight, 0) {
		return fmt.Errorf("weight must be positive and finite, got %v", s.weight)
	}
	if !(s.target >= 0) || math.IsInf(s.target, 0) {
		return fmt.Errorf("target norm must be finite and not negative, got %v", s.target)
	}
	if s.every < 0 {
		return fmt.Errorf("the interval Every must not be negative, got %d", s.every)
	}
	return nil
}

// lazy reports whether the penalty skips some discriminator updates.
func (s penaltySpec) lazy() bool { return s.every > 1 }

// GradientPenalty is the gradient penalty of WGAN-GP (Gulrajani et al.
// 2017), added to the critic's loss:
//
//	Weight · mean_i (‖∇D(x̂_i)‖ − Target)²,  x̂_i = ε_i·x_i + (1 − ε_i)·G(z_i)
//
// with ε_i ~ U[0, 1] drawn per sample from the trainer's seeded random
// generator (so runs stay reproducible and resumable), x a real batch and
// G(z) a generated one (the discriminator's inputs, after instance noise
// if that is on). With Pack m, one ∇D(x̂_i) is the gradient of one logit
// with respect to its m packed samples. The norm is computed as
// √(Σ g² + 1e-12), which keeps its gradient finite at g = 0.
// DefaultGradientPenalty returns the paper's Weight 10 and Target 1.
type GradientPenalty struct {
	// Weight is λ (the paper's is 10).
	Weight float64
	// Target is the norm the gradient is pulled towards: 1 for WGAN-GP;
	// 0 gives the zero-centred penalty of Thanh-Tung et al. (2019).
	Target float64
	// Every n > 1 applies the penalty on one discriminator update in n,
	// with weight n·Weight; 0 and 1 apply it on every update.
	Every int
}

// DefaultGradientPenalty returns WGAN-GP's penalty: Weight 10, Target 1,
// on every update.
func DefaultGradientPenalty() GradientPenalty {
	return GradientPenalty{Weight: losses.DefaultGradientPenaltyWeight, Target: 1}
}

// String returns "gp(weight=W,target=T,every=N)".
func (p GradientPenalty) String() string { return p.spec().String() }

func (p GradientPenalty) spec() penaltySpec {
	return penaltySpec{kind: "gp", weight: p.Weight, target: p.Target, every: p.Every}
}

// R1 is the R1 regularizer of Mescheder et al. (2018), a penalty on the
// discriminator's gradient at real samples:
//
//	Gamma/2 · mean_i ‖∇D(x_i)‖²
//
// for the real batch x (the discriminator's input, after instance noise
// if that is on).
type R1 struct {
	// Gamma is γ (Mescheder et al. use 10 on images; StyleGAN2 uses 10,
	// lazily every 16 updates).
	Gamma float64
	// Every n > 1 applies the penalty on one discriminator update in n,
	// with weight n·Gamma; 0 and 1 apply it on every update.
	Every int
}

// String returns "r1(gamma=G,every=N)".
func (p R1) String() string { return p.spec().String() }

func (p R1) spec() penaltySpec { return penaltySpec{kind: "r1", weight: p.Gamma, every: p.Every} }

// R2 is the R2 regularizer of Mescheder et al. (2018): R1's penalty on
// the generated batch instead of the real one,
//
//	Gamma/2 · mean_i ‖∇D(G(z_i))‖²
type R2 struct {
	// Gamma is γ.
	Gamma float64
	// Every n > 1 applies the penalty on one discriminator update in n,
	// with weight n·Gamma; 0 and 1 apply it on every update.
	Every int
}

// String returns "r2(gamma=G,every=N)".
func (p R2) String() string { return p.spec().String() }

func (p R2) spec() penaltySpec { return penaltySpec{kind: "r2", weight: p.Gamma, every: p.Every} }

var (
	_ Penalty = GradientPenalty{}
	_ Penalty = R1{}
	_ Penalty = R2{}
)

// penaltyTerm adds the penalty of disc to the discriminator pass p, given
// D's inputs and logits on the real batch and on one generated batch.
func (t *Trainer) penaltyTerm(p *pass, disc Discriminator, real, realLogits, fake, fakeLogits *G.Node) (out *G.Node, err error) {
	s := t.pen
	wrap := func(err error) error { return fmt.Errorf("gan: penalty %v: %w", s, err) }
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, wrap(fmt.Errorf("gorgonia: %v", r))
		}
	}()
	var x, logits *G.Node
	switch s.kind {
	case "gp":
		// x̂ = ε⊙real + (1 − ε)⊙fake, ε constant over each sample. Both
		// weights are inputs of their own, the first operands of the
		// products: Gorgonia v0.9.18's tape machine may compute an
		// element-wise op in place of its first operand when it thinks
		// that operand is no longer needed, and it misses the later uses
		// of real and fake through the views (reshapes) the discriminator
		// makes of them, so neither may be a first operand here.
		eps := p.b.Input("gp-epsilon", t.dtype, real.Shape()...)
		rest := p.b.Input("gp-one-minus-epsilon", t.dtype, real.Shape()...)
		p.eps = append(p.eps, [2]*tensor.Dense{eps.Value().(*tensor.Dense), rest.Value().(*tensor.Dense)})
		x = G.Must(G.Add(G.Must(G.HadamardProd(eps, real)), G.Must(G.HadamardProd(rest, fake))))
		if logits, err = t.discriminate(p.b, disc, x); err != nil {
			return nil, wrap(err)
		}
	case "r1":
		x, logits = real, realLogits
	case "r2":
		x, logits = fake, fakeLogits
	default:
		return nil, wrap(fmt.Errorf("unknown kind %q", s.kind))
	}
	grad, err := inputGradient(logits, x)
	if err != nil {
		return nil, wrap(err)
	}
	rows := t.cfg.BatchSize / t.cfg.Pack
	grad = G.Must(G.Reshape(grad, tensor.Shape{rows, grad.Shape().TotalSize() / rows}))
	sq := G.Must(G.Sum(G.Must(G.Square(grad)), 1)) // ‖∇D‖² per logit
	scale := float64(max(s.every, 1))
	c := func(v float64) *G.Node { return G.NewConstant(castScalar(t.dtype, v)) }
	if s.kind == "gp" {
		norm := G.Must(G.Sqrt(G.Must(G.Add(sq, c(1e-12)))))
		dev := G.Must(G.Sub(norm, c(s.target)))
		return G.Must(G.HadamardProd(G.Must(G.Mean(G.Must(G.Square(dev)))), c(scale*s.weight))), nil
	}
	return G.Must(G.HadamardProd(G.Must(G.Mean(sq)), c(scale*s.weight/2))), nil
}

// choosePenalty sets t.pen from cfg.Penalty or, if that is nil, from a
// loss that comes with a gradient penalty (losses.GradientPenalized).
func (t *Trainer) choosePenalty() error {
	if t.cfg.Penalty == nil {
		gp, ok := t.loss.(losses.GradientPenalized)
		if !ok {
			return nil
		}
		w, target := gp.GradientPenalty()
		t.cfg.Penalty = GradientPenalty{Weight: w, Target: target}
	}
	t.pen = t.cfg.Penalty.spec()
	if err := t.pen.validate(); err != nil {
		return fmt.Errorf("gan: config: Penalty %v: %w", t.cfg.Penalty, err)
	}
	if t.pen.lazy() && t.cfg.Device != "" && t.cfg.Device != "cpu" {
		return fmt.Errorf("gan: config: Penalty %v: a lazy penalty (Every > 1) runs on the CPU only, not on Device %q", t.cfg.Penalty, t.cfg.Device)
	}
	return nil
}

// penaltyString is the penalty as checkpoints record it ("" for none).
func (t *Trainer) penaltyString() string {
	if t.pen.kind == "" {
		return ""
	}
	return t.pen.String()
}

// chooseDiscriminatorPass selects, for a lazy penalty, the discriminator
// pass of the i-th discriminator update of the current step: the one with
// the penalty on one update in Every (counted over the whole run, so a
// resumed run keeps the schedule), the plain one otherwise.
func (t *Trainer) chooseDiscriminatorPass(i int) {
	if t.dReg == nil {
		return
	}
	if (t.step*t.cfg.DSteps+i)%t.pen.every == 0 {
		t.d = t.dReg
	} else {
		t.d = t.dPlain
	}
}

// fillEpsilon draws the interpolation weights of WGAN-GP: one U[0, 1)
// value ε per sample, repeated over the sample's elements, and 1 − ε. It
// keeps the draws in p.epsDrawn (the inputs may be overwritten by a run).
func (t *Trainer) fillEpsilon(p *pass) {
	if len(p.epsDrawn) != len(p.eps) {
		p.epsDrawn = make([][]float64, len(p.eps)) // once per pass, reused by every update
	}
	for k, e := range p.eps {
		n := e[0].Shape()[0]
		per := e[0].Shape().TotalSize() / n
		if len(p.epsDrawn[k]) != n {
			p.epsDrawn[k] = make([]float64, n)
		}
		u := p.epsDrawn[k]
		for i := range u {
			u[i] = t.rng.Float64()
		}
		setEach(e[0], func(i int) float64 { return u[i/per] })
		setEach(e[1], func(i int) float64 { return 1 - u[i/per] })
	}
}

// ParsePenalty parses a command-line penalty: "" or "none" (nil), or
// KIND[:WEIGHT[:EVERY]] with KIND one of gp (GradientPenalty, target 1,
// default weight 10), r1 or r2 (default γ 10), e.g. "gp", "r1:10",
// "r1:10:16" (γ 10, lazily every 16 discriminator updates).
func ParsePenalty(s string) (Penalty, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "none" {
		return nil, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return nil, fmt.Errorf("gan: penalty %q: want KIND[:WEIGHT[:EVERY]]", s)
	}
	weight, every := 10.0, 0
	var err error
	if len(parts) > 1 {
		if weight, err = strconv.ParseFloat(parts[1], 64); err != nil || !(weight > 0) || math.IsInf(weight, 0) {
			return nil, fmt.Errorf("gan: penalty %q: weight %q is not a positive number", s, parts[1])
		}
	}
	if len(parts) > 2 {
		if every, err = strconv.Atoi(parts[2]); err != nil || every < 1 {
			return nil, fmt.Errorf("gan: penalty %q: interval %q is not a positive integer", s, parts[2])
		}
	}
	switch parts[0] {
	case "gp":
		return GradientPenalty{Weight: weight, Target: 1, Every: every}, nil
	case "r1":
		return R1{Gamma: weight, Every: every}, nil
	case "r2":
		return R2{Gamma: weight, Every: every}, nil
	}
	return nil, fmt.Errorf("gan: unknown penalty %q (want none, gp, r1 or r2, optionally :WEIGHT[:EVERY])", parts[0])
}
