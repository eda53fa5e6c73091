package gan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Stats are the statistics of one training step.
type Stats struct {
	// Step is the number of steps completed, this one included.
	Step int `json:"step"`
	// DLoss is the discriminator's loss, averaged over the step's
	// discriminator updates; GLoss is the generator's loss.
	DLoss float64 `json:"d_loss"`
	GLoss float64 `json:"g_loss"`
	// DReal is the mean D(x) on the real batches and DFake the mean
	// D(G(z)) on the generated batches of the discriminator updates,
	// measured before each update. Both tend to 1/2 at the equilibrium.
	DReal float64 `json:"d_real"`
	DFake float64 `json:"d_fake"`
	// V is the estimate of V(D, G) = E[log D(x)] + E[log(1 − D(G(z)))]
	// on the same batches; −log 4 ≈ −1.386 at the equilibrium.
	V float64 `json:"v"`
	// DUpdates and GUpdates count the updates applied in this step.
	DUpdates int `json:"d_updates"`
	GUpdates int `json:"g_updates"`
}

// Trainer trains a Generator against a Discriminator. Create one with
// NewTrainer; it is not safe for concurrent use.
type Trainer struct {
	cfg   Config
	gen   Generator
	disc  Discriminator
	dtype tensor.Dtype
	clip  float64 // weight clipping bound for D, 0 for none

	rngSrc, sampleSrc *rand.PCG  // the generators' states, saved in checkpoints
	rng               *rand.Rand // noise and dropout during training
	sampleRNG         *rand.Rand // noise for Sample, kept apart so sampling never changes training

	d, g    *phase
	sampler *phase // built on first use

	dOpt, gOpt       optim.Optimizer
	dParams, gParams []*tensor.Dense

	step    int
	zBuf    []float64
	realBuf []float32
	logits  []float64
}

// phase is one graph, its machine and the nodes a run reads and writes.
type phase struct {
	b       *nn.Builder
	vm      G.VM
	z       *tensor.Dense // input noise, refilled in place before each run
	real    *tensor.Dense // input real batch (discriminator phase only)
	loss    G.Value
	realOut G.Value // logits of the real batch (discriminator phase only)
	fakeOut G.Value // logits of the fake batch, or the samples (sampling phase)
	grads   []G.Value
}

// NewTrainer checks that gen and disc fit together and builds the
// training graphs. The networks are trained in place: their Params are
// updated by every Step.
func NewTrainer(gen Generator, disc Discriminator, cfg Config) (*Trainer, error) {
	if gen == nil || disc == nil {
		return nil, fmt.Errorf("gan: NewTrainer needs a generator and a discriminator")
	}
	cfg.fill()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if gen.LatentDim() < 1 {
		return nil, fmt.Errorf("gan: generator's latent size must be positive, got %d", gen.LatentDim())
	}
	if !slices.Equal(gen.SampleShape(), disc.InputShape()) {
		return nil, fmt.Errorf("gan: generator makes samples of shape %v but the discriminator takes %v",
			gen.SampleShape(), disc.InputShape())
	}
	dt := gen.Params().Dtype()
	if disc.Params().Dtype() != dt {
		return nil, fmt.Errorf("gan: generator is %v but discriminator is %v", dt, disc.Params().Dtype())
	}
	t := &Trainer{
		cfg:       cfg,
		gen:       gen,
		disc:      disc,
		dtype:     dt,
		rngSrc:    rand.NewPCG(cfg.Seed, 0x6761_6e2d_7472_6169),
		sampleSrc: rand.NewPCG(cfg.Seed, 0x6761_6e2d_7361_6d70),
		zBuf:      make([]float64, cfg.BatchSize*gen.LatentDim()),
		logits:    make([]float64, 2*cfg.BatchSize),
	}
	t.rng, t.sampleRNG = rand.New(t.rngSrc), rand.New(t.sampleSrc)
	if wc, ok := cfg.Loss.(losses.WeightClipper); ok {
		t.clip = wc.ClipValue()
	}
	var err error
	if t.d, err = t.buildDiscriminatorPhase(); err != nil {
		return nil, err
	}
	if t.g, err = t.buildGeneratorPhase(); err != nil {
		return nil, err
	}
	for _, p := range disc.Params().Learnables() {
		t.dParams = append(t.dParams, p.Value)
	}
	for _, p := range gen.Params().Learnables() {
		t.gParams = append(t.gParams, p.Value)
	}
	if t.dOpt, err = newOptimizer(cfg.DOptimizer); err != nil {
		return nil, fmt.Errorf("gan: discriminator optimizer: %w", err)
	}
	if t.gOpt, err = newOptimizer(cfg.GOptimizer); err != nil {
		return nil, fmt.Errorf("gan: generator optimizer: %w", err)
	}
	if t.clip > 0 {
		t.clipD()
	}
	return t, nil
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

// generate adds G(z) for a fresh noise input to b's graph.
func (t *Trainer) generate(b *nn.Builder, p *phase) (*G.Node, error) {
	z := t.input(b, "z", []int{t.gen.LatentDim()})
	p.z = z.Value().(*tensor.Dense)
	fake, err := t.gen.Generate(b, z)
	if err != nil {
		return nil, fmt.Errorf("gan: build generator (%s graph): %w", b.Mode(), err)
	}
	want := append(tensor.Shape{t.cfg.BatchSize}, t.gen.SampleShape()...)
	if !fake.Shape().Eq(want) {
		return nil, fmt.Errorf("gan: generator returned shape %v, want %v", fake.Shape(), want)
	}
	return fake, nil
}

func (t *Trainer) discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	logits, err := t.disc.Discriminate(b, x)
	if err != nil {
		return nil, fmt.Errorf("gan: build discriminator: %w", err)
	}
	if !logits.Shape().Eq(tensor.Shape{t.cfg.BatchSize}) {
		return nil, fmt.Errorf("gan: discriminator returned shape %v, want [%d] (one logit per sample)",
			logits.Shape(), t.cfg.BatchSize)
	}
	return logits, nil
}

// finish differentiates loss with respect to wrt, arranges for the values
// a step reads to be copied out during the run, and compiles the machine.
func (p *phase) finish(loss *G.Node, wrt G.Nodes) error {
	if loss != nil {
		grads, err := G.Grad(loss, wrt...)
		if err != nil {
			return fmt.Errorf("gan: differentiate: %w", err)
		}
		G.Read(loss, &p.loss)
		p.grads = make([]G.Value, len(grads))
		for i, gr := range grads {
			G.Read(gr, &p.grads[i])
		}
	}
	p.vm = G.NewTapeMachine(p.b.Graph())
	return nil
}

func (t *Trainer) buildDiscriminatorPhase() (*phase, error) {
	p := &phase{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	fake, err := t.generate(p.b, p)
	if err != nil {
		return nil, err
	}
	real := t.input(p.b, "real", t.disc.InputShape())
	p.real = real.Value().(*tensor.Dense)
	realLogits, err := t.discriminate(p.b, real)
	if err != nil {
		return nil, err
	}
	fakeLogits, err := t.discriminate(p.b, fake)
	if err != nil {
		return nil, err
	}
	loss, err := t.cfg.Loss.Discriminator(realLogits, fakeLogits)
	if err != nil {
		return nil, fmt.Errorf("gan: %s discriminator loss: %w", t.cfg.Loss.Name(), err)
	}
	G.Read(realLogits, &p.realOut)
	G.Read(fakeLogits, &p.fakeOut)
	return p, p.finish(loss, p.b.Learnables(t.disc.Params()))
}

func (t *Trainer) buildGeneratorPhase() (*phase, error) {
	p := &phase{b: nn.NewBuilder(G.NewGraph(), nn.Training)}
	fake, err := t.generate(p.b, p)
	if err != nil {
		return nil, err
	}
	fakeLogits, err := t.discriminate(p.b, fake)
	if err != nil {
		return nil, err
	}
	loss, err := t.cfg.Loss.Generator(fakeLogits)
	if err != nil {
		return nil, fmt.Errorf("gan: %s generator loss: %w", t.cfg.Loss.Name(), err)
	}
	return p, p.finish(loss, p.b.Learnables(t.gen.Params()))
}

// fillNoise draws a batch of noise into p's z input.
func (t *Trainer) fillNoise(rng *rand.Rand, dst *tensor.Dense) {
	t.cfg.Noise.Fill(rng, t.zBuf)
	copyInto(dst, t.zBuf)
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

// fillReal copies the next real batch into p's real input.
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
	defer p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return err
	}
	return nil
}

// update checks the loss and gradients of the last run of p, folds its
// batch statistics into the running ones and applies the optimizer.
func (t *Trainer) update(p *phase, who string, opt optim.Optimizer, params []*tensor.Dense) (float64, error) {
	loss := scalar(p.loss)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("gan: step %d: %s loss is %v; weights left as they were before this update", t.step+1, who, loss)
	}
	grads := make([]*tensor.Dense, len(p.grads))
	for i, v := range p.grads {
		grads[i] = v.(*tensor.Dense)
		if s := sum(grads[i]); math.IsNaN(s) || math.IsInf(s, 0) {
			return loss, fmt.Errorf("gan: step %d: %s gradient %d (of shape %v) is not finite; weights left as they were before this update",
				t.step+1, who, i, grads[i].Shape())
		}
	}
	if err := p.b.AfterRun(); err != nil {
		return loss, err
	}
	if err := opt.Step(params, grads); err != nil {
		return loss, fmt.Errorf("gan: step %d: %s update: %w", t.step+1, who, err)
	}
	return loss, nil
}

// Step performs one training step, Algorithm 1 of Goodfellow et al.: k
// discriminator updates, each on a fresh real batch from batches and a
// fresh generated batch, then one generator update on fresh noise.
//
// A non-finite loss or gradient stops the step with an error naming the
// step and the statistic; the update that produced it is not applied.
func (t *Trainer) Step(batches data.Batches) (Stats, error) {
	sampleSize := data.Size(t.disc.InputShape())
	if got := data.Size(batches.Shape()); got != sampleSize {
		return Stats{}, fmt.Errorf("gan: data samples have shape %v (%d values) but the discriminator takes %v (%d values)",
			batches.Shape(), got, t.disc.InputShape(), sampleSize)
	}
	st := Stats{Step: t.step + 1}
	k := t.cfg.DSteps
	for i := 0; i < k; i++ {
		if err := t.fillReal(batches, t.d.real); err != nil {
			return st, err
		}
		t.fillNoise(t.rng, t.d.z)
		if err := t.run(t.d); err != nil {
			return st, fmt.Errorf("gan: step %d: discriminator pass: %w", st.Step, err)
		}
		real, fake := t.logitsOf(t.d.realOut, t.d.fakeOut)
		st.DReal += losses.MeanProb(real) / float64(k)
		st.DFake += losses.MeanProb(fake) / float64(k)
		st.V += losses.Value(real, fake) / float64(k)
		loss, err := t.update(t.d, "discriminator", t.dOpt, t.dParams)
		if err != nil {
			return st, err
		}
		st.DLoss += loss / float64(k)
		st.DUpdates++
		if t.clip > 0 {
			t.clipD()
		}
	}
	t.fillNoise(t.rng, t.g.z)
	if err := t.run(t.g); err != nil {
		return st, fmt.Errorf("gan: step %d: generator pass: %w", st.Step, err)
	}
	loss, err := t.update(t.g, "generator", t.gOpt, t.gParams)
	if err != nil {
		return st, err
	}
	st.GLoss = loss
	st.GUpdates = 1
	t.step++
	return st, nil
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

func sum(t *tensor.Dense) float64 {
	s := 0.0
	switch d := t.Data().(type) {
	case []float32:
		for _, v := range d {
			s += float64(v)
		}
	case []float64:
		for _, v := range d {
			s += v
		}
	}
	return s
}

// clipD clamps the discriminator's learnable weights to [-clip, clip].
func (t *Trainer) clipD() {
	c := t.clip
	for _, p := range t.dParams {
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
}

// Steps returns the number of steps completed.
func (t *Trainer) Steps() int { return t.step }

// Config returns the trainer's configuration with defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// Generator returns the generator being trained.
func (t *Trainer) Generator() Generator { return t.gen }

// Discriminator returns the discriminator being trained.
func (t *Trainer) Discriminator() Discriminator { return t.disc }
