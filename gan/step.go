package gan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gogan/gogan/data"
	"gorgonia.org/tensor"
)

// ErrNonFinite is wrapped by the error of a step whose loss or gradient is
// NaN or infinite (the step's update is not applied).
var ErrNonFinite = errors.New("non-finite value")

// Step performs one training step, Algorithm 1 of Goodfellow et al.: k
// discriminator updates, each on a fresh real batch from batches and a
// fresh generated batch, then one generator update on fresh noise. Under
// the "losing" balance schedule the network that is ahead skips its
// updates (see Balance).
//
// A non-finite loss or gradient stops the step with an error naming the
// step and the statistic; the update that produced it is not applied.
func (t *Trainer) Step(batches data.Batches) (Stats, error) {
	return t.StepContext(context.Background(), batches)
}

// ErrPartialStep is wrapped, with ctx's error, by the error of a step
// that StepContext abandoned between two of its discriminator updates:
// the updates done are applied but the step is not counted, so the
// trainer is in no step's state. Do not save it as a checkpoint; reload
// the last one to go on exactly.
var ErrPartialStep = errors.New("gan: step abandoned part way")

// StepContext is Step, also checking ctx between the step's k
// discriminator updates, so that a step with a large k stops soon after
// ctx is done: it then returns an error wrapping ErrPartialStep and ctx's
// error (see ErrPartialStep). A step that is not abandoned is exactly
// Step's. With k = 1 there is nothing to check between.
func (t *Trainer) StepContext(ctx context.Context, batches data.Batches) (Stats, error) {
	if err := t.checkBatches(batches); err != nil {
		return Stats{}, err
	}
	st := Stats{Step: t.step + 1}
	for i := 0; i < t.cfg.DSteps; i++ {
		if i > 0 {
			if err := ctx.Err(); err != nil {
				return st, fmt.Errorf("%w: step %d stopped after %d of %d discriminator updates: %w",
					ErrPartialStep, st.Step, i, t.cfg.DSteps, err)
			}
		}
		t.chooseDiscriminatorPass(i)
		if err := t.updateDiscriminator(batches, &st, i == 0); err != nil {
			return st, err
		}
	}
	if err := t.updateGenerator(batches, &st); err != nil {
		return st, err
	}
	t.step++
	return st, nil
}

// updateDiscriminator is one discriminator update: a real batch, fresh
// noise, a run of the discriminator pass, its statistics (the diversity
// on the first of the step's k updates), then the update unless the
// balance schedule skips it, and the Wasserstein weight clipping.
func (t *Trainer) updateDiscriminator(batches data.Batches, st *Stats, first bool) error {
	k := float64(t.cfg.DSteps)
	if err := t.feed(t.d, batches); err != nil {
		return err
	}
	if err := t.run(t.d); err != nil {
		return fmt.Errorf("gan: step %d: discriminator pass: %w", st.Step, err)
	}
	dReal, dFake, v := t.passStats()
	st.DReal += dReal / k
	st.DFake += dFake / k
	st.V += v / k
	t.gap = dReal - dFake
	if first {
		st.Diversity = t.diversity()
	}
	loss, err := t.check(t.d, "discriminator")
	if err != nil {
		return err
	}
	st.DLoss += loss / k
	st.DGradNorm += t.d.gradNorm / k
	skip := t.skips(true)
	if err := t.apply(t.d, "discriminator", t.dOpts, t.dParams, skip); err != nil {
		return err
	}
	if skip {
		st.DSkipped++
		return nil
	}
	st.DUpdates++
	if t.clip > 0 {
		return t.clipD()
	}
	return nil
}

// updateGenerator is the generator update: fresh noise (and, for feature
// matching, a real batch), a run of the generator pass, then the update
// unless the balance schedule skips it.
func (t *Trainer) updateGenerator(batches data.Batches, st *Stats) error {
	if err := t.feed(t.g, batches); err != nil {
		return err
	}
	if err := t.run(t.g); err != nil {
		return fmt.Errorf("gan: step %d: generator pass: %w", st.Step, err)
	}
	loss, err := t.check(t.g, "generator")
	if err != nil {
		return err
	}
	st.GLoss = loss
	st.GGradNorm = t.g.gradNorm
	skip := t.skips(false)
	if err := t.apply(t.g, "generator", t.gOpts, t.gParams, skip); err != nil {
		return err
	}
	if skip {
		st.GSkipped++
	} else {
		st.GUpdates++
		for i := range t.gens {
			t.updateEMA(i)
		}
	}
	return nil
}

// skips reports whether the balance schedule skips the discriminator's
// (disc) or the generator's update: under "losing", the network ahead by
// more than the margin in D(x) − D(G(z)) of the last discriminator pass
// sits out. With margin 0 a gap of exactly 0 counts G as ahead, so that
// exactly one of the two is updated.
func (t *Trainer) skips(disc bool) bool {
	if t.cfg.Balance.Kind != BalanceLosing {
		return false
	}
	m := t.cfg.Balance.Margin
	if disc {
		return t.gap > m
	}
	if m == 0 {
		return t.gap <= 0
	}
	return t.gap < -m
}

// checkBatches checks that batches' samples fit the generator's.
func (t *Trainer) checkBatches(batches data.Batches) error {
	sampleShape := t.gens[0].SampleShape()
	if got, want := data.Size(batches.Shape()), data.Size(sampleShape); got != want {
		return fmt.Errorf("gan: data samples have shape %v (%d values) but the generator makes %v (%d values)",
			batches.Shape(), got, sampleShape, want)
	}
	if t.classes > 0 {
		return t.checkLabeled(batches)
	}
	return nil
}

// feed fills p's inputs for a run: the next real batch, if p takes one
// (the discriminator pass; the generator pass under feature matching),
// then fresh noise and instance noise.
func (t *Trainer) feed(p *pass, batches data.Batches) error {
	if p.realY != nil {
		if err := t.fillRealLabeled(batches, p.real, p.realY); err != nil {
			return err
		}
	} else if p.real != nil {
		if err := t.fillReal(batches, p.real); err != nil {
			return err
		}
	}
	t.fillInputs(p)
	return nil
}

// fillNoise draws a batch of noise into dst.
func (t *Trainer) fillNoise(rng *rand.Rand, dst *tensor.Dense) {
	t.cfg.Noise.Fill(rng, t.zBuf)
	copyInto(dst, t.zBuf)
}

// fillInputs draws fresh noise for every generator and instance noise for
// every discriminator input of p.
func (t *Trainer) fillInputs(p *pass) {
	for _, z := range p.zs {
		t.fillNoise(t.rng, z)
	}
	t.fillEpsilon(p)
	t.fillLabels(t.rng, p)
	if len(p.noise) == 0 {
		return
	}
	std := t.cfg.InstanceNoise
	if n := t.cfg.InstanceNoiseSteps; n > 0 {
		std *= math.Max(0, 1-float64(t.step)/float64(n))
	}
	for _, n := range p.noise {
		setEach(n, func(int) float64 { return std * t.rng.NormFloat64() })
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
