package gan

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConditionalGenerator is a Generator that makes samples of a requested
// class (a class-conditional GAN: Mirza & Osindero 2014). The trainer
// feeds it the classes as one-hot rows: during training, classes drawn
// uniformly with the trainer's seeded random generator (the one that
// draws the noise, so runs stay reproducible and resumable); when
// sampling, the classes asked for (Trainer.SampleClasses).
//
// A trainer is conditional exactly when its generator is a
// ConditionalGenerator; its discriminator must then be a
// ConditionalDiscriminator of the same number of classes, and the data a
// data.LabeledBatches.
type ConditionalGenerator interface {
	Generator
	// NumClasses returns K, the number of classes.
	NumClasses() int
	// GenerateConditional adds G(z, y) to the builder's graph, for z of
	// shape [batch, LatentDim()] and y of shape [batch, K] (one-hot rows:
	// y[i][c] = 1 when sample i is of class c), and returns the samples,
	// of shape [batch, SampleShape()...].
	GenerateConditional(b *nn.Builder, z, y *G.Node) (*G.Node, error)
}

// ConditionalDiscriminator is a Discriminator that sees the class of each
// sample, or predicts it. The three classic schemes fit it: a
// discriminator that takes the class as input (concatenation, Mirza &
// Osindero 2014), the projection discriminator (Miyato & Koyama 2018:
// logit = ψ(φ(x)) + ⟨embed(y), φ(x)⟩), and the auxiliary classifier
// (ACGAN, Odena et al. 2017), which returns class logits as well.
type ConditionalDiscriminator interface {
	Discriminator
	// NumClasses returns K, the number of classes.
	NumClasses() int
	// DiscriminateConditional adds D's logits, of shape [batch], for the
	// samples x of the classes y (one-hot, [batch, K]). A discriminator
	// with an auxiliary classifier also returns its class logits, of
	// shape [batch, K], and the trainer then adds the ACGAN class losses:
	// D minimises the softmax cross-entropy of the true class on real
	// samples and of the requested class on generated ones, G that of
	// the requested class on generated ones (ClassCrossEntropy). Others
	// return nil class logits.
	DiscriminateConditional(b *nn.Builder, x, y *G.Node) (logits, classLogits *G.Node, err error)
}

// conditionalClasses returns the number of classes of a conditional
// trainer of gens and discs, 0 for an unconditional one, or an error for
// a combination it does not support.
func conditionalClasses(gens []Generator, discs []Discriminator, cfg Config) (int, error) {
	cg, gCond := gens[0].(ConditionalGenerator)
	dCond := false
	for _, d := range discs {
		if _, ok := d.(ConditionalDiscriminator); ok {
			dCond = true
		}
	}
	if !gCond && !dCond {
		return 0, nil
	}
	if len(gens) > 1 || len(discs) > 1 {
		return 0, fmt.Errorf("gan: conditional networks train one generator against one discriminator; this trainer has %d and %d", len(gens), len(discs))
	}
	cd, ok := discs[0].(ConditionalDiscriminator)
	if !gCond {
		return 0, fmt.Errorf("gan: the discriminator is conditional (%d classes) but the generator (%T) is not a gan.ConditionalGenerator", cd.NumClasses(), gens[0])
	}
	if !ok {
		return 0, fmt.Errorf("gan: the generator is conditional (%d classes) but the discriminator (%T) is not a gan.ConditionalDiscriminator", cg.NumClasses(), discs[0])
	}
	k := cg.NumClasses()
	if k < 1 {
		return 0, fmt.Errorf("gan: the conditional generator has %d classes, want at least 1", k)
	}
	if cd.NumClasses() != k {
		return 0, fmt.Errorf("gan: the generator has %d classes but the discriminator %d", k, cd.NumClasses())
	}
	if cfg.Pack > 1 {
		return 0, fmt.Errorf("gan: config: Pack %d is not supported with conditional networks (a packed input would mix classes)", cfg.Pack)
	}
	if cfg.FeatureMatching {
		return 0, fmt.Errorf("gan: config: FeatureMatching is not supported with conditional networks")
	}
	// The conditional passes build the adversarial loss themselves; the
	// penalties and the relativistic generator loss are not part of them.
	if cfg.Penalty != nil {
		return 0, fmt.Errorf("gan: config: gradient penalties (Penalty %v) are not supported with conditional networks", cfg.Penalty)
	}
	if _, gp := cfg.Loss.(losses.GradientPenalized); gp {
		return 0, fmt.Errorf("gan: config: gradient penalties (the %s loss's) are not supported with conditional networks", cfg.Loss.Name())
	}
	if _, rel := cfg.Loss.(losses.RelativisticLoss); rel {
		return 0, fmt.Errorf("gan: config: the relativistic %s loss is not supported with conditional networks", cfg.Loss.Name())
	}
	return k, nil
}

// NumClasses returns the number of classes of a conditional trainer
// (see ConditionalGenerator), 0 for an unconditional one.
func (t *Trainer) NumClasses() int { return t.classes }

// generateConditional adds gen(z, y) for fresh noise and class inputs to
// p's graph.
func (t *Trainer) generateConditional(p *pass, gen Generator) (fake, y *G.Node, err error) {
	cg := gen.(ConditionalGenerator)
	z := t.input(p.b, "z", []int{gen.LatentDim()})
	p.zs = append(p.zs, z.Value().(*tensor.Dense))
	y = t.input(p.b, "y-fake", []int{t.classes})
	p.ys = append(p.ys, y.Value().(*tensor.Dense))
	if fake, err = cg.GenerateConditional(p.b, z, y); err != nil {
		return nil, nil, fmt.Errorf("gan: build conditional generator (%s graph): %w", p.b.Mode(), err)
	}
	want := append(tensor.Shape{t.cfg.BatchSize}, gen.SampleShape()...)
	if !fake.Shape().Eq(want) {
		return nil, nil, fmt.Errorf("gan: generator returned shape %v, want %v", fake.Shape(), want)
	}
	return fake, y, nil
}

// discriminateConditional adds disc's logits and class logits (nil if it
// has no classifier) for the batch x of classes y.
func (t *Trainer) discriminateConditional(b *nn.Builder, disc Discriminator, x, y *G.Node) (logits, classLogits *G.Node, err error) {
	logits, classLogits, err = disc.(ConditionalDiscriminator).DiscriminateConditional(b, x, y)
	if err != nil {
		return nil, nil, fmt.Errorf("gan: build conditional discriminator: %w", err)
	}
	rows := t.cfg.BatchSize
	if !logits.Shape().Eq(tensor.Shape{rows}) {
		return nil, nil, fmt.Errorf("gan: discriminator returned shape %v, want [%d] (one logit per input)", logits.Shape(), rows)
	}
	if classLogits != nil && !classLogits.Shape().Eq(tensor.Shape{rows, t.classes}) {
		return nil, nil, fmt.Errorf("gan: discriminator returned class logits of shape %v, want [%d %d]", classLogits.Shape(), rows, t.classes)
	}
	return logits, classLogits, nil
}

// plus returns a + b, or a when b is nil.
func plus(a, b *G.Node) (*G.Node, error) {
	if b == nil {
		return a, nil
	}
	return G.Add(a, b)
}

// buildConditionalDiscriminatorPass is buildDiscriminatorPass for a
// conditional trainer: G(z, y) for drawn classes y, D on the real batch
// with its labels and on the generated batch with y; D's adversarial
// loss, plus, for an auxiliary classifier, the class cross-entropy on
// both batches.
func (t *Trainer) buildConditionalDiscriminatorPass() (*pass, error) {
	p := &pass{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	gen, disc := t.gens[0], t.discs[0]
	fake, yFake, err := t.generateConditional(p, gen)
	if err != nil {
		return nil, err
	}
	p.read(fake, &p.samples)
	fakeIn, err := t.perturb(p, fake)
	if err != nil {
		return nil, err
	}
	real := t.input(p.b, "real", gen.SampleShape())
	p.real = real.Value().(*tensor.Dense)
	yReal := t.input(p.b, "y-real", []int{t.classes})
	p.realY = yReal.Value().(*tensor.Dense)
	realIn, err := t.perturb(p, real)
	if err != nil {
		return nil, err
	}
	realLogits, realClass, err := t.discriminateConditional(p.b, disc, realIn, yReal)
	if err != nil {
		return nil, err
	}
	fakeLogits, fakeClass, err := t.discriminateConditional(p.b, disc, fakeIn, yFake)
	if err != nil {
		return nil, err
	}
	p.realOut = make([]G.Value, 1)
	p.fakeOut = [][]G.Value{make([]G.Value, 1)}
	p.read(realLogits, &p.realOut[0])
	p.read(fakeLogits, &p.fakeOut[0][0])
	loss, err := t.loss.Discriminator(realLogits, fakeLogits)
	if err != nil {
		return nil, fmt.Errorf("gan: %s discriminator loss: %w", t.loss.Name(), err)
	}
	if realClass != nil {
		ceReal, err := ClassCrossEntropy(realClass, yReal)
		if err != nil {
			return nil, fmt.Errorf("gan: class loss on real samples: %w", err)
		}
		ceFake, err := ClassCrossEntropy(fakeClass, yFake)
		if err != nil {
			return nil, fmt.Errorf("gan: class loss on generated samples: %w", err)
		}
		if loss, err = plus(loss, ceReal); err == nil {
			loss, err = plus(loss, ceFake)
		}
		if err != nil {
			return nil, fmt.Errorf("gan: discriminator loss: %w", err)
		}
	}
	return p, p.finish([]*G.Node{loss}, []G.Nodes{p.b.Learnables(disc.Params())})
}

// buildConditionalGeneratorPass is buildGeneratorPass for a conditional
// trainer: G(z, y) for drawn classes y judged by D with y; G's
// adversarial loss, plus, for an auxiliary classifier, the class
// cross-entropy of y on the generated batch.
func (t *Trainer) buildConditionalGeneratorPass() (*pass, error) {
	p := &pass{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	gen, disc := t.gens[0], t.discs[0]
	fake, y, err := t.generateConditional(p, gen)
	if err != nil {
		return nil, err
	}
	if fake, err = t.perturb(p, fake); err != nil {
		return nil, err
	}
	logits, class, err := t.discriminateConditional(p.b, disc, fake, y)
	if err != nil {
		return nil, err
	}
	loss, err := t.loss.Generator(logits)
	if err != nil {
		return nil, fmt.Errorf("gan: %s generator loss: %w", t.loss.Name(), err)
	}
	if class != nil {
		ce, err := ClassCrossEntropy(class, y)
		if err != nil {
			return nil, fmt.Errorf("gan: class loss on generated samples: %w", err)
		}
		if loss, err = plus(loss, ce); err != nil {
			return nil, fmt.Errorf("gan: generator loss: %w", err)
		}
	}
	return p, p.finish([]*G.Node{loss}, []G.Nodes{p.b.Learnables(gen.Params())})
}

// ClassCrossEntropy adds to logits' graph the mean over the batch of the
// softmax cross-entropy of the classes y (one-hot rows, or any rows of
// class probabilities) under the class logits, both of shape [batch, K]:
//
//	(1/batch) Σ_i [ log Σ_c exp(logits[i][c]) − Σ_c y[i][c]·logits[i][c] ]
//
// (for one-hot y, −log softmax(logits[i])[class i]). It is the class
// loss of ACGAN. The log-sum-exp is computed as m + log Σ exp(l − m) with
// m the row's largest logit, so large logits do not overflow.
func ClassCrossEntropy(logits, y *G.Node) (*G.Node, error) {
	if logits.Dims() != 2 || !logits.Shape().Eq(y.Shape()) {
		return nil, fmt.Errorf("gan: class cross-entropy: logits %v and classes %v must both have shape [batch K]", logits.Shape(), y.Shape())
	}
	m, err := G.Max(logits, 1)
	if err != nil {
		return nil, fmt.Errorf("gan: class cross-entropy: %w", err)
	}
	shifted, err := G.BroadcastSub(logits, m, nil, []byte{1})
	if err != nil {
		return nil, fmt.Errorf("gan: class cross-entropy: %w", err)
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, err
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, err
	}
	ls, err := G.Log(s)
	if err != nil {
		return nil, err
	}
	lse, err := G.Add(ls, m)
	if err != nil {
		return nil, err
	}
	yl, err := G.HadamardProd(y, logits)
	if err != nil {
		return nil, err
	}
	picked, err := G.Sum(yl, 1)
	if err != nil {
		return nil, err
	}
	ce, err := G.Sub(lse, picked)
	if err != nil {
		return nil, err
	}
	return G.Mean(ce)
}

// checkLabeled checks that a conditional trainer's data has labels of
// at most its number of classes.
func (t *Trainer) checkLabeled(batches data.Batches) error {
	lb, ok := batches.(data.LabeledBatches)
	if !ok {
		return fmt.Errorf("gan: a conditional trainer needs labelled data (a data.LabeledBatches, e.g. a data.Loader over a data.Labeled dataset); %T is not", batches)
	}
	k := lb.NumClasses()
	if k < 1 {
		return fmt.Errorf("gan: a conditional trainer needs labelled data; the data has no labels")
	}
	if k > t.classes {
		return fmt.Errorf("gan: the data has %d classes but the conditional networks %d", k, t.classes)
	}
	return nil
}

// fillRealLabeled copies the next real batch and its classes, one-hot,
// into dst and dstY.
func (t *Trainer) fillRealLabeled(batches data.Batches, dst, dstY *tensor.Dense) error {
	lb, ok := batches.(data.LabeledBatches)
	if !ok {
		return fmt.Errorf("gan: a conditional trainer needs labelled data; %T is not a data.LabeledBatches", batches)
	}
	if t.labelBuf == nil {
		t.labelBuf = make([]int, t.cfg.BatchSize)
	}
	next := func(buf []float32) error { return lb.NextLabeled(buf, t.labelBuf) }
	f, ok := dst.Data().([]float32)
	if !ok {
		if t.realBuf == nil {
			t.realBuf = make([]float32, dst.Shape().TotalSize())
		}
		f = t.realBuf
	}
	if err := next(f); err != nil {
		return fmt.Errorf("gan: real batch: %w", err)
	}
	if d, ok := dst.Data().([]float64); ok {
		for i, v := range f {
			d[i] = float64(v)
		}
	}
	for _, c := range t.labelBuf {
		if c < 0 || c >= t.classes {
			return fmt.Errorf("gan: real batch: label %d outside [0, %d)", c, t.classes)
		}
	}
	oneHot(dstY, t.labelBuf, t.classes)
	return nil
}

// fillLabels draws, with rng, a class for every row of each generated
// batch of p, uniformly, and writes them one-hot.
func (t *Trainer) fillLabels(rng *rand.Rand, p *pass) {
	if len(p.ys) == 0 {
		return
	}
	if t.labelBuf == nil {
		t.labelBuf = make([]int, t.cfg.BatchSize)
	}
	for _, y := range p.ys {
		for i := range t.labelBuf {
			t.labelBuf[i] = rng.IntN(t.classes)
		}
		oneHot(y, t.labelBuf, t.classes)
	}
}

// oneHot writes the classes, one row of k per class, into dst; rows past
// len(classes) are zero.
func oneHot(dst *tensor.Dense, classes []int, k int) {
	setEach(dst, func(i int) float64 {
		r, c := i/k, i%k
		if r < len(classes) && classes[r] == c {
			return 1
		}
		return 0
	})
}

// checkClasses checks that every class is in [0, k).
func checkClasses(classes []int, k int) error {
	for i, c := range classes {
		if c < 0 || c >= k {
			return fmt.Errorf("gan: class %d (at %d) is outside [0, %d)", c, i, k)
		}
	}
	return nil
}

// SampleClasses returns one generated sample of each class in classes, in
// order, as a tensor of shape [len(classes), SampleShape()...], drawing
// the noise as Sample does (from the sampling random generator, in
// inference mode). The trainer must be conditional.
func (t *Trainer) SampleClasses(classes []int) (*tensor.Dense, error) {
	if t.classes == 0 {
		return nil, fmt.Errorf("gan: SampleClasses: the trainer is not conditional")
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("gan: SampleClasses: no classes asked for")
	}
	return t.GenerateClasses(t.Noise(len(classes)), classes)
}

// GenerateClasses returns G(z, y) for the latent vectors z (row after
// row) and the classes y, one per vector, in inference mode. The trainer
// must be conditional.
func (t *Trainer) GenerateClasses(z []float64, classes []int) (*tensor.Dense, error) {
	if t.classes == 0 {
		return nil, fmt.Errorf("gan: GenerateClasses: the trainer is not conditional")
	}
	latent := t.gens[0].LatentDim()
	if len(z) != len(classes)*latent {
		return nil, fmt.Errorf("gan: GenerateClasses: %d noise values for %d classes of latent size %d", len(z), len(classes), latent)
	}
	if err := checkClasses(classes, t.classes); err != nil {
		return nil, fmt.Errorf("gan: GenerateClasses: %w", err)
	}
	return t.generateWith(0, z, classes)
}

// defaultClasses returns the classes of n samples made without classes
// asked for: 0, 1, …, K−1, 0, 1, … (sample i is of class i mod K).
func (t *Trainer) defaultClasses(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i % t.classes
	}
	return out
}

// GenerateSamples returns gen's samples for the latent vectors z (row
// after row) in inference mode, without a trainer: for a generator loaded
// from a model file (models.Load). For a ConditionalGenerator, classes
// gives the class of each vector (nil: sample i is of class i mod K);
// otherwise classes must be nil.
func GenerateSamples(gen Generator, z []float64, classes []int) (*tensor.Dense, error) {
	if gen == nil {
		return nil, fmt.Errorf("gan: GenerateSamples: nil generator")
	}
	latent := gen.LatentDim()
	if latent < 1 || len(z) == 0 || len(z)%latent != 0 {
		return nil, fmt.Errorf("gan: GenerateSamples: %d noise values is not a positive multiple of the latent size %d", len(z), latent)
	}
	n := len(z) / latent
	dt := gen.Params().Dtype()
	b := nn.NewBuilder(G.NewGraph(), nn.Inference)
	zn := b.Input("z", dt, n, latent)
	copyInto(zn.Value().(*tensor.Dense), z)
	var out *G.Node
	var err error
	if cg, ok := gen.(ConditionalGenerator); ok {
		k := cg.NumClasses()
		if classes == nil {
			classes = make([]int, n)
			for i := range classes {
				classes[i] = i % k
			}
		}
		if len(classes) != n {
			return nil, fmt.Errorf("gan: GenerateSamples: %d classes for %d noise vectors", len(classes), n)
		}
		if err := checkClasses(classes, k); err != nil {
			return nil, fmt.Errorf("gan: GenerateSamples: %w", err)
		}
		y := b.Input("y", dt, n, k)
		oneHot(y.Value().(*tensor.Dense), classes, k)
		out, err = cg.GenerateConditional(b, zn, y)
	} else {
		if classes != nil {
			return nil, fmt.Errorf("gan: GenerateSamples: classes given but the generator (%T) is not conditional", gen)
		}
		out, err = gen.Generate(b, zn)
	}
	if err != nil {
		return nil, fmt.Errorf("gan: GenerateSamples: %w", err)
	}
	var v G.Value
	G.Read(out, &v)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	b.BeforeRun(rand.New(rand.NewPCG(0, 0)))
	if err := vm.RunAll(); err != nil {
		return nil, fmt.Errorf("gan: GenerateSamples: %w", err)
	}
	res := tensor.New(tensor.Of(dt), tensor.WithShape(append([]int{n}, gen.SampleShape()...)...))
	copyElems(res, 0, v.Data(), 0, res.Shape().TotalSize())
	return res, nil
}
