package gan

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/tensorfile"
	"gorgonia.org/tensor"
)

// The exponential moving average of the generators' weights
// (Config.GeneratorEMA; Yazıcı et al. 2019, Karras et al. 2018).
//
// The trainer keeps, per generator, a shadow copy of its learnable
// parameters, θ_ema, set to the initial weights at NewTrainer and moved
// after every applied generator update (not after a skipped one) by
// θ_ema ← β·θ_ema + (1−β)·θ, in the parameters' dtype. Buffers (batch norm
// running statistics) are not averaged: sampling with the average uses the
// live running statistics, as torchgan and StyleGAN's copy of buffers do.
// Sampling (Sample, GenerateFrom, GenerateWith) and Save use θ_ema; the
// networks' Params hold the live weights that training updates, and
// checkpoints store both (the average as "ema/generator/<param>").

// emaState is the average of one generator's learnables, in the order of
// Params.Learnables.
type emaState []*tensor.Dense

// emaPrefix names the tensors of generator i's average in a checkpoint.
func emaPrefix(i int) string {
	if i == 0 {
		return "ema/generator/"
	}
	return fmt.Sprintf("ema/generator%d/", i)
}

// initEMA sets up the averages, each a copy of its generator's weights;
// nothing when GeneratorEMA is 0.
func (t *Trainer) initEMA() {
	if t.cfg.GeneratorEMA == 0 {
		return
	}
	t.ema = make([]emaState, len(t.gens))
	for i := range t.gens {
		for _, w := range t.gParams[i] {
			t.ema[i] = append(t.ema[i], w.Clone().(*tensor.Dense))
		}
	}
}

// updateEMA folds generator i's current weights into its average.
func (t *Trainer) updateEMA(i int) {
	if t.ema == nil {
		return
	}
	beta := t.cfg.GeneratorEMA
	for k, w := range t.gParams[i] {
		switch e := t.ema[i][k].Data().(type) {
		case []float32:
			b, c := float32(beta), float32(1-beta)
			for j, v := range w.Data().([]float32) {
				e[j] = b*e[j] + c*v
			}
		case []float64:
			for j, v := range w.Data().([]float64) {
				e[j] = beta*e[j] + (1-beta)*v
			}
		}
	}
}

// swapEMA exchanges generator i's live weights and their average, in
// place; a second call swaps them back.
func (t *Trainer) swapEMA(i int) {
	for k, w := range t.gParams[i] {
		switch e := t.ema[i][k].Data().(type) {
		case []float32:
			d := w.Data().([]float32)
			for j := range d {
				d[j], e[j] = e[j], d[j]
			}
		case []float64:
			d := w.Data().([]float64)
			for j := range d {
				d[j], e[j] = e[j], d[j]
			}
		}
	}
}

// withEMA runs f with generator i's weights replaced by their average
// when GeneratorEMA is on (and as they are otherwise), restoring the
// live weights afterwards.
func (t *Trainer) withEMA(i int, f func() error) error {
	if t.ema == nil {
		return f()
	}
	t.swapEMA(i)
	defer t.swapEMA(i)
	return f()
}

// GeneratorEMAWeights returns a copy of generator i's averaged learnable
// weights (Config.GeneratorEMA), as float64, in the order of
// Params().Learnables(); nil when the average is off or there is no
// generator i.
func (t *Trainer) GeneratorEMAWeights(i int) [][]float64 {
	if t.ema == nil || i < 0 || i >= len(t.ema) {
		return nil
	}
	out := make([][]float64, len(t.ema[i]))
	for k, e := range t.ema[i] {
		switch d := e.Data().(type) {
		case []float32:
			out[k] = make([]float64, len(d))
			for j, v := range d {
				out[k][j] = float64(v)
			}
		case []float64:
			out[k] = append([]float64(nil), d...)
		}
	}
	return out
}

// checkEMA checks Config.GeneratorEMA.
func checkEMA(c Config) error {
	b := c.GeneratorEMA
	if math.IsNaN(b) || b < 0 || b >= 1 {
		return fmt.Errorf("gan: config: GeneratorEMA must be 0 (off) or lie in (0, 1), got %v", b)
	}
	if b > 0 && c.Device != "" && c.Device != "cpu" {
		return fmt.Errorf("gan: config: GeneratorEMA is not supported on Device %q (the average is kept on the host; train on the cpu or set GeneratorEMA to 0)", c.Device)
	}
	return nil
}

// emaMeta is what a checkpoint records of the average: β (the tensors are
// stored under emaPrefix).
type emaMeta struct {
	Beta float64 `json:"beta"`
}

// saveEMA adds the averages to a checkpoint being written and returns
// their metadata (nil when the average is off).
func (t *Trainer) saveEMA(f *tensorfile.File) *emaMeta {
	if t.ema == nil {
		return nil
	}
	for i := range t.gens {
		for k, p := range t.gens[i].Params().Learnables() {
			e := t.ema[i][k]
			f.Tensors = append(f.Tensors, tensorfile.Tensor{Name: emaPrefix(i) + p.Name, Shape: []int(e.Shape()), Data: e.Data()})
		}
	}
	return &emaMeta{Beta: t.cfg.GeneratorEMA}
}

// planEMA checks a checkpoint's averages against the trainer's and
// returns the function that restores them.
func (t *Trainer) planEMA(f *tensorfile.File, m *emaMeta) (func(), error) {
	switch {
	case t.ema == nil && m == nil:
		return func() {}, nil
	case t.ema == nil:
		return nil, fmt.Errorf("the checkpoint holds a generator EMA (β %v) but this trainer's GeneratorEMA is 0", m.Beta)
	case m == nil:
		return nil, fmt.Errorf("the checkpoint holds no generator EMA but this trainer's GeneratorEMA is %v", t.cfg.GeneratorEMA)
	case m.Beta != t.cfg.GeneratorEMA:
		return nil, fmt.Errorf("the checkpoint's generator EMA has β %v, this trainer's GeneratorEMA is %v", m.Beta, t.cfg.GeneratorEMA)
	}
	var applies []func()
	for i := range t.gens {
		for k, p := range t.gens[i].Params().Learnables() {
			name := emaPrefix(i) + p.Name
			e := t.ema[i][k]
			src, ok := f.Get(name)
			if !ok {
				return nil, fmt.Errorf("the checkpoint has no generator EMA tensor %q", name)
			}
			if !equalInts(src.Shape, e.Shape()) || !sameDtype(src.Data, e.Data()) {
				return nil, fmt.Errorf("generator EMA tensor %q is %T of shape %v in the file, %T of shape %v in the trainer",
					name, src.Data, src.Shape, e.Data(), []int(e.Shape()))
			}
			applies = append(applies, func() { copyElems(e, 0, src.Data, 0, e.Shape().TotalSize()) })
		}
	}
	return func() {
		for _, a := range applies {
			a()
		}
	}, nil
}
