package gan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/metrics"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrNonFinite is wrapped by the error of a step whose loss or gradient is
// NaN or infinite (the step's update is not applied).
var ErrNonFinite = errors.New("non-finite value")

// Stats are the statistics of one training step.
type Stats struct {
	// Step is the number of steps completed, this one included.
	Step int `json:"step"`
	// DLoss is the discriminator's loss, averaged over the step's
	// discriminator passes (and over the discriminators of a
	// multi-adversary trainer); GLoss is the generator's loss.
	DLoss float64 `json:"d_loss"`
	GLoss float64 `json:"g_loss"`
	// DReal is the mean D(x) on the real batches and DFake the mean
	// D(G(z)) on the generated batches of the discriminator passes,
	// measured before each update. Both tend to 1/2 at the equilibrium.
	DReal float64 `json:"d_real"`
	DFake float64 `json:"d_fake"`
	// V is the estimate of V(D, G) = E[log D(x)] + E[log(1 − D(G(z)))]
	// on the same batches; −log 4 ≈ −1.386 at the equilibrium.
	V float64 `json:"v"`
	// DUpdates and GUpdates count the updates applied in this step;
	// DSkipped and GSkipped those the "losing" balance schedule skipped.
	DUpdates int `json:"d_updates"`
	GUpdates int `json:"g_updates"`
	DSkipped int `json:"d_skipped"`
	GSkipped int `json:"g_skipped"`
	// Diversity is the live mode-collapse alarm: the mean pairwise
	// distance between generated samples of the step's first batch divided
	// by the same for the real batch (on up to 32 samples of each). It is
	// near 1 when G is as varied as the data and falls towards 0 as G
	// collapses.
	Diversity float64 `json:"diversity"`
}

// Trainer trains generators against discriminators: usually one of each
// (NewTrainer), or m against n (NewMultiTrainer). It is not safe for
// concurrent use.
type Trainer struct {
	cfg     Config
	loss    losses.Loss // cfg.Loss, with label smoothing applied
	gens    []Generator
	discs   []Discriminator
	weights [][]float64 // m×n adversary weights
	dtype   tensor.Dtype
	clip    float64 // weight clipping bound for D, 0 for none

	rngSrc, sampleSrc *rand.PCG  // the generators' states, saved in checkpoints
	rng               *rand.Rand // noise and dropout during training
	sampleRNG         *rand.Rand // noise for Sample, kept apart so sampling never changes training

	d, g     *phase
	samplers []*phase // per generator, built on first use

	dOpts, gOpts     []optim.Optimizer
	dParams, gParams [][]*tensor.Dense

	dev *deviceRun // nil on the CPU

	step    int
	zBuf    []float64
	realBuf []float32
	logits  []float64
}

// phase is one graph, its machine and the nodes a run reads and writes.
type phase struct {
	b       *nn.Builder
	prog    *G.ExprGraph // the part of b's graph the machine runs
	vm      G.VM
	zs      []*tensor.Dense // noise inputs, one per generator, refilled in place before each run
	real    *tensor.Dense   // the real batch (discriminator phase only)
	noise   []*tensor.Dense // instance noise inputs (empty when off)
	losses  []G.Value       // one per network the phase trains
	realOut []G.Value       // logits of the real batch per discriminator (discriminator phase only)
	fakeOut [][]G.Value     // [discriminator][generator] logits of the generated batches
	samples G.Value         // generator 0's batch (discriminator and sampling phases)
	grads   [][]G.Value     // per network, per learnable parameter
	gradT   [][]*tensor.Dense

	gradNodes [][]*G.Node // the gradient nodes, as grads
	reads     []phaseRead // the values a step reads (losses, logits, samples)
	dev       *devPhase   // the compiled program when the trainer runs on a device
}

// NewTrainer checks that gen and disc fit together and builds the
// training graphs. The networks are trained in place: their Params are
// updated by every Step.
func NewTrainer(gen Generator, disc Discriminator, cfg Config) (*Trainer, error) {
	if gen == nil || disc == nil {
		return nil, fmt.Errorf("gan: NewTrainer needs a generator and a discriminator")
	}
	return NewMultiTrainer([]Generator{gen}, []Discriminator{disc}, cfg)
}

// NewMultiTrainer builds a trainer of m generators against n
// discriminators (several adversaries; cf. Durugkar et al. 2017 and
// Hoang et al. 2018): every generator is trained against every
// discriminator, each network's loss being the weighted mean of its losses
// against all of its adversaries (Config.AdversaryWeights, uniform by
// default). Each network has its own optimizer. Sample draws each sample
// from a generator chosen uniformly at random: the model is the mixture
// of the generators.
func NewMultiTrainer(gens []Generator, discs []Discriminator, cfg Config) (*Trainer, error) {
	if len(gens) == 0 || len(discs) == 0 {
		return nil, fmt.Errorf("gan: a trainer needs at least one generator and one discriminator")
	}
	cfg.fill()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	gen0 := gens[0]
	if gen0 == nil {
		return nil, fmt.Errorf("gan: generator 0 is nil")
	}
	dt := gen0.Params().Dtype()
	for i, g := range gens {
		if g == nil {
			return nil, fmt.Errorf("gan: generator %d is nil", i)
		}
		if g.LatentDim() < 1 {
			return nil, fmt.Errorf("gan: generator %d's latent size must be positive, got %d", i, g.LatentDim())
		}
		if g.LatentDim() != gen0.LatentDim() || !slices.Equal(g.SampleShape(), gen0.SampleShape()) {
			return nil, fmt.Errorf("gan: generator %d (latent %d, samples %v) differs from generator 0 (latent %d, samples %v)",
				i, g.LatentDim(), g.SampleShape(), gen0.LatentDim(), gen0.SampleShape())
		}
		if g.Params().Dtype() != dt {
			return nil, fmt.Errorf("gan: generator %d is %v but generator 0 is %v", i, g.Params().Dtype(), dt)
		}
	}
	sampleSize := data.Size(gen0.SampleShape())
	for j, d := range discs {
		if d == nil {
			return nil, fmt.Errorf("gan: discriminator %d is nil", j)
		}
		if cfg.Pack == 1 && !slices.Equal(gen0.SampleShape(), d.InputShape()) {
			return nil, fmt.Errorf("gan: generator makes samples of shape %v but the discriminator takes %v",
				gen0.SampleShape(), d.InputShape())
		}
		if cfg.Pack > 1 && data.Size(d.InputShape()) != cfg.Pack*sampleSize {
			return nil, fmt.Errorf("gan: with Pack %d the discriminator must take %d samples of shape %v (%d values), but it takes %v",
				cfg.Pack, cfg.Pack, gen0.SampleShape(), cfg.Pack*sampleSize, d.InputShape())
		}
		if d.Params().Dtype() != dt {
			return nil, fmt.Errorf("gan: generator is %v but discriminator %d is %v", dt, j, d.Params().Dtype())
		}
	}
	t := &Trainer{
		cfg:       cfg,
		loss:      cfg.Loss,
		gens:      gens,
		discs:     discs,
		dtype:     dt,
		rngSrc:    rand.NewPCG(cfg.Seed, 0x6761_6e2d_7472_6169),
		sampleSrc: rand.NewPCG(cfg.Seed, 0x6761_6e2d_7361_6d70),
		zBuf:      make([]float64, cfg.BatchSize*gen0.LatentDim()),
		logits:    make([]float64, 2*cfg.BatchSize),
		samplers:  make([]*phase, len(gens)),
	}
	t.rng, t.sampleRNG = rand.New(t.rngSrc), rand.New(t.sampleSrc)
	var err error
	if t.weights, err = adversaryWeights(cfg.AdversaryWeights, len(gens), len(discs)); err != nil {
		return nil, err
	}
	if cfg.LabelSmoothing > 0 {
		if t.loss, err = losses.SmoothReal(cfg.Loss, cfg.LabelSmoothing); err != nil {
			return nil, fmt.Errorf("gan: config: LabelSmoothing: %w", err)
		}
	}
	if wc, ok := t.loss.(losses.WeightClipper); ok {
		t.clip = wc.ClipValue()
	}
	if t.d, err = t.buildDiscriminatorPhase(); err != nil {
		return nil, err
	}
	if t.g, err = t.buildGeneratorPhase(); err != nil {
		return nil, err
	}
	for _, d := range discs {
		t.dParams = append(t.dParams, tensorsOf(d.Params()))
		o, err := newOptimizer(cfg.DOptimizer)
		if err != nil {
			return nil, fmt.Errorf("gan: discriminator optimizer: %w", err)
		}
		t.dOpts = append(t.dOpts, o)
	}
	for _, g := range gens {
		t.gParams = append(t.gParams, tensorsOf(g.Params()))
		o, err := newOptimizer(cfg.GOptimizer)
		if err != nil {
			return nil, fmt.Errorf("gan: generator optimizer: %w", err)
		}
		t.gOpts = append(t.gOpts, o)
	}
	if t.clip > 0 {
		t.clipD() // on the host: the device, if any, is opened below
	}
	dev, err := openDevice(cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("gan: config: Device %q: %w", cfg.Device, err)
	}
	if dev != nil {
		if t.dev, err = newDeviceRun(t, dev); err != nil {
			dev.Close()
			return nil, fmt.Errorf("gan: device %s: %w", dev.Name(), err)
		}
	}
	return t, nil
}

func tensorsOf(ps *nn.Params) []*tensor.Dense {
	var out []*tensor.Dense
	for _, p := range ps.Learnables() {
		out = append(out, p.Value)
	}
	return out
}

// adversaryWeights checks w (or makes the uniform one) for m generators
// and n discriminators.
func adversaryWeights(w [][]float64, m, n int) ([][]float64, error) {
	if w == nil {
		w = make([][]float64, m)
		for i := range w {
			w[i] = slices.Repeat([]float64{1}, n)
		}
		return w, nil
	}
	if len(w) != m {
		return nil, fmt.Errorf("gan: config: AdversaryWeights has %d rows, want one per generator (%d)", len(w), m)
	}
	cols := make([]float64, n)
	for i, row := range w {
		if len(row) != n {
			return nil, fmt.Errorf("gan: config: AdversaryWeights row %d has %d entries, want one per discriminator (%d)", i, len(row), n)
		}
		sum := 0.0
		for j, v := range row {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("gan: config: AdversaryWeights[%d][%d] = %v, want a finite weight ≥ 0", i, j, v)
			}
			sum += v
			cols[j] += v
		}
		if sum == 0 {
			return nil, fmt.Errorf("gan: config: generator %d has no adversary (its AdversaryWeights row is zero)", i)
		}
	}
	for j, c := range cols {
		if c == 0 {
			return nil, fmt.Errorf("gan: config: discriminator %d has no adversary (its AdversaryWeights column is zero)", j)
		}
	}
	return w, nil
}

func newOptimizer(c OptimizerConfig) (optim.Optimizer, error) {
	switch c.Kind {
	case "sgd":
		return optim.NewSGD(optim.SGDConfig{LR: c.LR, Momentum: c.Momentum})
	case "rmsprop":
		return optim.NewRMSProp(optim.RMSPropConfig{LR: c.LR})
	default:
		return optim.NewAdam(optim.AdamConfig{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2})
	}
}

func (t *Trainer) input(b *nn.Builder, name string, sample []int) *G.Node {
	return b.Input(name, t.dtype, append([]int{t.cfg.BatchSize}, sample...)...)
}

// generate adds gen(z) for a fresh noise input to p's graph.
func (t *Trainer) generate(p *phase, gen Generator) (*G.Node, error) {
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
func (t *Trainer) perturb(p *phase, x *G.Node) (*G.Node, error) {
	if t.cfg.InstanceNoise == 0 {
		return x, nil
	}
	n := p.b.Input("instance-noise", t.dtype, x.Shape()...)
	p.noise = append(p.noise, n.Value().(*tensor.Dense))
	y, err := G.Add(x, n)
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

func castScalar(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

// finish differentiates the sum of the networks' losses with respect to
// each network's learnables, arranges for the values a step reads to be
// copied out during the run, and compiles the machine.
func (p *phase) finish(netLosses []*G.Node, wrt []G.Nodes) error {
	g := p.b.Graph()
	// The roots the networks and the step built (their outputs and Read
	// nodes); G.Grad adds gradient nodes after this point.
	var keep G.Nodes
	for _, n := range g.AllNodes() {
		if g.To(n.ID()).Len() == 0 {
			keep = append(keep, n)
		}
	}
	if len(netLosses) > 0 {
		total := netLosses[0]
		for _, l := range netLosses[1:] {
			var err error
			if total, err = G.Add(total, l); err != nil {
				return fmt.Errorf("gan: sum losses: %w", err)
			}
		}
		var all G.Nodes
		for _, w := range wrt {
			all = append(all, w...)
		}
		grads, err := G.Grad(total, all...)
		if err != nil {
			return fmt.Errorf("gan: differentiate: %w", err)
		}
		p.losses = make([]G.Value, len(netLosses))
		for i, l := range netLosses {
			keep = append(keep, p.read(l, &p.losses[i]))
		}
		p.grads = make([][]G.Value, len(wrt))
		p.gradT = make([][]*tensor.Dense, len(wrt))
		p.gradNodes = make([][]*G.Node, len(wrt))
		k := 0
		for i, w := range wrt {
			p.grads[i] = make([]G.Value, len(w))
			p.gradT[i] = make([]*tensor.Dense, len(w))
			p.gradNodes[i] = grads[k : k+len(w)]
			for j := range w {
				keep = append(keep, G.Read(grads[k], &p.grads[i][j]))
				k++
			}
		}
	}
	p.prog = prune(g, keep)
	p.vm = G.NewTapeMachine(p.prog)
	return nil
}

// prune returns the part of g that computes the nodes in keep. Gorgonia's
// G.Grad adds, for every op on the way, the gradients of all its inputs
// (the input gradient of D's first layer in the discriminator pass, the
// gradients of D's weights in the generator pass), and a tape machine runs
// every node of its graph; compiling only what the step reads skips that
// work (bench/NOTES.md, lever 4b). Read statements of kept nodes are kept
// with them.
func prune(g *G.ExprGraph, keep G.Nodes) *G.ExprGraph {
	if !pruneGraphs {
		return g
	}
	return g.SubgraphRoots(keep...)
}

// pruneGraphs is false only in the test that checks pruning changes no
// number.
var pruneGraphs = true

func (t *Trainer) buildDiscriminatorPhase() (*phase, error) {
	p := &phase{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
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
			col[i] = t.weights[i][j]
		}
		l, err := weighted(terms, col, t.dtype)
		if err != nil {
			return nil, fmt.Errorf("gan: discriminator %d loss: %w", j, err)
		}
		netLosses = append(netLosses, l)
		wrt = append(wrt, p.b.Learnables(disc.Params()))
	}
	return p, p.finish(netLosses, wrt)
}

func (t *Trainer) buildGeneratorPhase() (*phase, error) {
	p := &phase{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	var netLosses []*G.Node
	var wrt []G.Nodes
	fm := t.cfg.FeatureMatching
	realFeats := make([]*G.Node, len(t.discs))
	if fm {
		real := t.input(p.b, "real", t.gens[0].SampleShape())
		p.real = real.Value().(*tensor.Dense)
		realIn, err := t.perturb(p, real)
		if err != nil {
			return nil, err
		}
		for j, disc := range t.discs {
			if _, realFeats[j], err = t.discriminateWith(p.b, disc, realIn, true); err != nil {
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

// fillNoise draws a batch of noise into dst.
func (t *Trainer) fillNoise(rng *rand.Rand, dst *tensor.Dense) {
	t.cfg.Noise.Fill(rng, t.zBuf)
	copyInto(dst, t.zBuf)
}

// fillInputs draws fresh noise for every generator and instance noise for
// every discriminator input of p.
func (t *Trainer) fillInputs(p *phase) {
	for _, z := range p.zs {
		t.fillNoise(t.rng, z)
	}
	if len(p.noise) == 0 {
		return
	}
	std := t.cfg.InstanceNoise
	if n := t.cfg.InstanceNoiseSteps; n > 0 {
		std *= math.Max(0, 1-float64(t.step)/float64(n))
	}
	for _, n := range p.noise {
		switch d := n.Data().(type) {
		case []float32:
			for i := range d {
				d[i] = float32(std * t.rng.NormFloat64())
			}
		case []float64:
			for i := range d {
				d[i] = std * t.rng.NormFloat64()
			}
		}
	}
}

func copyInto(dst *tensor.Dense, src []float64) {
	switch d := dst.Data().(type) {
	case []float32:
		for i, v := range src {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, src)
	}
}

// fillReal copies the next real batch into dst.
func (t *Trainer) fillReal(batches data.Batches, dst *tensor.Dense) error {
	if f, ok := dst.Data().([]float32); ok {
		if err := batches.Next(f); err != nil {
			return fmt.Errorf("gan: real batch: %w", err)
		}
		return nil
	}
	if t.realBuf == nil {
		t.realBuf = make([]float32, dst.Shape().TotalSize())
	}
	if err := batches.Next(t.realBuf); err != nil {
		return fmt.Errorf("gan: real batch: %w", err)
	}
	d := dst.Data().([]float64)
	for i, v := range t.realBuf {
		d[i] = float64(v)
	}
	return nil
}

// run executes one pass of p's machine.
func (t *Trainer) run(p *phase) error {
	p.b.BeforeRun(t.rng)
	if t.dev != nil {
		return t.runDevice(p)
	}
	defer p.vm.Reset()
	return p.vm.RunAll()
}

// check verifies the losses and gradients of the last run of p and
// returns the mean loss; who names the networks ("discriminator").
func (t *Trainer) check(p *phase, who string) (float64, error) {
	mean := 0.0
	for n, v := range p.losses {
		loss := scalar(v)
		name := who
		if len(p.losses) > 1 {
			name = fmt.Sprintf("%s %d", who, n)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, fmt.Errorf("gan: step %d: %s loss is %v; weights left as they were before this update: %w", t.step+1, name, loss, ErrNonFinite)
		}
		if p.dev != nil {
			if p.dev.bad[n] {
				i := p.dev.badAt[n][0]
				return loss, fmt.Errorf("gan: step %d: %s gradient %d (of shape %v) is not finite; weights left as they were before this update: %w",
					t.step+1, name, i, p.gradNodes[n][i].Shape(), ErrNonFinite)
			}
			mean += loss / float64(len(p.losses))
			continue
		}
		for i, g := range p.grads[n] {
			p.gradT[n][i] = g.(*tensor.Dense)
			if !allFinite(p.gradT[n][i]) {
				return loss, fmt.Errorf("gan: step %d: %s gradient %d (of shape %v) is not finite; weights left as they were before this update: %w",
					t.step+1, name, i, p.gradT[n][i].Shape(), ErrNonFinite)
			}
		}
		mean += loss / float64(len(p.losses))
	}
	return mean, nil
}

// apply folds the batch statistics of the last run of p into the running
// ones and, unless skip, applies the optimizers.
func (t *Trainer) apply(p *phase, who string, opts []optim.Optimizer, params [][]*tensor.Dense, skip bool) error {
	if t.dev != nil {
		devOpts := t.dev.gOpts
		if p == t.d {
			devOpts = t.dev.dOpts
		}
		return t.applyDevice(p, devOpts, skip)
	}
	if err := p.b.AfterRun(); err != nil {
		return err
	}
	if skip {
		return nil
	}
	for n, o := range opts {
		if err := o.Step(params[n], p.gradT[n]); err != nil {
			return fmt.Errorf("gan: step %d: %s %d update: %w", t.step+1, who, n, err)
		}
	}
	return nil
}

// Step performs one training step, Algorithm 1 of Goodfellow et al.: k
// discriminator updates, each on a fresh real batch from batches and a
// fresh generated batch, then one generator update on fresh noise. Under
// the "losing" balance schedule the network that is ahead skips its
// updates (see Balance).
//
// A non-finite loss or gradient stops the step with an error naming the
// step and the statistic; the update that produced it is not applied.
func (t *Trainer) Step(batches data.Batches) (Stats, error) {
	sampleShape := t.gens[0].SampleShape()
	if got, want := data.Size(batches.Shape()), data.Size(sampleShape); got != want {
		return Stats{}, fmt.Errorf("gan: data samples have shape %v (%d values) but the generator makes %v (%d values)",
			batches.Shape(), got, sampleShape, want)
	}
	st := Stats{Step: t.step + 1}
	k := t.cfg.DSteps
	losing := t.cfg.Balance.Kind == "losing"
	gap := 0.0
	for i := 0; i < k; i++ {
		if err := t.fillReal(batches, t.d.real); err != nil {
			return st, err
		}
		t.fillInputs(t.d)
		if err := t.run(t.d); err != nil {
			return st, fmt.Errorf("gan: step %d: discriminator pass: %w", st.Step, err)
		}
		dReal, dFake, v := t.passStats()
		st.DReal += dReal / float64(k)
		st.DFake += dFake / float64(k)
		st.V += v / float64(k)
		gap = dReal - dFake
		if i == 0 {
			st.Diversity = t.diversity()
		}
		loss, err := t.check(t.d, "discriminator")
		if err != nil {
			return st, err
		}
		st.DLoss += loss / float64(k)
		skip := losing && gap > t.cfg.Balance.Margin
		if err := t.apply(t.d, "discriminator", t.dOpts, t.dParams, skip); err != nil {
			return st, err
		}
		if skip {
			st.DSkipped++
			continue
		}
		st.DUpdates++
		if t.clip > 0 {
			if err := t.clipD(); err != nil {
				return st, err
			}
		}
	}
	if t.g.real != nil { // feature matching compares with a real batch of its own
		if err := t.fillReal(batches, t.g.real); err != nil {
			return st, err
		}
	}
	t.fillInputs(t.g)
	if err := t.run(t.g); err != nil {
		return st, fmt.Errorf("gan: step %d: generator pass: %w", st.Step, err)
	}
	loss, err := t.check(t.g, "generator")
	if err != nil {
		return st, err
	}
	st.GLoss = loss
	skip := losing && gap < -t.cfg.Balance.Margin
	if err := t.apply(t.g, "generator", t.gOpts, t.gParams, skip); err != nil {
		return st, err
	}
	if skip {
		st.GSkipped++
	} else {
		st.GUpdates++
	}
	t.step++
	return st, nil
}

// passStats returns the mean D(x), mean D(G(z)) and the estimate of V of
// the last discriminator pass, averaged over all pairs of adversaries.
func (t *Trainer) passStats() (dReal, dFake, v float64) {
	pairs := float64(len(t.discs) * len(t.gens))
	for j := range t.discs {
		for i := range t.gens {
			real, fake := t.logitsOf(t.d.realOut[j], t.d.fakeOut[j][i])
			dFake += losses.MeanProb(fake) / pairs
			v += losses.Value(real, fake) / pairs
			if i == 0 {
				dReal += losses.MeanProb(real) / float64(len(t.discs))
			}
		}
	}
	return dReal, dFake, v
}

// diversity returns the ratio of the mean pairwise distance of generator
// 0's last batch to that of the real batch, on up to 32 samples each (0
// when the real batch has no spread).
func (t *Trainer) diversity() float64 {
	n := min(t.cfg.BatchSize, 32)
	size := t.d.real.Shape().TotalSize() / t.cfg.BatchSize
	gen, real := asFloat32(t.d.samples.Data(), n*size), asFloat32(t.d.real.Data(), n*size)
	r, err := metrics.DiversityRatio(gen, real, n, size)
	if err != nil {
		return 0
	}
	return r
}

// asFloat32 returns the first n values of a float32 or float64 slice as
// float32 (the slice itself when it is float32).
func asFloat32(values any, n int) []float32 {
	switch d := values.(type) {
	case []float32:
		return d[:n]
	case []float64:
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(d[i])
		}
		return out
	}
	return nil
}

// logitsOf converts the logits read from a run into float64 slices backed
// by the trainer's scratch buffer.
func (t *Trainer) logitsOf(real, fake G.Value) ([]float64, []float64) {
	n := t.cfg.BatchSize
	out := t.logits[:2*n]
	toFloat64(out[:n], real)
	toFloat64(out[n:], fake)
	return out[:n], out[n:]
}

func toFloat64(dst []float64, v G.Value) {
	switch d := v.Data().(type) {
	case []float32:
		for i, x := range d {
			dst[i] = float64(x)
		}
	case []float64:
		copy(dst, d)
	}
}

func scalar(v G.Value) float64 {
	switch d := v.Data().(type) {
	case float32:
		return float64(d)
	case float64:
		return d
	case []float32:
		return float64(d[0])
	case []float64:
		return d[0]
	}
	return math.NaN()
}

// allFinite reports whether every element of t is finite. x·0 is 0 for a
// finite x and NaN for ±Inf or NaN, so the sum of x·0 over t is 0 exactly
// when all elements are finite (a plain sum could overflow); eight
// accumulators keep the loop from waiting on one add chain.
func allFinite(t *tensor.Dense) bool {
	switch d := t.Data().(type) {
	case []float32:
		return finite(d)
	case []float64:
		return finite(d)
	case float32: // one-element tensors report their data as a scalar
		return finite([]float32{d})
	case float64:
		return finite([]float64{d})
	}
	return true
}

func finite[T float32 | float64](d []T) bool {
	var a [8]T
	i := 0
	for ; i+8 <= len(d); i += 8 {
		v := d[i : i+8 : i+8]
		a[0] += v[0] * 0
		a[1] += v[1] * 0
		a[2] += v[2] * 0
		a[3] += v[3] * 0
		a[4] += v[4] * 0
		a[5] += v[5] * 0
		a[6] += v[6] * 0
		a[7] += v[7] * 0
	}
	for ; i < len(d); i++ {
		a[0] += d[i] * 0
	}
	return a[0]+a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7] == 0
}

// clipD clamps the discriminator's learnable weights to [-clip, clip].
func (t *Trainer) clipD() error {
	if t.dev != nil {
		return t.clipDevice()
	}
	c := t.clip
	for _, p := range slices.Concat(t.dParams...) {
		switch d := p.Data().(type) {
		case []float32:
			for i, v := range d {
				d[i] = float32(math.Max(-c, math.Min(c, float64(v))))
			}
		case []float64:
			for i, v := range d {
				d[i] = math.Max(-c, math.Min(c, v))
			}
		}
	}
	return nil
}

// SetLearningRates changes the learning rates of every generator's and
// every discriminator's optimizer, keeping their state (moment buffers
// and step counts), e.g. to lower them after a divergence. Checkpoints do
// not compare learning rates, so a run may be resumed with other ones.
func (t *Trainer) SetLearningRates(gLR, dLR float64) error {
	if err := t.Sync(); err != nil {
		return err
	}
	gc, dc := t.cfg.GOptimizer, t.cfg.DOptimizer
	gc.LR, dc.LR = gLR, dLR
	if err := gc.validate(); err != nil {
		return fmt.Errorf("gan: generator learning rate: %w", err)
	}
	if err := dc.validate(); err != nil {
		return fmt.Errorf("gan: discriminator learning rate: %w", err)
	}
	replace := func(opts []optim.Optimizer, c OptimizerConfig) ([]optim.Optimizer, error) {
		out := make([]optim.Optimizer, len(opts))
		for i, o := range opts {
			n, err := newOptimizer(c)
			if err != nil {
				return nil, err
			}
			if err := n.SetState(o.State()); err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	gOpts, err := replace(t.gOpts, gc)
	if err != nil {
		return fmt.Errorf("gan: set learning rates: %w", err)
	}
	dOpts, err := replace(t.dOpts, dc)
	if err != nil {
		return fmt.Errorf("gan: set learning rates: %w", err)
	}
	if t.dev != nil { // the device keeps its state; it takes the new rates
		for i, o := range t.dev.gOpts {
			if err := o.Reconfigure(gOpts[i]); err != nil {
				return fmt.Errorf("gan: set learning rates: %w", err)
			}
		}
		for i, o := range t.dev.dOpts {
			if err := o.Reconfigure(dOpts[i]); err != nil {
				return fmt.Errorf("gan: set learning rates: %w", err)
			}
		}
	}
	t.gOpts, t.dOpts = gOpts, dOpts
	t.cfg.GOptimizer, t.cfg.DOptimizer = gc, dc
	return nil
}

// Steps returns the number of steps completed.
func (t *Trainer) Steps() int { return t.step }

// Config returns the trainer's configuration with defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// Generator returns the (first) generator being trained.
func (t *Trainer) Generator() Generator { return t.gens[0] }

// Discriminator returns the (first) discriminator being trained.
func (t *Trainer) Discriminator() Discriminator { return t.discs[0] }

// Generators returns all the generators being trained.
func (t *Trainer) Generators() []Generator { return slices.Clone(t.gens) }

// Discriminators returns all the discriminators being trained.
func (t *Trainer) Discriminators() []Discriminator { return slices.Clone(t.discs) }
