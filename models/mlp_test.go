package models

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestReferenceMLPIsExactlyTheSpec(t *testing.T) {
	gcfg, dcfg := ReferenceMLP()
	gen, err := NewMLPGenerator(gcfg, 1)
	require.NoError(t, err)
	disc, err := NewMLPDiscriminator(dcfg, 1)
	require.NoError(t, err)
	shapes := func(ps *nn.Params) [][]int {
		var out [][]int
		for _, p := range ps.All() {
			out = append(out, []int(p.Value.Shape()))
		}
		return out
	}
	// G 100→256→512→784, D 784→512→256→1, weights and biases in that order.
	require.Equal(t, [][]int{{100, 256}, {256}, {256, 512}, {512}, {512, 784}, {784}}, shapes(gen.Params()))
	require.Equal(t, [][]int{{784, 512}, {512}, {512, 256}, {256}, {256, 1}, {1}}, shapes(disc.Params()))
	require.Equal(t, 100*256+256+256*512+512+512*784+784, gen.Params().Count())
	require.Equal(t, 784*512+512+512*256+256+256+1, disc.Params().Count())
	require.Equal(t, tensor.Float32, gen.Params().Dtype())
	require.Equal(t, "leakyrelu:0.2", gcfg.Activation.String())
	require.Equal(t, "tanh", gcfg.Output.String())

	// Glorot uniform: |w| ≤ sqrt(6/(in+out)); biases zero.
	w, _ := gen.Params().Get("dense0/w")
	a := math.Sqrt(6.0 / (100 + 256))
	for _, v := range w.Float64s() {
		require.LessOrEqual(t, math.Abs(v), a)
	}
	b, _ := gen.Params().Get("dense0/b")
	require.Equal(t, make([]float64, 256), b.Float64s())
}

func TestMLPShapesThroughAGraph(t *testing.T) {
	gcfg, dcfg := ReferenceMLP()
	gen, err := NewMLPGenerator(gcfg, 1)
	require.NoError(t, err)
	disc, err := NewMLPDiscriminator(dcfg, 1)
	require.NoError(t, err)
	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	z := b.Input("z", tensor.Float32, 3, 100)
	x, err := gen.Generate(b, z)
	require.NoError(t, err)
	require.Equal(t, []int{3, 1, 28, 28}, []int(x.Shape()))
	logits, err := disc.Discriminate(b, x)
	require.NoError(t, err)
	require.Equal(t, []int{3}, []int(logits.Shape()))
	vm := G.NewTapeMachine(b.Graph())
	require.NoError(t, vm.RunAll())
	for _, v := range x.Value().Data().([]float32) {
		require.LessOrEqual(t, math.Abs(float64(v)), 1.0) // tanh output
	}

	_, err = gen.Generate(b, b.Input("z", tensor.Float32, 3, 99))
	require.ErrorContains(t, err, "z has shape (3, 99), want [batch 100]")
	_, err = disc.Discriminate(b, b.Input("x", tensor.Float32, 3, 784))
	require.ErrorContains(t, err, "input has shape (3, 784), want [batch [1 28 28]]")
}

func TestMLPConfigValidation(t *testing.T) {
	_, err := NewMLPGenerator(MLPGeneratorConfig{LatentDim: 0, OutputShape: []int{2}}, 1)
	require.ErrorContains(t, err, "latent_dim must be positive")
	_, err = NewMLPGenerator(MLPGeneratorConfig{LatentDim: 2}, 1)
	require.ErrorContains(t, err, "output_shape is empty")
	_, err = NewMLPGenerator(MLPGeneratorConfig{LatentDim: 2, OutputShape: []int{2}, Hidden: []int{0}}, 1)
	require.ErrorContains(t, err, "layer 1 has non-positive width 0")
	_, err = NewMLPGenerator(MLPGeneratorConfig{LatentDim: 2, OutputShape: []int{2}, DType: "int8"}, 1)
	require.ErrorContains(t, err, `unknown dtype "int8"`)
	_, err = NewMLPGenerator(MLPGeneratorConfig{LatentDim: 2, OutputShape: []int{2}, Init: "he"}, 1)
	require.ErrorContains(t, err, `unknown init "he"`)
	_, err = NewMLPDiscriminator(MLPDiscriminatorConfig{InputShape: []int{2}, Dropout: 1}, 1)
	require.ErrorContains(t, err, "dropout 1 outside [0, 1)")
	_, err = NewMLPDiscriminator(MLPDiscriminatorConfig{InputShape: []int{2}, Activation: nn.Activation{Kind: "gelu"}}, 1)
	require.ErrorContains(t, err, `unknown activation "gelu"`)
}

func TestSpecRoundTripRebuildsTheSameNetwork(t *testing.T) {
	gcfg, dcfg := ReferenceMLP()
	gcfg.BatchNorm = true
	dcfg.Dropout = 0.3
	gen, err := NewMLPGenerator(gcfg, 5)
	require.NoError(t, err)
	spec, err := gen.Spec()
	require.NoError(t, err)
	require.Equal(t, KindMLPGenerator, spec.Kind)
	raw, err := json.Marshal(spec)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"activation":{"kind":"leakyrelu","slope":0.2}`)
	g2, err := NewGenerator(spec, 5)
	require.NoError(t, err)
	require.Equal(t, gen.Config(), g2.(*MLPGenerator).Config())
	for i, p := range gen.Params().All() {
		require.Equal(t, p.Float64s(), g2.Params().All()[i].Float64s(), p.Name) // same seed, same weights
	}
	disc, err := NewMLPDiscriminator(dcfg, 5)
	require.NoError(t, err)
	dspec, err := disc.Spec()
	require.NoError(t, err)
	d2, err := NewDiscriminator(dspec, 5)
	require.NoError(t, err)
	require.Equal(t, 0.3, d2.(*MLPDiscriminator).Config().Dropout)

	spec.Kind = "transformer"
	_, err = NewGenerator(spec, 1)
	require.ErrorContains(t, err, `unknown generator kind "transformer"`)
}

func TestMLPDiscriminatorWithMinibatchDiscrimination(t *testing.T) {
	disc, err := NewMLPDiscriminator(MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{8}, MinibatchKernels: 4, DType: "float64"}, 1)
	require.NoError(t, err)
	p, ok := disc.Params().Get("minibatch/T")
	require.True(t, ok)
	require.Equal(t, []int{8, 4 * 5}, []int(p.Value.Shape())) // default kernel dim 5
	w, _ := disc.Params().Get("dense1/w")
	require.Equal(t, []int{8 + 4, 1}, []int(w.Value.Shape()))

	// Sample 0's logit depends on the other samples of its batch, which is
	// the point of the layer; without it, it would not.
	logit0 := func(d *MLPDiscriminator, other float64) float64 {
		b := nn.NewBuilder(G.NewGraph(), nn.Training)
		x := b.Input("x", tensor.Float64, 3, 2)
		copy(x.Value().Data().([]float64), []float64{0.5, -0.5, other, other, 1, 0})
		y, err := d.Discriminate(b, x)
		require.NoError(t, err)
		require.NoError(t, G.NewTapeMachine(b.Graph()).RunAll())
		return y.Value().Data().([]float64)[0]
	}
	require.NotEqual(t, logit0(disc, 0.1), logit0(disc, 0.9))
	plain, err := NewMLPDiscriminator(MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{8}, DType: "float64"}, 1)
	require.NoError(t, err)
	require.Equal(t, logit0(plain, 0.1), logit0(plain, 0.9))

	_, err = NewMLPDiscriminator(MLPDiscriminatorConfig{InputShape: []int{2}, MinibatchKernels: -1}, 1)
	require.ErrorContains(t, err, "must not be negative")
}
