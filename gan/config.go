package gan

import (
	"fmt"

	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/optim"
)

// Config configures a Trainer. The zero value of every field selects its
// default, so Config{} trains with the settings of DCGAN (Radford et al.
// 2015), which also work well for MLP GANs.
type Config struct {
	// BatchSize is the number of real and of generated samples per update
	// (default 64).
	BatchSize int
	// DSteps is k, the number of discriminator updates per generator
	// update (default 1).
	DSteps int
	// Loss is the adversarial objective (default losses.NonSaturating{}).
	Loss losses.Loss
	// Noise is the prior of z (default NormalNoise{}).
	Noise Noise
	// GOptimizer and DOptimizer configure the two networks' optimizers,
	// with package optim's own settings (optim.AdamConfig, SGDConfig,
	// RMSPropConfig, or any optim.Settings of yours). Nil means
	// DefaultOptimizer: Adam with learning rate 2e-4 and β1 0.5 (Radford
	// et al.'s DCGAN settings; optim's own Adam default β1 is 0.9, which
	// applies when you give an AdamConfig with Beta1 0).
	GOptimizer, DOptimizer optim.Settings
	// Seed seeds the trainer's random numbers: the noise, dropout masks
	// and the samples Sample draws. The same seed, networks and data give
	// the same training run, bit for bit, on the same machine.
	Seed uint64
	// Device selects where the trainer runs: "" or "cpu" (the default:
	// Gorgonia's tape machine), "cuda" / "cuda:N" for an NVIDIA GPU, or
	// "host". On a device the training graphs are compiled once, at
	// NewTrainer, into device programs (package gpu) and the weights,
	// gradients and optimizer states stay on the device; call Sync before
	// reading the networks' Params yourself. "host" runs those programs
	// on the CPU with package gpu's Go reference kernels: slow, it exists
	// to verify the device path without a GPU. A GPU needs a program
	// built with the cu build tag (go build -tags cu) and an NVIDIA
	// driver; without either, NewTrainer's error says which is missing
	// (wrapping gpu.ErrNotBuilt, gpu.ErrNoDriver or gpu.ErrNoDevice).
	Device string

	// Pack is PacGAN's packing degree m (Lin et al. 2018; default 1, no
	// packing): the discriminator judges m samples at once, concatenated
	// along the first sample axis (features, or channels of an image), so
	// its input shape must hold m samples and BatchSize must be a multiple
	// of m. Packing lets D see a batch's lack of diversity, which fights
	// mode collapse.
	Pack int
	// Balance selects how the updates of D and G are scheduled (default
	// fixed k, Algorithm 1).
	Balance Balance
	// LabelSmoothing, if in (0, 1), is the one-sided smoothed target of D
	// for real samples (0.9 is usual; Salimans et al. 2016). It needs the
	// minimax or non-saturating loss; 0 means no smoothing.
	LabelSmoothing float64
	// InstanceNoise is the standard deviation of Gaussian noise added to
	// every input of the discriminator, real and generated (Sønderby et
	// al. 2016; 0 = off). It decreases linearly to zero over
	// InstanceNoiseSteps steps (0: it stays constant).
	InstanceNoise      float64
	InstanceNoiseSteps int
	// FeatureMatching replaces the generator's loss by feature matching
	// (Salimans et al. 2016): G minimises ‖E f(x) − E f(G(z))‖², the
	// squared distance between the batch means of an intermediate
	// discriminator feature f on a real batch and on a generated one. The
	// discriminators must implement FeatureDiscriminator; the generator
	// update then draws a real batch of its own. D's loss is unchanged.
	FeatureMatching bool
	// AdversaryWeights, for a trainer of m generators and n
	// discriminators (NewMultiTrainer), is an m×n matrix: generator i's
	// loss is the weighted mean over j of its losses against
	// discriminator j with weights W[i][j], and discriminator j's loss the
	// weighted mean over i with weights W[i][j]. nil means uniform.
	AdversaryWeights [][]float64
	// GeneratorEMA, if in (0, 1), is β of an exponential moving average
	// of each generator's weights, θ_ema ← β·θ_ema + (1−β)·θ after every
	// generator update (Yazıcı et al. 2019; 0.999 is usual; 0 = off).
	// Sample, GenerateFrom, GenerateWith and Save then use the average;
	// the networks' Params keep the live weights, and checkpoints hold
	// both. Batch norm running statistics are not averaged: the live ones
	// are used. CPU only (NewTrainer refuses it on a Device).
	GeneratorEMA float64
	// Penalty, if set, regularizes the discriminators with a penalty on
	// their input gradient, added to their loss: GradientPenalty
	// (WGAN-GP), R1 or R2 (see Penalty). nil means none, unless the loss
	// comes with one (losses.WGANGP: GradientPenalty with its weight and
	// target 1).
	Penalty Penalty
}

// BalanceKind names a schedule of updates (see Balance).
type BalanceKind string

// The schedules.
const (
	// BalanceFixed: every step makes DSteps discriminator updates and one
	// generator update (Algorithm 1).
	BalanceFixed BalanceKind = "fixed"
	// BalanceLosing: the same passes, but only the network that is
	// losing is updated (see Balance).
	BalanceLosing BalanceKind = "losing"
)

// Balance is a schedule of discriminator and generator updates.
type Balance struct {
	// Kind is BalanceFixed (the default): every step makes DSteps
	// discriminator updates and one generator update; or BalanceLosing:
	// the same passes, but only the network that is losing is updated
	// ("only update the current worst of the two networks at each
	// iteration"). Who is ahead is read from the gap D(x) − D(G(z))
	// between the mean probabilities D gives the real and the generated
	// batch of the last discriminator pass, before its update: D is ahead
	// when the gap exceeds Margin, G when it is below −Margin. With the
	// default Margin 0 exactly one network is updated per discriminator
	// pass and generator pass pair: D when the gap is ≤ 0, G when it is
	// > 0 (with DSteps 1: exactly one update per step). With Margin > 0
	// both are updated while |gap| ≤ Margin. Skipped updates are counted
	// in Stats.
	Kind BalanceKind `json:"kind"`
	// Margin is the "losing" schedule's margin, in [0, 1) (default 0:
	// the literal rule, one network per iteration).
	Margin float64 `json:"margin,omitempty"`
}

// DefaultOptimizer returns the optimizer settings a nil Config.GOptimizer
// or DOptimizer stands for: Adam with learning rate 2e-4, β1 0.5 and β2
// 0.999.
func DefaultOptimizer() optim.Settings {
	return optim.AdamConfig{LR: 2e-4, Beta1: 0.5, Beta2: 0.999}
}

// DefaultConfig returns the configuration that Config{} stands for, with
// every default filled in.
func DefaultConfig() Config {
	var c Config
	c.fill()
	return c
}

func (c *Config) fill() {
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.DSteps == 0 {
		c.DSteps = 1
	}
	if c.Loss == nil {
		c.Loss = losses.NonSaturating{}
	}
	if c.Noise == nil {
		c.Noise = NormalNoise{}
	}
	if c.GOptimizer == nil {
		c.GOptimizer = DefaultOptimizer()
	}
	if c.DOptimizer == nil {
		c.DOptimizer = DefaultOptimizer()
	}
	if c.Pack == 0 {
		c.Pack = 1
	}
	if c.Balance.Kind == "" {
		c.Balance.Kind = BalanceFixed
	}
}

// Validate reports the first invalid field of a filled-in configuration.
func (c Config) validate() error {
	if c.BatchSize < 1 {
		return fmt.Errorf("gan: config: BatchSize must be positive, got %d", c.BatchSize)
	}
	if c.DSteps < 1 {
		return fmt.Errorf("gan: config: DSteps (k) must be at least 1, got %d", c.DSteps)
	}
	if c.Pack < 1 || c.BatchSize%c.Pack != 0 {
		return fmt.Errorf("gan: config: Pack must be at least 1 and divide BatchSize %d, got %d", c.BatchSize, c.Pack)
	}
	switch c.Balance.Kind {
	case BalanceFixed, BalanceLosing:
	default:
		return fmt.Errorf("gan: config: unknown Balance.Kind %q (want fixed or losing)", c.Balance.Kind)
	}
	if c.Balance.Margin < 0 || c.Balance.Margin >= 1 {
		return fmt.Errorf("gan: config: Balance.Margin must lie in [0, 1), got %v", c.Balance.Margin)
	}
	if c.LabelSmoothing < 0 || c.LabelSmoothing >= 1 {
		return fmt.Errorf("gan: config: LabelSmoothing must be 0 (off) or lie in (0, 1), got %v", c.LabelSmoothing)
	}
	if c.InstanceNoise < 0 || c.InstanceNoiseSteps < 0 {
		return fmt.Errorf("gan: config: InstanceNoise (%v) and InstanceNoiseSteps (%d) must not be negative", c.InstanceNoise, c.InstanceNoiseSteps)
	}
	if err := checkEMA(c); err != nil {
		return err
	}
	if err := checkDevice(c.Device); err != nil {
		return fmt.Errorf("gan: config: Device %q: %w", c.Device, err)
	}
	if _, err := c.GOptimizer.New(); err != nil {
		return fmt.Errorf("gan: config: GOptimizer: %w", err)
	}
	if _, err := c.DOptimizer.New(); err != nil {
		return fmt.Errorf("gan: config: DOptimizer: %w", err)
	}
	return nil
}

// checkDevice checks the syntax of a Device name; NewTrainer opens it.
func checkDevice(dev string) error { return parseDevice(dev) }
