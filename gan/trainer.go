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
	"gorgonia.org/tensor"
)

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

	d, g     *pass
	samplers []*pass // per generator, built on first use

	dOpts, gOpts     []optim.Optimizer
	dParams, gParams [][]*tensor.Dense

	dev *deviceRun // nil on the CPU

	ema []emaState // per generator, the average of its weights (nil when GeneratorEMA is 0)

	// pen is the discriminators' penalty (kind "" for none). dPlain and
	// dReg are the discriminator passes without and with a lazy penalty
	// (nil otherwise); t.d is the one of the current update.
	pen          penaltySpec
	dPlain, dReg *pass

	step    int
	gap     float64 // D(x) − D(G(z)) of the last discriminator pass, for the balance schedule
	zBuf    []float64
	realBuf []float32
	logits  []float64

	classes  int   // of a conditional trainer (ConditionalGenerator); 0 if unconditional
	labelBuf []int // the classes of a batch
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
	classes, err := conditionalClasses(gens, discs, cfg)
	if err != nil {
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
		samplers:  make([]*pass, len(gens)),
		classes:   classes,
	}
	t.rng, t.sampleRNG = rand.New(t.rngSrc), rand.New(t.sampleSrc)
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
	if err := t.choosePenalty(); err != nil {
		return nil, err
	}
	if t.d, err = t.buildDiscriminatorPass(t.pen.kind != "" && !t.pen.lazy()); err != nil {
		return nil, err
	}
	if t.pen.lazy() {
		t.dPlain = t.d
		if t.dReg, err = t.buildDiscriminatorPass(true); err != nil {
			return nil, err
		}
	}
	if t.g, err = t.buildGeneratorPass(); err != nil {
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
	t.initEMA()
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
