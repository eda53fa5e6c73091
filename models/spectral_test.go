package models

import (
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// logitsOf runs disc on x in a graph of the given mode, with BeforeRun
// (the power iteration in Training mode), and returns its logits.
func logitsOf(t *testing.T, disc gan.Discriminator, x []float64, mode nn.Mode) []float64 {
	t.Helper()
	b := nn.NewBuilder(G.NewGraph(), mode)
	shape := append([]int{len(x) / size(disc.InputShape())}, disc.InputShape()...)
	in := b.Input("x", tensor.Float64, shape...)
	copy(in.Value().Data().([]float64), x)
	y, err := disc.Discriminate(b, in)
	require.NoError(t, err)
	var out G.Value
	G.Read(y, &out)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	b.BeforeRun(rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, vm.RunAll())
	return append([]float64(nil), out.Data().([]float64)...)
}

// divideBySigma sets every weight of plain to the same weight of sn's
// network divided by its current σ estimate.
func divideBySigma(t *testing.T, set nn.SpectralNormSet, plain *nn.Params) {
	t.Helper()
	require.NotEmpty(t, set)
	for w, s := range set {
		p, ok := plain.Get(w.Name)
		require.True(t, ok, w.Name)
		vals := w.Float64s()
		sigma := s.Sigma()
		for i := range vals {
			vals[i] /= sigma
		}
		require.NoError(t, p.SetFloat64s(vals))
	}
}

// A spectrally normalised discriminator is the plain one with every weight
// divided by σ (after the Training run's power iteration); its learnable
// weights are drawn as without SN; the vectors are buffers; the spec
// rebuilds it.
func TestSpectralNormDiscriminators(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	mlpCfg := MLPDiscriminatorConfig{InputShape: []int{6}, Hidden: []int{5, 4}, Activation: nn.LeakyReLU(0.2), DType: "float64"}
	dcCfg := DCGANDiscriminatorConfig{Width: 2, ImageSize: 8, Channels: 1, BatchNorm: false, DType: "float64"}
	dc28 := DCGANDiscriminatorConfig{Width: 2, ImageSize: 28, Channels: 1, BatchNorm: true, DType: "float64"}
	type pair struct {
		plain, sn gan.Discriminator
		set       nn.SpectralNormSet
		nWeights  int
	}
	mk := func() []pair {
		var out []pair
		p, err := NewMLPDiscriminator(mlpCfg, 7)
		require.NoError(t, err)
		c := mlpCfg
		c.SpectralNorm = true
		s, err := NewMLPDiscriminator(c, 7)
		require.NoError(t, err)
		out = append(out, pair{p, s, s.net.sn, 3})
		for k, cfg := range []DCGANDiscriminatorConfig{dcCfg, dc28} {
			p, err := NewDCGANDiscriminator(cfg, 7)
			require.NoError(t, err)
			cfg.SpectralNorm = true
			s, err := NewDCGANDiscriminator(cfg, 7)
			require.NoError(t, err)
			out = append(out, pair{p, s, s.sn, 2 + k}) // conv0 and the output conv; conv0, conv1 and the dense output
		}
		return out
	}
	for _, pr := range mk() {
		require.Len(t, pr.set, pr.nWeights)
		// Same learnables, two more buffers per weight.
		require.Equal(t, len(pr.plain.Params().Learnables()), len(pr.sn.Params().Learnables()))
		for i, p := range pr.plain.Params().Learnables() {
			require.Equal(t, p.Float64s(), pr.sn.Params().Learnables()[i].Float64s(), p.Name)
		}
		require.Equal(t, len(pr.plain.Params().All())+2*pr.nWeights, len(pr.sn.Params().All()))
		for w, s := range pr.set {
			_, ok := pr.sn.Params().Get(w.Name + "/sn_u")
			require.True(t, ok)
			require.Equal(t, w.Value.Shape()[0], s.U.Value.Shape()[0])
			require.Equal(t, w.Value.Shape().TotalSize()/w.Value.Shape()[0], s.V.Value.Shape()[0])
		}

		x := make([]float64, 3*size(pr.sn.InputShape()))
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		got := logitsOf(t, pr.sn, x, nn.Training) // iterates once, then normalises
		divideBySigma(t, pr.set, pr.plain.Params())
		want := logitsOf(t, pr.plain, x, nn.Training)
		require.InDeltaSlice(t, want, got, 1e-12)
		require.NotEqual(t, got, logitsOf(t, pr.sn, x, nn.Training), "a second run iterates again")

		spec, err := pr.sn.(gan.Specifier).Spec()
		require.NoError(t, err)
		require.Contains(t, string(spec.Config), `"spectral_norm":true`)
		re, err := NewDiscriminator(spec, 7)
		require.NoError(t, err)
		require.Equal(t, len(pr.sn.Params().All()), len(re.Params().All()))
	}
}
