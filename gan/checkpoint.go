package gan

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/tensorfile"
)

// CheckpointFormat and CheckpointVersion identify training checkpoints. A
// checkpoint is a tensorfile container (checksummed, written atomically) whose
// metadata is JSON holding the step counter, the trainer's configuration,
// the networks' specs, the random generators' states, the data stream's
// position and the optimizers' step counts; its tensors are the networks'
// parameters ("generator/<param>", "discriminator/<param>", as in a model
// file, so a checkpoint also loads as a model) and the optimizers' buffers
// ("optimizer/generator/<buffer>/<i>", "optimizer/discriminator/...").
const (
	CheckpointFormat  = "gogan-checkpoint"
	CheckpointVersion = 1
)

// checkpointInfo is a checkpoint's metadata. It embeds ModelInfo (its JSON
// fields are flattened into the same object) so that ReadModel accepts a
// checkpoint too.
type checkpointInfo struct {
	ModelInfo
	Config    checkpointConfig `json:"config"`
	RNG       []byte           `json:"rng"`
	SampleRNG []byte           `json:"sample_rng"`
	Data      []byte           `json:"data,omitempty"`
	// GOptimizers and DOptimizers hold each network's optimizer state;
	// Generators and Discriminators the specs of the networks after the
	// first (multi-adversary trainers).
	GOptimizers    []optimizerMeta `json:"g_optimizers"`
	DOptimizers    []optimizerMeta `json:"d_optimizers"`
	Generators     []*NetworkSpec  `json:"generators,omitempty"`
	Discriminators []*NetworkSpec  `json:"discriminators,omitempty"`
	// EMA records the generators' weight average, if Config.GeneratorEMA
	// is on (its tensors are "ema/generator/<param>", ...; see ema.go).
	EMA *emaMeta `json:"ema,omitempty"`
}

// checkpointConfig is the part of Config a checkpoint records and checks.
type checkpointConfig struct {
	BatchSize          int             `json:"batch_size"`
	DSteps             int             `json:"d_steps"`
	Loss               string          `json:"loss"`
	Noise              string          `json:"noise"`
	GOptimizer         optimizerRecord `json:"g_optimizer"`
	DOptimizer         optimizerRecord `json:"d_optimizer"`
	Seed               uint64          `json:"seed"`
	Pack               int             `json:"pack"`
	Balance            Balance         `json:"balance"`
	InstanceNoise      float64         `json:"instance_noise,omitempty"`
	InstanceNoiseSteps int             `json:"instance_noise_steps,omitempty"`
	AdversaryWeights   [][]float64     `json:"adversary_weights"`
	FeatureMatching    bool            `json:"feature_matching,omitempty"`
	Penalty            string          `json:"penalty,omitempty"`
	Generators         int             `json:"generators"`
	Discriminators     int             `json:"discriminators"`
}

type optimizerMeta struct {
	Kind    string   `json:"kind"`
	Steps   int      `json:"steps"`
	Buffers []string `json:"buffers,omitempty"`
}

// optimizerRecord is how a checkpoint records an optimizer's settings: the
// kind and the values after optim's defaults are applied, in the JSON
// shape checkpoints have always had (settings added since appear only
// when they differ from optim's defaults, so older checkpoints compare
// equal). Settings of the user's own type are recorded as their JSON.
type optimizerRecord struct {
	Kind     string          `json:"kind"`
	LR       float64         `json:"lr"`
	Beta1    float64         `json:"beta1,omitempty"`
	Beta2    float64         `json:"beta2,omitempty"`
	Momentum float64         `json:"momentum,omitempty"`
	Nesterov bool            `json:"nesterov,omitempty"`
	Alpha    float64         `json:"alpha,omitempty"`
	Eps      float64         `json:"eps,omitempty"`
	Settings json.RawMessage `json:"settings,omitempty"`
}

func recordOf(s optim.Settings) optimizerRecord {
	o, err := s.New()
	if err != nil { // validated at NewTrainer
		return optimizerRecord{Kind: fmt.Sprintf("invalid %T", s), LR: s.LearningRate()}
	}
	switch o := o.(type) {
	case *optim.Adam:
		c := o.Config()
		r := optimizerRecord{Kind: "adam", LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2}
		if c.Eps != optim.DefaultAdamEps {
			r.Eps = c.Eps
		}
		return r
	case *optim.SGD:
		c := o.Config()
		return optimizerRecord{Kind: "sgd", LR: c.LR, Momentum: c.Momentum, Nesterov: c.Nesterov}
	case *optim.RMSProp:
		c := o.Config()
		r := optimizerRecord{Kind: "rmsprop", LR: c.LR}
		if c.Alpha != optim.DefaultRMSPropAlpha {
			r.Alpha = c.Alpha
		}
		if c.Eps != optim.DefaultRMSPropEps {
			r.Eps = c.Eps
		}
		return r
	}
	raw, _ := json.Marshal(s)
	return optimizerRecord{Kind: fmt.Sprintf("%T", s), LR: s.LearningRate(), Settings: raw}
}

func (t *Trainer) checkpointConfig() checkpointConfig {
	c := t.cfg
	r := checkpointConfig{c.BatchSize, c.DSteps, t.loss.Name(), c.Noise.String(), recordOf(c.GOptimizer), recordOf(c.DOptimizer), c.Seed,
		c.Pack, c.Balance, c.InstanceNoise, c.InstanceNoiseSteps, t.weights, c.FeatureMatching, "", len(t.gens), len(t.discs)}
	r.Penalty = t.penaltyString()
	return r
}

// SaveCheckpoint writes everything needed to continue training exactly
// where it stands to path, atomically: the networks' weights and buffers,
// both optimizers' state, the step counter, the random generators' states,
// the configuration and, if batches implements data.Stateful, the
// position in the data (batches may be nil). extra is stored as is for
// the caller (e.g. a command line). A crash while writing leaves the
// previous file at path intact.
func (t *Trainer) SaveCheckpoint(path string, batches data.Batches, extra json.RawMessage) error {
	wrap := func(err error) error { return fmt.Errorf("gan: save checkpoint %s: %w", path, err) }
	if err := t.Sync(); err != nil {
		return wrap(err)
	}
	info := checkpointInfo{
		ModelInfo: ModelInfo{Format: CheckpointFormat, Version: CheckpointVersion, Steps: t.step, Classes: t.classes, Extra: extra},
		Config:    t.checkpointConfig(),
	}
	var err error
	if info.RNG, err = t.rngSrc.MarshalBinary(); err != nil {
		return wrap(err)
	}
	if info.SampleRNG, err = t.sampleSrc.MarshalBinary(); err != nil {
		return wrap(err)
	}
	if st, ok := batches.(data.Stateful); ok {
		if info.Data, err = st.MarshalState(); err != nil {
			return wrap(err)
		}
	}
	f := &tensorfile.File{}
	for _, n := range t.networks() {
		for _, p := range n.ps.All() {
			f.Tensors = append(f.Tensors, tensorfile.Tensor{Name: n.prefix + p.Name, Shape: []int(p.Value.Shape()), Data: p.Value.Data()})
		}
		var spec *NetworkSpec
		if s, ok := n.net.(Specifier); ok {
			sp, err := s.Spec()
			if err != nil {
				return wrap(err)
			}
			spec = &sp
		}
		m := addOptimizerState(f, "optimizer/"+n.prefix, n.opt.State())
		if n.isGen {
			info.GOptimizers = append(info.GOptimizers, m)
			if n.index == 0 {
				info.Generator = spec
			} else {
				info.Generators = append(info.Generators, spec)
			}
		} else {
			info.DOptimizers = append(info.DOptimizers, m)
			if n.index == 0 {
				info.Discriminator = spec
			} else {
				info.Discriminators = append(info.Discriminators, spec)
			}
		}
	}
	info.EMA = t.saveEMA(f)
	if err := checkFinite(f); err != nil {
		return wrap(fmt.Errorf("%w: not saved, %s keeps its last good checkpoint", err, path))
	}
	if f.Meta, err = json.Marshal(info); err != nil {
		return wrap(err)
	}
	if err := tensorfile.WriteFile(path, f); err != nil {
		return wrap(err)
	}
	return nil
}

// network is one trained network, as a checkpoint stores it.
type network struct {
	prefix string
	net    any
	ps     *nn.Params
	opt    optim.Optimizer
	isGen  bool
	index  int
}

// networks lists the generators, then the discriminators, with the name
// prefixes of their tensors: "generator/", "generator1/", ...,
// "discriminator/", "discriminator1/", ...
func (t *Trainer) networks() []network {
	prefix := func(base string, i int) string {
		if i == 0 {
			return base + "/"
		}
		return fmt.Sprintf("%s%d/", base, i)
	}
	var out []network
	for i, g := range t.gens {
		out = append(out, network{prefix("generator", i), g, g.Params(), t.gOpts[i], true, i})
	}
	for j, d := range t.discs {
		out = append(out, network{prefix("discriminator", j), d, d.Params(), t.dOpts[j], false, j})
	}
	return out
}

func addOptimizerState(f *tensorfile.File, prefix string, s optim.State) optimizerMeta {
	m := optimizerMeta{Kind: s.Kind, Steps: s.Steps}
	for _, b := range s.Buffers {
		m.Buffers = append(m.Buffers, b.Name)
		for i, d := range b.Data {
			f.Tensors = append(f.Tensors, tensorfile.Tensor{Name: fmt.Sprintf("%s%s/%d", prefix, b.Name, i), Shape: []int{len(d)}, Data: d})
		}
	}
	return m
}

func readOptimizerState(f *tensorfile.File, prefix string, m optimizerMeta, params []int) (optim.State, error) {
	s := optim.State{Kind: m.Kind, Steps: m.Steps}
	for _, name := range m.Buffers {
		b := optim.Buffer{Name: name}
		for i, size := range params {
			key := fmt.Sprintf("%s%s/%d", prefix, name, i)
			d, err := f.Float64s(key)
			if err != nil {
				return s, err
			}
			if len(d) != size {
				return s, fmt.Errorf("optimizer buffer %q has %d values, its parameter %d", key, len(d), size)
			}
			b.Data = append(b.Data, d)
		}
		if _, extra := f.Get(fmt.Sprintf("%s%s/%d", prefix, name, len(params))); extra {
			return s, fmt.Errorf("optimizer buffer %q has more entries than the network has parameters (%d)", name, len(params))
		}
		s.Buffers = append(s.Buffers, b)
	}
	return s, nil
}

// LoadCheckpoint restores a checkpoint written by SaveCheckpoint into the
// trainer, which must have been built with networks of the same shapes and
// the same configuration (batch size, k, loss, noise, optimizers; the seed
// may differ, the saved random states replace it). If batches implements
// data.Stateful and the checkpoint recorded a data position, the position
// is restored too. It returns the caller's extra metadata.
//
// Everything is checked before anything is changed: on error the trainer,
// its networks and batches are as they were.
func (t *Trainer) LoadCheckpoint(path string, batches data.Batches) (json.RawMessage, error) {
	wrap := func(err error) error { return fmt.Errorf("gan: load checkpoint %s: %w", path, err) }
	f, err := tensorfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gan: load checkpoint: %w", err)
	}
	var info checkpointInfo
	if err := json.Unmarshal(f.Meta, &info); err != nil {
		return nil, wrap(fmt.Errorf("bad metadata: %w", err))
	}
	if info.Format != CheckpointFormat {
		return nil, wrap(fmt.Errorf("not a training checkpoint (format %q)", info.Format))
	}
	if info.Version < 1 || info.Version > CheckpointVersion {
		return nil, wrap(fmt.Errorf("checkpoint version %d is not supported (this library reads 1 to %d)", info.Version, CheckpointVersion))
	}
	want := t.checkpointConfig()
	got := info.Config
	// The seed is replaced by the saved random states, and learning rates
	// may change between runs (Trainer.SetLearningRates).
	got.Seed = want.Seed
	got.GOptimizer.LR, got.DOptimizer.LR = want.GOptimizer.LR, want.DOptimizer.LR
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	if string(wantJSON) != string(gotJSON) {
		return nil, wrap(fmt.Errorf("the checkpoint was made with configuration %s, this trainer has %s", gotJSON, wantJSON))
	}

	// Check everything first.
	if err := checkFinite(f); err != nil {
		return nil, wrap(fmt.Errorf("%w: the file is damaged or was saved from a diverged run; it cannot be resumed", err))
	}
	nets := t.networks()
	metas := append(append([]optimizerMeta(nil), info.GOptimizers...), info.DOptimizers...)
	if len(metas) != len(nets) {
		return nil, wrap(fmt.Errorf("the checkpoint holds %d optimizer states, this trainer has %d networks", len(metas), len(nets)))
	}
	var applies []func()
	states := make([]optim.State, len(nets))
	for k, n := range nets {
		apply, err := planRestore(f, n.prefix, n.ps)
		if err != nil {
			return nil, wrap(err)
		}
		applies = append(applies, apply)
		var sizes []int
		for _, p := range n.ps.Learnables() {
			sizes = append(sizes, p.Value.Shape().TotalSize())
		}
		if states[k], err = readOptimizerState(f, "optimizer/"+n.prefix, metas[k], sizes); err != nil {
			return nil, wrap(err)
		}
		cfg := t.cfg.DOptimizer
		if n.isGen {
			cfg = t.cfg.GOptimizer
		}
		probe, err := newOptimizer(cfg)
		if err != nil {
			return nil, wrap(err)
		}
		if err := probe.SetState(states[k]); err != nil {
			return nil, wrap(err)
		}
	}
	applyEMA, err := t.planEMA(f, info.EMA)
	if err != nil {
		return nil, wrap(err)
	}
	var rngProbe rand.PCG
	if err := rngProbe.UnmarshalBinary(info.RNG); err != nil {
		return nil, wrap(fmt.Errorf("training random state: %w", err))
	}
	if err := rngProbe.UnmarshalBinary(info.SampleRNG); err != nil {
		return nil, wrap(fmt.Errorf("sampling random state: %w", err))
	}

	// Then apply; the data position goes first since it can still refuse.
	if st, ok := batches.(data.Stateful); ok && info.Data != nil {
		if err := st.UnmarshalState(info.Data); err != nil {
			return nil, wrap(err)
		}
	}
	for k, n := range nets {
		applies[k]()
		if err := n.opt.SetState(states[k]); err != nil {
			return nil, wrap(err)
		}
	}
	applyEMA()
	if err := t.rngSrc.UnmarshalBinary(info.RNG); err != nil {
		return nil, wrap(err)
	}
	if err := t.sampleSrc.UnmarshalBinary(info.SampleRNG); err != nil {
		return nil, wrap(err)
	}
	t.step = info.Steps
	if err := t.push(); err != nil {
		return nil, wrap(err)
	}
	return info.Extra, nil
}

// checkFinite returns an error naming the first tensor of f (weights,
// buffers, optimizer states) that holds a NaN or an infinity: a
// checkpoint holding one is no good checkpoint, so it is neither saved
// nor loaded.
func checkFinite(f *tensorfile.File) error {
	for _, t := range f.Tensors {
		i, v := -1, 0.0
		switch d := t.Data.(type) {
		case []float64:
			for j, x := range d {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					i, v = j, x
					break
				}
			}
		case []float32:
			for j, x := range d {
				if y := float64(x); math.IsNaN(y) || math.IsInf(y, 0) {
					i, v = j, y
					break
				}
			}
		}
		if i >= 0 {
			return fmt.Errorf("%w: tensor %q holds %v at index %d", ErrNonFinite, t.Name, v, i)
		}
	}
	return nil
}
