package models

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyCondDisc is a float64 conditional discriminator of 3 classes on
// 2-D points over an MLP with one hidden layer of 3 LeakyReLU(0.2) units.
func tinyCondDisc(t *testing.T, scheme string) *ConditionalDiscriminator {
	in := []int{2}
	if scheme == SchemeConcat {
		in = []int{5}
	}
	raw, err := json.Marshal(MLPDiscriminatorConfig{InputShape: in, Hidden: []int{3}, Activation: nn.LeakyReLU(0.2), DType: "float64"})
	require.NoError(t, err)
	d, err := NewConditionalDiscriminator(ConditionalDiscriminatorConfig{Classes: 3, Scheme: scheme, InputShape: []int{2},
		Base: gan.NetworkSpec{Kind: KindMLPDiscriminator, Config: raw}}, 4)
	require.NoError(t, err)
	// Non-zero biases, so that a bias dropped would show.
	for _, p := range d.Params().Learnables() {
		if len(p.Value.Shape()) == 1 {
			v := p.Float64s()
			for i := range v {
				v[i] = 0.1*float64(i) - 0.05
			}
			require.NoError(t, p.SetFloat64s(v))
		}
	}
	return d
}

// TestConditionalDiscriminatorsByHand checks the logits of the three
// schemes (and ACGAN's class logits) against a hand computation from the
// weights: concat, D([x, onehot(c)]); projection, ψ(φ(x)) + ⟨E[c], φ(x)⟩;
// ACGAN, ψ(φ(x)) and φ(x)·Wc + bc; φ(x) = LeakyReLU(x·W0 + b0) and
// ψ(φ) = φ·W1 + b1.
func TestConditionalDiscriminatorsByHand(t *testing.T) {
	xs := [][]float64{{0.5, -1.2}, {2, 0.3}}
	classes := []int{2, 0}
	for _, scheme := range Schemes() {
		d := tinyCondDisc(t, scheme)
		b := nn.NewBuilder(G.NewGraph(), nn.Inference)
		x := b.Input("x", tensor.Float64, 2, 2)
		copy(x.Value().Data().([]float64), []float64{xs[0][0], xs[0][1], xs[1][0], xs[1][1]})
		y := b.Input("y", tensor.Float64, 2, 3)
		y.Value().Data().([]float64)[2], y.Value().Data().([]float64)[3] = 1, 1
		logits, cls, err := d.DiscriminateConditional(b, x, y)
		require.NoError(t, err)
		vm := G.NewTapeMachine(b.Graph())
		require.NoError(t, vm.RunAll())
		get := func(name string) []float64 {
			p, ok := d.Params().Get(name)
			require.True(t, ok, name)
			return p.Float64s()
		}
		w0, b0, w1, b1 := get("dense0/w"), get("dense0/b"), get("dense1/w"), get("dense1/b")
		for i, xi := range xs {
			in := xi
			if scheme == SchemeConcat {
				in = []float64{xi[0], xi[1], 0, 0, 0}
				in[2+classes[i]] = 1
			}
			phi := make([]float64, 3)
			for h := range phi {
				s := b0[h]
				for k, v := range in {
					s += v * w0[k*3+h]
				}
				if s < 0 {
					s *= 0.2
				}
				phi[h] = s
			}
			want := b1[0]
			for h, v := range phi {
				want += v * w1[h]
			}
			switch scheme {
			case SchemeProjection:
				e := get("cond/embed") // [3 classes, 3 features]
				for h, v := range phi {
					want += e[classes[i]*3+h] * v
				}
			case SchemeACGAN:
				wc, bc := get("cond/class/w"), get("cond/class/b")
				for c := 0; c < 3; c++ {
					s := bc[c]
					for h, v := range phi {
						s += v * wc[h*3+c]
					}
					require.InDelta(t, s, cls.Value().Data().([]float64)[i*3+c], 1e-12, "acgan class logit %d of sample %d", c, i)
				}
			}
			require.InDelta(t, want, logits.Value().Data().([]float64)[i], 1e-12, "%s logit of sample %d", scheme, i)
		}
		if scheme != SchemeACGAN {
			require.Nil(t, cls)
		}
		vm.Close()
	}
}

// TestDCGANFeaturesGiveTheSameLogits checks that DiscriminateFeatures is
// Discriminate, for both DCGAN layouts, and that its logits are the
// dense head of its features.
func TestDCGANFeaturesGiveTheSameLogits(t *testing.T) {
	for _, size := range []int{28, 8} {
		d, err := NewDCGANDiscriminator(DCGANDiscriminatorConfig{Width: 4, ImageSize: size, Channels: 1, BatchNorm: true, DType: "float64"}, 2)
		require.NoError(t, err)
		b := nn.NewBuilder(G.NewGraph(), nn.Inference)
		x := b.Input("x", tensor.Float64, 3, 1, size, size)
		for i, v := range x.Value().Data().([]float64) {
			x.Value().Data().([]float64)[i] = v + math.Sin(float64(i))
		}
		plain, err := d.Discriminate(b, x)
		require.NoError(t, err)
		logits, feats, err := d.DiscriminateFeatures(b, x)
		require.NoError(t, err)
		f, err := featureSize(d)
		require.NoError(t, err)
		require.Equal(t, tensor.Shape{3, f}, feats.Shape())
		vm := G.NewTapeMachine(b.Graph())
		require.NoError(t, vm.RunAll())
		require.InDeltaSlice(t, plain.Value().Data(), logits.Value().Data(), 1e-12, "size %d", size)
		vm.Close()
	}
}

// TestConditionalSpecsRoundTrip saves reference conditional networks and
// loads them back through their specs.
func TestConditionalSpecsRoundTrip(t *testing.T) {
	for _, ref := range []func(string, int) (ConditionalGeneratorConfig, ConditionalDiscriminatorConfig, error){ReferenceConditionalMLP, ReferenceConditionalDCGAN} {
		for _, scheme := range Schemes() {
			gc, dc, err := ref(scheme, 10)
			require.NoError(t, err)
			g, err := NewConditionalGenerator(gc, 1)
			require.NoError(t, err)
			d, err := NewConditionalDiscriminator(dc, 1)
			require.NoError(t, err)
			require.Equal(t, 100, g.LatentDim())
			require.Equal(t, []int{1, 28, 28}, g.SampleShape())
			require.Equal(t, []int{1, 28, 28}, d.InputShape())
			path := filepath.Join(t.TempDir(), "m.gogan")
			require.NoError(t, gan.SaveModel(path, g, d, gan.ModelInfo{}))
			g2, d2, info, err := Load(path)
			require.NoError(t, err, "%s", scheme)
			require.Equal(t, 10, info.Classes)
			require.Equal(t, 10, g2.(gan.ConditionalGenerator).NumClasses())
			require.Equal(t, scheme, d2.(*ConditionalDiscriminator).Config().Scheme)
			for i, p := range g.Params().All() {
				require.Equal(t, p.Float64s(), g2.Params().All()[i].Float64s())
			}
		}
	}
	_, _, err := ReferenceConditionalMLP("film", 10)
	require.ErrorContains(t, err, `unknown conditioning scheme "film"`)
	raw, _ := json.Marshal(MLPDiscriminatorConfig{InputShape: []int{3}, Hidden: []int{2}})
	_, err = NewConditionalDiscriminator(ConditionalDiscriminatorConfig{Classes: 2, Scheme: SchemeConcat, InputShape: []int{2},
		Base: gan.NetworkSpec{Kind: KindMLPDiscriminator, Config: raw}}, 1)
	require.ErrorContains(t, err, "concat: the base takes [3]; want [4]")
}
