package gan

import (
	"fmt"
	"math/rand/v2"

	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sampler generates samples from a generator alone, with no trainer and
// no discriminator: for instance the generator that models.Load rebuilt
// from a model file (whose weights, when the trainer kept a
// Config.GeneratorEMA, are the average). The generator runs in inference
// mode, on the CPU. A Sampler is not safe for concurrent use.
type Sampler struct {
	gen   Generator
	noise Noise
	rng   *rand.Rand
	n     int // the batch size p was built for
	p     *pass
}

// NewSampler returns a sampler of gen whose noise is drawn from noise (nil
// means NormalNoise, the trainer's default) with a random generator seeded
// by seed.
func NewSampler(gen Generator, noise Noise, seed uint64) (*Sampler, error) {
	if gen == nil {
		return nil, fmt.Errorf("gan: sampler: no generator")
	}
	if gen.LatentDim() < 1 {
		return nil, fmt.Errorf("gan: sampler: the generator's latent size must be positive, got %d", gen.LatentDim())
	}
	if noise == nil {
		noise = NormalNoise{}
	}
	return &Sampler{gen: gen, noise: noise, rng: rand.New(rand.NewPCG(seed, 0x6761_6e2d_7361_6d70))}, nil
}

// Sample returns n samples, of shape [n, SampleShape()...], for fresh
// noise.
func (s *Sampler) Sample(n int) (*tensor.Dense, error) {
	if n < 1 {
		return nil, fmt.Errorf("gan: sampler: want a positive number of samples, got %d", n)
	}
	z := make([]float64, n*s.gen.LatentDim())
	s.noise.Fill(s.rng, z)
	return s.GenerateFrom(z)
}

// GenerateFrom returns G(z) for the latent vectors z, row after row
// (len(z) a positive multiple of LatentDim).
func (s *Sampler) GenerateFrom(z []float64) (*tensor.Dense, error) {
	latent := s.gen.LatentDim()
	if len(z) == 0 || len(z)%latent != 0 {
		return nil, fmt.Errorf("gan: sampler: %d noise values is not a positive multiple of the latent size %d", len(z), latent)
	}
	n := len(z) / latent
	if s.p == nil || s.n != n {
		p := &pass{b: nn.NewBuilder(G.NewGraph(), nn.Inference)}
		zn := p.b.Input("z", s.gen.Params().Dtype(), n, latent)
		p.zs = append(p.zs, zn.Value().(*tensor.Dense))
		out, err := s.gen.Generate(p.b, zn)
		if err != nil {
			return nil, fmt.Errorf("gan: sampler: build generator: %w", err)
		}
		want := append(tensor.Shape{n}, s.gen.SampleShape()...)
		if !out.Shape().Eq(want) {
			return nil, fmt.Errorf("gan: sampler: generator returned shape %v, want %v", out.Shape(), want)
		}
		p.read(out, &p.samples)
		if err := p.finish(nil, nil); err != nil {
			return nil, err
		}
		s.p, s.n = p, n
	}
	copyInto(s.p.zs[0], z)
	defer s.p.vm.Reset()
	if err := s.p.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("gan: sampler: %w", err)
	}
	return s.p.samples.(*tensor.Dense).Clone().(*tensor.Dense), nil
}
