package gan

import (
	"fmt"

	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Noise returns n latent vectors drawn from the trainer's prior with the
// sampling random generator, row after row ([n·LatentDim] values). Pass
// them to GenerateFrom to make the same samples again, e.g. a fixed grid
// that shows training progress.
func (t *Trainer) Noise(n int) []float64 {
	z := make([]float64, n*t.gens[0].LatentDim())
	t.cfg.Noise.Fill(t.sampleRNG, z)
	return z
}

// Sample returns n generated samples as a tensor of shape
// [n, SampleShape()...], with the generator in inference mode (batch norm
// uses its running statistics), so a sample depends only on its noise and
// the weights, not on the last training batch (a conditional trainer also
// draws each sample's class uniformly). Sampling draws from its own
// random generator and never changes the course of training. With several
// generators each sample comes from one chosen uniformly at random.
func (t *Trainer) Sample(n int) (*tensor.Dense, error) {
	z := t.Noise(n)
	if t.classes > 0 && n > 0 { // a conditional trainer draws the classes uniformly too
		classes := make([]int, n)
		for i := range classes {
			classes[i] = t.sampleRNG.IntN(t.classes)
		}
		return t.GenerateClasses(z, classes)
	}
	if len(t.gens) == 1 {
		return t.GenerateFrom(z)
	}
	latent := t.gens[0].LatentDim()
	size := tensor.Shape(t.gens[0].SampleShape()).TotalSize()
	result := tensor.New(tensor.Of(t.dtype), tensor.WithShape(append([]int{n}, t.gens[0].SampleShape()...)...))
	rows := make([][]int, len(t.gens))
	for k := 0; k < n; k++ {
		i := t.sampleRNG.IntN(len(t.gens))
		rows[i] = append(rows[i], k)
	}
	for i, ks := range rows {
		if len(ks) == 0 {
			continue
		}
		zi := make([]float64, 0, len(ks)*latent)
		for _, k := range ks {
			zi = append(zi, z[k*latent:(k+1)*latent]...)
		}
		out, err := t.GenerateWith(i, zi)
		if err != nil {
			return nil, err
		}
		for r, k := range ks {
			copyElems(result, k*size, out.Data(), r*size, size)
		}
	}
	return result, nil
}

// GenerateFrom returns G(z) for the latent vectors z (row after row,
// len(z) a multiple of LatentDim), in inference mode, with the (first)
// generator (with Config.GeneratorEMA, with its averaged weights). A
// conditional trainer makes sample i of class i mod K (GenerateClasses
// takes the classes).
func (t *Trainer) GenerateFrom(z []float64) (*tensor.Dense, error) { return t.GenerateWith(0, z) }

// GenerateWith is GenerateFrom with generator i of a multi-adversary
// trainer.
func (t *Trainer) GenerateWith(i int, z []float64) (*tensor.Dense, error) {
	return t.generateWith(i, z, nil)
}

// generateWith is GenerateWith, for a conditional trainer with the given
// classes, one per latent vector (nil: sample k is of class k mod K).
func (t *Trainer) generateWith(i int, z []float64, classes []int) (*tensor.Dense, error) {
	if i < 0 || i >= len(t.gens) {
		return nil, fmt.Errorf("gan: generate: no generator %d (the trainer has %d)", i, len(t.gens))
	}
	gen := t.gens[i]
	latent := gen.LatentDim()
	if len(z) == 0 || len(z)%latent != 0 {
		return nil, fmt.Errorf("gan: generate: %d noise values is not a positive multiple of the latent size %d", len(z), latent)
	}
	n := len(z) / latent
	if t.classes > 0 && classes == nil {
		classes = t.defaultClasses(n)
	}
	if t.samplers[i] == nil {
		p := &pass{b: nn.NewBuilder(G.NewGraph(), nn.Inference)}
		out, err := t.generate(p, gen)
		if err != nil {
			return nil, err
		}
		p.read(out, &p.samples)
		if err := p.finish(nil, nil); err != nil {
			return nil, err
		}
		t.samplers[i] = p
	}
	p := t.samplers[i]
	var result *tensor.Dense
	err := t.withEMA(i, func() error {
		var err error
		result, err = t.generateChunks(p, gen, z, classes)
		return err
	})
	return result, err
}

// generateChunks runs the sampling pass p of gen over z, a batch at a
// time; a conditional trainer's samples are of the given classes.
func (t *Trainer) generateChunks(p *pass, gen Generator, z []float64, classes []int) (*tensor.Dense, error) {
	latent := gen.LatentDim()
	n := len(z) / latent
	batch := t.cfg.BatchSize
	sampleSize := tensor.Shape(gen.SampleShape()).TotalSize()
	result := tensor.New(tensor.Of(t.dtype), tensor.WithShape(append([]int{n}, gen.SampleShape()...)...))
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		chunk := z[start*latent : end*latent]
		buf := t.zBuf[:batch*latent]
		copy(buf, chunk)
		clear(buf[len(chunk):]) // pad the last chunk; inference mode makes rows independent
		copyInto(p.zs[0], buf)
		if t.classes > 0 {
			oneHot(p.ys[0], classes[start:end], t.classes)
		}
		if err := t.run(p); err != nil {
			return nil, fmt.Errorf("gan: generate: %w", err)
		}
		copyElems(result, start*sampleSize, p.samples.Data(), 0, (end-start)*sampleSize)
	}
	return result, nil
}
