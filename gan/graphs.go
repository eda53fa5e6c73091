package gan

import (
	"fmt"

	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func (t *Trainer) input(b *nn.Builder, name string, sample []int) *G.Node {
	return b.Input(name, t.dtype, append([]int{t.cfg.BatchSize}, sample...)...)
}

// generate adds gen(z) for a fresh noise input to p's graph.
func (t *Trainer) generate(p *pass, gen Generator) (*G.Node, error) {
	if t.classes > 0 {
		fake, _, err := t.generateConditional(p, gen)
		return fake, err
	}
	z := t.input(p.b, "z", []int{gen.LatentDim()})
	p.zs = append(p.zs, z.Value().(*tensor.Dense))
	fake, err := gen.Generate(p.b, z)
	if err != nil {
		return nil, fmt.Errorf("gan: build generator (%s graph): %w", p.b.Mode(), err)
	}
	want := append(tensor.Shape{t.cfg.BatchSize}, gen.SampleShape()...)
	if !fake.Shape().Eq(want) {
		return nil, fmt.Errorf("gan: generator returned shape %v, want %v", fake.Shape(), want)
	}
	return fake, nil
}

// perturb adds instance noise to a discriminator input, when it is on.
func (t *Trainer) perturb(p *pass, x *G.Node) (*G.Node, error) {
	if t.cfg.InstanceNoise == 0 {
		return x, nil
	}
	n := p.b.Input("instance-noise", t.dtype, x.Shape()...)
	p.noise = append(p.noise, n.Value().(*tensor.Dense))
	// The noise is the first operand: Gorgonia may compute an element-wise
	// op in place of its first operand, missing later uses of x through a
	// view (a generator's reshaped output whose last op's gradient reads
	// that output, as tanh's does); the noise input is refilled every run.
	y, err := G.Add(n, x)
	if err != nil {
		return nil, fmt.Errorf("gan: instance noise: %w", err)
	}
	return y, nil
}

// discriminate adds disc's logits for the batch x, packed if Pack > 1.
func (t *Trainer) discriminate(b *nn.Builder, disc Discriminator, x *G.Node) (*G.Node, error) {
	logits, _, err := t.discriminateWith(b, disc, x, false)
	return logits, err
}

// discriminateWith adds disc's logits and, if features is set, its
// features (disc must then be a FeatureDiscriminator) for the batch x,
// packed if Pack > 1.
func (t *Trainer) discriminateWith(b *nn.Builder, disc Discriminator, x *G.Node, features bool) (logits, feats *G.Node, err error) {
	rows := t.cfg.BatchSize / t.cfg.Pack
	if t.cfg.Pack > 1 {
		if x, err = G.Reshape(x, append(tensor.Shape{rows}, disc.InputShape()...)); err != nil {
			return nil, nil, fmt.Errorf("gan: pack %d samples: %w", t.cfg.Pack, err)
		}
	}
	if features {
		fd, ok := disc.(FeatureDiscriminator)
		if !ok {
			return nil, nil, fmt.Errorf("gan: FeatureMatching needs discriminators that implement gan.FeatureDiscriminator; %T does not", disc)
		}
		logits, feats, err = fd.DiscriminateFeatures(b, x)
	} else {
		logits, err = disc.Discriminate(b, x)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("gan: build discriminator: %w", err)
	}
	if !logits.Shape().Eq(tensor.Shape{rows}) {
		return nil, nil, fmt.Errorf("gan: discriminator returned shape %v, want [%d] (one logit per input)", logits.Shape(), rows)
	}
	if features && (feats == nil || feats.Dims() != 2 || feats.Shape()[0] != rows) {
		return nil, nil, fmt.Errorf("gan: discriminator features must have shape [%d F], got %v", rows, shapeOf(feats))
	}
	return logits, feats, nil
}

func shapeOf(n *G.Node) tensor.Shape {
	if n == nil {
		return nil
	}
	return n.Shape()
}

// featureMatching returns ‖mean_batch(real) − mean_batch(fake)‖², for
// feature batches of shape [batch, F].
func featureMatching(real, fake *G.Node) (*G.Node, error) {
	mr, err := G.Mean(real, 0)
	if err != nil {
		return nil, err
	}
	mf, err := G.Mean(fake, 0)
	if err != nil {
		return nil, err
	}
	d, err := G.Sub(mr, mf)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	return G.Sum(sq)
}

// weighted returns the weighted mean of terms; with one term of weight 1
// it returns the term itself, leaving the graph as simple as it can be.
func weighted(terms []*G.Node, w []float64, dt tensor.Dtype) (*G.Node, error) {
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	var out *G.Node
	for k, term := range terms {
		if w[k] == 0 {
			continue
		}
		if w[k] != sum {
			var err error
			c := G.NewConstant(castScalar(dt, w[k]/sum))
			if term, err = G.HadamardProd(term, c); err != nil {
				return nil, err
			}
		}
		if out == nil {
			out = term
			continue
		}
		var err error
		if out, err = G.Add(out, term); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// buildDiscriminatorPass builds the discriminators' pass, with their
// penalty (Config.Penalty) added to their losses if penalized.
func (t *Trainer) buildDiscriminatorPass(penalized bool) (*pass, error) {
	if t.classes > 0 {
		return t.buildConditionalDiscriminatorPass()
	}
	p := &pass{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	fakes := make([]*G.Node, len(t.gens))
	for i, gen := range t.gens {
		fake, err := t.generate(p, gen)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			p.read(fake, &p.samples)
		}
		if fakes[i], err = t.perturb(p, fake); err != nil {
			return nil, err
		}
	}
	real := t.input(p.b, "real", t.gens[0].SampleShape())
	p.real = real.Value().(*tensor.Dense)
	realIn, err := t.perturb(p, real)
	if err != nil {
		return nil, err
	}
	p.realOut = make([]G.Value, len(t.discs))
	p.fakeOut = make([][]G.Value, len(t.discs))
	var netLosses []*G.Node
	var wrt []G.Nodes
	for j, disc := range t.discs {
		realLogits, err := t.discriminate(p.b, disc, realIn)
		if err != nil {
			return nil, err
		}
		p.read(realLogits, &p.realOut[j])
		p.fakeOut[j] = make([]G.Value, len(t.gens))
		terms := make([]*G.Node, len(t.gens))
		col := make([]float64, len(t.gens))
		for i := range t.gens {
			fakeLogits, err := t.discriminate(p.b, disc, fakes[i])
			if err != nil {
				return nil, err
			}
			p.read(fakeLogits, &p.fakeOut[j][i])
			if terms[i], err = t.loss.Discriminator(realLogits, fakeLogits); err != nil {
				return nil, fmt.Errorf("gan: %s discriminator loss: %w", t.loss.Name(), err)
			}
			if penalized {
				pen, err := t.penaltyTerm(p, disc, realIn, realLogits, fakes[i], fakeLogits)
				if err != nil {
					return nil, err
				}
				if terms[i], err = G.Add(terms[i], pen); err != nil {
					return nil, fmt.Errorf("gan: add penalty: %w", err)
				}
			}
			col[i] = t.weights[i][j]
		}
		l, err := weighted(terms, col, t.dtype)
		if err != nil {
			return nil, fmt.Errorf("gan: discriminator %d loss: %w", j, err)
		}
		netLosses = append(netLosses, l)
		wrt = append(wrt, p.b.Learnables(disc.Params()))
	}
	if err := p.finish(netLosses, wrt); err != nil {
		if penalized {
			return nil, fmt.Errorf("gan: penalty %v needs the discriminator's second derivatives (a discriminator with batch normalisation has none here): %w", t.pen, err)
		}
		return nil, err
	}
	return p, nil
}

func (t *Trainer) buildGeneratorPass() (*pass, error) {
	if t.classes > 0 {
		return t.buildConditionalGeneratorPass()
	}
	p := &pass{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	var netLosses []*G.Node
	var wrt []G.Nodes
	fm := t.cfg.FeatureMatching
	rel, _ := t.loss.(losses.RelativisticLoss)
	if fm {
		rel = nil
	}
	realFeats := make([]*G.Node, len(t.discs))
	realLogits := make([]*G.Node, len(t.discs))
	if fm || rel != nil {
		real := t.input(p.b, "real", t.gens[0].SampleShape())
		p.real = real.Value().(*tensor.Dense)
		realIn, err := t.perturb(p, real)
		if err != nil {
			return nil, err
		}
		for j, disc := range t.discs {
			if realLogits[j], realFeats[j], err = t.discriminateWith(p.b, disc, realIn, fm); err != nil {
				return nil, err
			}
		}
	}
	for i, gen := range t.gens {
		fake, err := t.generate(p, gen)
		if err != nil {
			return nil, err
		}
		if fake, err = t.perturb(p, fake); err != nil {
			return nil, err
		}
		terms := make([]*G.Node, len(t.discs))
		for j, disc := range t.discs {
			fakeLogits, fakeFeats, err := t.discriminateWith(p.b, disc, fake, fm)
			if err != nil {
				return nil, err
			}
			if fm {
				if terms[j], err = featureMatching(realFeats[j], fakeFeats); err != nil {
					return nil, fmt.Errorf("gan: feature matching loss: %w", err)
				}
				continue
			}
			if rel != nil {
				if terms[j], err = rel.GeneratorRelative(realLogits[j], fakeLogits); err != nil {
					return nil, fmt.Errorf("gan: %s generator loss: %w", t.loss.Name(), err)
				}
				continue
			}
			if terms[j], err = t.loss.Generator(fakeLogits); err != nil {
				return nil, fmt.Errorf("gan: %s generator loss: %w", t.loss.Name(), err)
			}
		}
		l, err := weighted(terms, t.weights[i], t.dtype)
		if err != nil {
			return nil, fmt.Errorf("gan: generator %d loss: %w", i, err)
		}
		netLosses = append(netLosses, l)
		wrt = append(wrt, p.b.Learnables(gen.Params()))
	}
	return p, p.finish(netLosses, wrt)
}
