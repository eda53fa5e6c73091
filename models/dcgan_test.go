package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const dcganDigits = "../../shared/data/mnist10k"

func newDCGANPair(t testing.TB, gcfg DCGANGeneratorConfig, dcfg DCGANDiscriminatorConfig, seed uint64) (*DCGANGenerator, *DCGANDiscriminator) {
	t.Helper()
	gen, err := NewDCGANGenerator(gcfg, seed)
	require.NoError(t, err)
	disc, err := NewDCGANDiscriminator(dcfg, seed)
	require.NoError(t, err)
	return gen, disc
}

func newRefPair(t testing.TB, ref func() (DCGANGeneratorConfig, DCGANDiscriminatorConfig), seed uint64) (*DCGANGenerator, *DCGANDiscriminator) {
	t.Helper()
	gcfg, dcfg := ref()
	return newDCGANPair(t, gcfg, dcfg, seed)
}

func dcganShapes(ps *nn.Params) map[string][]int {
	out := map[string][]int{}
	for _, p := range ps.All() {
		out[p.Name] = []int(p.Value.Shape())
	}
	return out
}

// TestReferenceDCGANIsExactlyTheSpec checks the 28×28 reference layer by
// layer: parameter shapes, counts computed by hand, and which layers carry
// biases.
func TestReferenceDCGANIsExactlyTheSpec(t *testing.T) {
	gcfg, dcfg := ReferenceDCGAN()
	gen, disc := newDCGANPair(t, gcfg, dcfg, 1)
	require.Equal(t, map[string][]int{
		"stem/w": {100, 128 * 7 * 7}, "stem/b": {6272}, // dense 100 → 128·7·7
		"stem/bn/scale": {128}, "stem/bn/shift": {128}, "stem/bn/mean": {128}, "stem/bn/var": {128},
		"convt1/w":        {128, 64, 4, 4}, // convT 128→64, no bias (BN follows)
		"convt1/bn/scale": {64}, "convt1/bn/shift": {64}, "convt1/bn/mean": {64}, "convt1/bn/var": {64},
		"out/w": {64, 1, 4, 4}, "out/b": {1}, // convT 64→1 + bias, tanh
	}, dcganShapes(gen.Params()))
	require.Equal(t, map[string][]int{
		"conv0/w": {64, 1, 4, 4}, "conv0/b": {64}, // conv 1→64 + bias (no BN)
		"conv1/w":        {128, 64, 4, 4}, // conv 64→128, no bias (BN follows)
		"conv1/bn/scale": {128}, "conv1/bn/shift": {128}, "conv1/bn/mean": {128}, "conv1/bn/var": {128},
		"out/w": {6272, 1}, "out/b": {1}, // dense 128·7·7 → 1
	}, dcganShapes(disc.Params()))

	wantG := 100*6272 + 6272 + // dense stem
		2*128 + // BN scale and shift
		128*64*16 + 2*64 + // convT 128→64 and its BN
		64*1*16 + 1 // convT 64→1 and its bias
	wantD := 64*1*16 + 64 + // conv 1→64 and its bias
		64*128*16 + 2*128 + // conv 64→128 and its BN
		6272 + 1 // dense 6272→1
	require.Equal(t, wantG, gen.Params().Count())
	require.Equal(t, wantD, disc.Params().Count())
	require.Equal(t, 765_953, wantG)
	require.Equal(t, 138_689, wantD)
	require.Equal(t, tensor.Float32, gen.Params().Dtype())
	require.Equal(t, []int{1, 28, 28}, gen.SampleShape())
	require.Equal(t, []int{1, 28, 28}, disc.InputShape())
	require.Equal(t, 100, gen.LatentDim())
}

func TestReferenceDCGAN64Layers(t *testing.T) {
	gcfg, dcfg := ReferenceDCGAN64()
	gen, disc := newDCGANPair(t, gcfg, dcfg, 1)
	gs, ds := dcganShapes(gen.Params()), dcganShapes(disc.Params())
	require.Equal(t, []int{100, 512, 4, 4}, gs["stem/w"])
	require.Equal(t, []int{512, 256, 4, 4}, gs["convt1/w"])
	require.Equal(t, []int{256, 128, 4, 4}, gs["convt2/w"])
	require.Equal(t, []int{128, 64, 4, 4}, gs["convt3/w"])
	require.Equal(t, []int{64, 3, 4, 4}, gs["out/w"])
	require.Equal(t, []int{3}, gs["out/b"])
	require.Equal(t, []int{64, 3, 4, 4}, ds["conv0/w"])
	require.Equal(t, []int{128, 64, 4, 4}, ds["conv1/w"])
	require.Equal(t, []int{256, 128, 4, 4}, ds["conv2/w"])
	require.Equal(t, []int{512, 256, 4, 4}, ds["conv3/w"])
	require.Equal(t, []int{1, 512, 4, 4}, ds["out/w"])
	require.NotContains(t, ds, "conv0/bn/scale") // no BN on D's first layer
	require.Contains(t, ds, "conv3/bn/scale")
	wantG := 100*512*16 + 2*512 + 512*256*16 + 2*256 + 256*128*16 + 2*128 + 128*64*16 + 2*64 + 64*3*16 + 3
	wantD := 3*64*16 + 64 + 64*128*16 + 2*128 + 128*256*16 + 2*256 + 256*512*16 + 2*512 + 512*16 + 1
	require.Equal(t, wantG, gen.Params().Count())
	require.Equal(t, wantD, disc.Params().Count())
}

// runShapes builds G and D for a small batch, runs one tape machine and
// returns the samples and logits.
func runShapes(t *testing.T, gen *DCGANGenerator, disc *DCGANDiscriminator, batch int, mode nn.Mode) ([]float32, []float32) {
	t.Helper()
	b := nn.NewBuilder(G.NewGraph(), mode)
	z := b.Input("z", tensor.Float32, batch, gen.LatentDim())
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range z.Value().Data().([]float32) {
		z.Value().Data().([]float32)[i] = float32(rng.NormFloat64())
	}
	x, err := gen.Generate(b, z)
	require.NoError(t, err)
	require.Equal(t, append([]int{batch}, gen.SampleShape()...), []int(x.Shape()))
	logits, err := disc.Discriminate(b, x)
	require.NoError(t, err)
	require.Equal(t, []int{batch}, []int(logits.Shape()))
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	return x.Value().Data().([]float32), logits.Value().Data().([]float32)
}

func TestDCGANShapesThroughAGraph(t *testing.T) {
	for name, ref := range map[string]func() (DCGANGeneratorConfig, DCGANDiscriminatorConfig){
		"28x28": ReferenceDCGAN, "64x64": ReferenceDCGAN64,
	} {
		t.Run(name, func(t *testing.T) {
			gen, disc := newRefPair(t, ref, 1)
			for _, mode := range []nn.Mode{nn.Training, nn.Inference} {
				x, logits := runShapes(t, gen, disc, 2, mode)
				for _, v := range x {
					require.LessOrEqual(t, math.Abs(float64(v)), 1.0) // tanh output
				}
				for _, v := range logits {
					require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
				}
			}
		})
	}
	// Other sizes and channel counts of the general configuration.
	for _, c := range []struct{ size, channels int }{{8, 3}, {16, 1}, {32, 3}} {
		gcfg := DCGANGeneratorConfig{LatentDim: 8, Width: 4, ImageSize: c.size, Channels: c.channels, BatchNorm: true}
		dcfg := DCGANDiscriminatorConfig{Width: 4, ImageSize: c.size, Channels: c.channels}
		gen, disc := newDCGANPair(t, gcfg, dcfg, 1)
		runShapes(t, gen, disc, 3, nn.Training)
	}

	gen, disc := newRefPair(t, ReferenceDCGAN, 1)
	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	_, err := gen.Generate(b, b.Input("z", tensor.Float32, 3, 99))
	require.ErrorContains(t, err, "z has shape (3, 99), want [batch 100]")
	_, err = disc.Discriminate(b, b.Input("x", tensor.Float32, 3, 784))
	require.ErrorContains(t, err, "input has shape (3, 784), want [batch [1 28 28]]")
}

func TestDCGANConfigValidation(t *testing.T) {
	gcfg, dcfg := ReferenceDCGAN()
	// bad checks that both constructors reject the modified configuration
	// (the discriminator has no latent size).
	bad := func(want string, mod func(*DCGANGeneratorConfig, *DCGANDiscriminatorConfig)) {
		t.Helper()
		g, d := gcfg, dcfg
		mod(&g, &d)
		_, err := NewDCGANGenerator(g, 1)
		require.ErrorContains(t, err, "models: dcgan generator: "+want)
		if d != dcfg {
			_, err = NewDCGANDiscriminator(d, 1)
			require.ErrorContains(t, err, "models: dcgan discriminator: "+want)
		}
	}
	bad("latent_dim must be positive, got 0", func(g *DCGANGeneratorConfig, _ *DCGANDiscriminatorConfig) { g.LatentDim = 0 })
	bad("width must be positive, got 0", func(g *DCGANGeneratorConfig, d *DCGANDiscriminatorConfig) { g.Width, d.Width = 0, 0 })
	bad("channels must be positive, got -1", func(g *DCGANGeneratorConfig, d *DCGANDiscriminatorConfig) { g.Channels, d.Channels = -1, -1 })
	bad(`unknown dtype "float16"`, func(g *DCGANGeneratorConfig, d *DCGANDiscriminatorConfig) { g.DType, d.DType = "float16", "float16" })
	for _, size := range []int{0, 4, 24, 27, 100, 2048} {
		bad("image_size", func(g *DCGANGeneratorConfig, d *DCGANDiscriminatorConfig) { g.ImageSize, d.ImageSize = size, size })
	}
	_, err := NewDCGANGenerator(DCGANGeneratorConfig{LatentDim: 10, Width: 8, ImageSize: 48, Channels: 3}, 1)
	require.EqualError(t, err, "models: dcgan generator: image_size 48 is not supported (want 28, or a power of two from 8 to 1024)")
	for _, size := range []int{8, 16, 28, 32, 64, 128} {
		require.NoError(t, DCGANDiscriminatorConfig{Width: 1, ImageSize: size, Channels: 1}.Validate())
	}
}

// TestDCGANInitStatistics checks the DCGAN initialisation: weights
// N(0, 0.02), batch norm scales N(1, 0.02), shifts and biases zero,
// running statistics 0 and 1.
func TestDCGANInitStatistics(t *testing.T) {
	gen, disc := newRefPair(t, ReferenceDCGAN, 7)
	meanStd := func(v []float64) (float64, float64) {
		var s, sq float64
		for _, x := range v {
			s += x
		}
		m := s / float64(len(v))
		for _, x := range v {
			sq += (x - m) * (x - m)
		}
		return m, math.Sqrt(sq / float64(len(v)))
	}
	for _, ps := range []*nn.Params{gen.Params(), disc.Params()} {
		for _, p := range ps.All() {
			vals := p.Float64s()
			m, s := meanStd(vals)
			switch base := filepath.Base(p.Name); {
			case base == "w":
				// Tolerances: a few standard errors for the smallest tensor
				// (64·16 values, standard error of the std ≈ 0.02/√2048).
				require.InDelta(t, 0, m, 0.003, "%s mean", p.Name)
				require.InDelta(t, 0.02, s, 0.0015, "%s std", p.Name)
			case base == "scale":
				require.InDelta(t, 1, m, 0.01, "%s mean", p.Name)
				require.InDelta(t, 0.02, s, 0.006, "%s std", p.Name)
			case base == "var":
				require.Equal(t, slicesOf(1.0, len(vals)), vals, p.Name)
			default: // biases, shifts, running means
				require.Equal(t, slicesOf(0.0, len(vals)), vals, p.Name)
			}
		}
	}
	// Different seeds, different weights; the same seed, the same weights.
	g2, _ := newRefPair(t, ReferenceDCGAN, 8)
	g3, _ := newRefPair(t, ReferenceDCGAN, 7)
	w1, _ := gen.Params().Get("convt1/w")
	w2, _ := g2.Params().Get("convt1/w")
	w3, _ := g3.Params().Get("convt1/w")
	require.NotEqual(t, w1.Float64s(), w2.Float64s())
	require.Equal(t, w1.Float64s(), w3.Float64s())
}

func slicesOf(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestDCGANSpecRoundTrip(t *testing.T) {
	for _, ref := range []func() (DCGANGeneratorConfig, DCGANDiscriminatorConfig){ReferenceDCGAN, ReferenceDCGAN64} {
		gcfg, dcfg := ref()
		gen, disc := newDCGANPair(t, gcfg, dcfg, 5)
		gspec, err := gen.Spec()
		require.NoError(t, err)
		require.Equal(t, KindDCGANGenerator, gspec.Kind)
		dspec, err := disc.Spec()
		require.NoError(t, err)
		require.Equal(t, KindDCGANDiscriminator, dspec.Kind)
		g2, err := NewGenerator(gspec, 5)
		require.NoError(t, err)
		d2, err := NewDiscriminator(dspec, 5)
		require.NoError(t, err)
		require.Equal(t, gcfg, g2.(*DCGANGenerator).Config())
		require.Equal(t, dcfg, d2.(*DCGANDiscriminator).Config())
		for i, p := range gen.Params().All() {
			require.Equal(t, p.Float64s(), g2.Params().All()[i].Float64s(), p.Name)
		}
		for i, p := range disc.Params().All() {
			require.Equal(t, p.Float64s(), d2.Params().All()[i].Float64s(), p.Name)
		}
	}
	_, err := NewGenerator(gan.NetworkSpec{Kind: KindDCGANGenerator, Config: []byte(`{"latent_dim":1,"width":2,"image_size":30,"channels":1}`)}, 1)
	require.ErrorContains(t, err, "models: dcgan-generator: models: dcgan generator: image_size 30 is not supported")
}

// TestDCGANSaveAndLoad saves the 28×28 pair with gan.SaveModel and checks
// that models.Load rebuilds networks that compute the same samples.
func TestDCGANSaveAndLoad(t *testing.T) {
	gen, disc := newRefPair(t, ReferenceDCGAN, 3)
	// Move the running statistics off their initial values, so that the
	// round trip is seen to carry the buffers too.
	rm, _ := gen.Params().Get("convt1/bn/mean")
	require.NoError(t, rm.SetFloat64s(slicesOf(0.25, 64)))
	path := filepath.Join(t.TempDir(), "model.gogan")
	require.NoError(t, gan.SaveModel(path, gen, disc, gan.ModelInfo{Steps: 9}))
	g2, d2, info, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, 9, info.Steps)
	x1, l1 := runShapes(t, gen, disc, 2, nn.Inference)
	x2, l2 := runShapes(t, g2.(*DCGANGenerator), d2.(*DCGANDiscriminator), 2, nn.Inference)
	require.Equal(t, x1, x2)
	require.Equal(t, l1, l2)
}

// TestDCGANGradientsMatchFiniteDifferences checks, in float64 on a batch
// of 2 in training mode, the gradient of L = Σ r ⊙ D(x) with respect to
// D's input and a sample of every one of D's parameters, and of
// L = Σ r ⊙ D(G(z)) with respect to a sample of every one of G's
// parameters, against central differences. This covers ops.Conv2d and
// ops.ConvTranspose2d inside the real 28×28 networks, with biases,
// reshapes, activations and (in the reference) batch norm around them.
func TestDCGANGradientsMatchFiniteDifferences(t *testing.T) {
	t.Run("without-batch-norm", func(t *testing.T) {
		gcfg, dcfg := ReferenceDCGAN()
		gcfg.BatchNorm, dcfg.BatchNorm = false, false
		checkDCGANGradients(t, gcfg, dcfg)
	})
	t.Run("reference", func(t *testing.T) {
		// Batch norm's input gradient on its own first (in training mode
		// nn.BatchNorm is ops.BatchNorm, with a closed-form gradient), so
		// that a wrong one is named as such; then the networks around it.
		require.NoError(t, batchNormGradientError(), "nn.BatchNorm's input gradient")
		gcfg, dcfg := ReferenceDCGAN()
		checkDCGANGradients(t, gcfg, dcfg)
	})
}

// batchNormGradientError checks the gradient of Σ r ⊙ BN(x) with respect
// to x for a 4×2 input against central differences.
func batchNormGradientError() error {
	ps, _ := nn.NewParams(tensor.Float64)
	bn, err := nn.NewBatchNorm(ps, "bn", 2, nil, nil)
	if err != nil {
		return err
	}
	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	x := b.Input("x", tensor.Float64, 4, 2)
	xs := x.Value().Data().([]float64)
	copy(xs, []float64{0.3, -1, 1.2, 0.5, -0.7, 2, 0.1, 0.4})
	r := b.Input("r", tensor.Float64, 4, 2)
	copy(r.Value().Data().([]float64), []float64{1, -0.5, 0.25, 2, -1.5, 0.75, 0.5, -1})
	y, err := bn.Apply(b, x)
	if err != nil {
		return err
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, r))))
	grads, err := G.Grad(loss, x)
	if err != nil {
		return err
	}
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	eval := func() (float64, error) {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return 0, err
		}
		return loss.Value().Data().(float64), nil
	}
	if _, err := eval(); err != nil {
		return err
	}
	analytic := append([]float64(nil), grads[0].Value().Data().([]float64)...)
	for i := range xs {
		old := xs[i]
		xs[i] = old + 1e-6
		fp, _ := eval()
		xs[i] = old - 1e-6
		fm, _ := eval()
		xs[i] = old
		if fd := (fp - fm) / 2e-6; math.Abs(fd-analytic[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			return fmt.Errorf("∂L/∂x[%d] is %.6g, finite differences give %.6g", i, analytic[i], fd)
		}
	}
	return nil
}

func checkDCGANGradients(t *testing.T, gcfg DCGANGeneratorConfig, dcfg DCGANDiscriminatorConfig) {
	gcfg.DType, dcfg.DType = "float64", "float64"
	gcfg.LatentDim = 8 // keeps the finite differences cheap; the layers are the reference's
	gen, disc := newDCGANPair(t, gcfg, dcfg, 11)
	rng := rand.New(rand.NewPCG(12, 13))
	const batch = 2

	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	x := b.Input("x", tensor.Float64, batch, 1, 28, 28)
	xs := x.Value().Data().([]float64)
	for i := range xs {
		xs[i] = 2*rng.Float64() - 1
	}
	z := b.Input("z", tensor.Float64, batch, gcfg.LatentDim)
	for i := range z.Value().Data().([]float64) {
		z.Value().Data().([]float64)[i] = rng.NormFloat64()
	}
	r := b.Input("r", tensor.Float64, batch)
	copy(r.Value().Data().([]float64), []float64{0.7, -1.3})

	realLogits, err := disc.Discriminate(b, x)
	require.NoError(t, err)
	fake, err := gen.Generate(b, z)
	require.NoError(t, err)
	fakeLogits, err := disc.Discriminate(b, fake)
	require.NoError(t, err)
	dLoss := G.Must(G.Sum(G.Must(G.HadamardProd(realLogits, r))))
	gLoss := G.Must(G.Sum(G.Must(G.HadamardProd(fakeLogits, r))))
	dGrads, err := G.Grad(dLoss, append(G.Nodes{x}, b.Learnables(disc.Params())...)...)
	require.NoError(t, err)
	gGrads, err := G.Grad(gLoss, b.Learnables(gen.Params())...)
	require.NoError(t, err)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	eval := func() (float64, float64) {
		vm.Reset()
		require.NoError(t, vm.RunAll())
		return dLoss.Value().Data().(float64), gLoss.Value().Data().(float64)
	}
	eval()
	copyGrads := func(gs G.Nodes) [][]float64 {
		out := make([][]float64, len(gs))
		for i, g := range gs {
			out[i] = append([]float64(nil), g.Value().Data().([]float64)...)
		}
		return out
	}
	dAnalytic, gAnalytic := copyGrads(dGrads), copyGrads(gGrads)

	// check compares 8 random coordinates of a gradient with central
	// differences of D's loss (or G's, if ofG). The step is tiny because a
	// bias moves thousands of activations at once, and a larger step
	// carries some of them across the kink of a (leaky) ReLU (with a step
	// of 1e-6, G's output bias is off by 2%; float64 round-off at 1e-8 is
	// still far below the tolerance). A wrong gradient is off by far more.
	check := func(name string, vals []float64, analytic []float64, ofG bool) {
		const eps = 1e-8
		idx := rng.Perm(len(vals))[:min(8, len(vals))]
		var num, den float64
		for _, i := range idx {
			old := vals[i]
			vals[i] = old + eps
			dp, gp := eval()
			vals[i] = old - eps
			dm, gm := eval()
			vals[i] = old
			fp, fm := dp, dm
			if ofG {
				fp, fm = gp, gm
			}
			fd := (fp - fm) / (2 * eps)
			num = math.Max(num, math.Abs(fd-analytic[i]))
			den = math.Max(den, math.Abs(fd))
		}
		require.Greater(t, den, 0.0, "%s: gradient is zero at every sampled coordinate", name)
		require.Less(t, num/den, 1e-4, "%s: max |analytic − numeric| / max |numeric|", name)
	}
	check("D input", xs, dAnalytic[0], false)
	for i, p := range disc.Params().Learnables() {
		check("D "+p.Name, p.Value.Data().([]float64), dAnalytic[i+1], false)
	}
	for i, p := range gen.Params().Learnables() {
		check("G "+p.Name, p.Value.Data().([]float64), gAnalytic[i], true)
	}
}

// TestDCGANTrainsOnRealDigits trains the 28×28 reference on real MNIST
// digits for 30 steps and checks that the game moved and stayed finite,
// and that sampling in inference mode gives images in [-1, 1].
func TestDCGANTrainsOnRealDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the DCGAN for 30 steps; skipped in -short mode")
	}
	if _, err := os.Stat(dcganDigits); err != nil {
		t.Skipf("real MNIST digits not found at %s (the shared data folder beside the checkout): %v", dcganDigits, err)
	}
	digits, err := data.LoadMNIST(dcganDigits)
	require.NoError(t, err)
	gen, disc := newRefPair(t, ReferenceDCGAN, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Seed: 1})
	require.NoError(t, err)
	batches := data.NewLoader(digits, 1)
	var stats []gan.Stats
	for range 30 {
		s, err := tr.Step(batches)
		require.NoError(t, err)
		for _, v := range []float64{s.DLoss, s.GLoss, s.DReal, s.DFake, s.V} {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "step %d: %+v", s.Step, s)
		}
		stats = append(stats, s)
	}
	first := stats[0]
	var lateReal, lateFake float64
	for _, s := range stats[20:] {
		lateReal += s.DReal / 10
		lateFake += s.DFake / 10
	}
	t.Logf("D(x): %.3f → %.3f; D(G(z)): %.3f → %.3f; D loss %.3f → %.3f",
		first.DReal, lateReal, first.DFake, lateFake, first.DLoss, stats[29].DLoss)
	require.Greater(t, math.Abs(lateReal-first.DReal), 0.02, "D(x) did not move")
	require.Greater(t, math.Abs(lateFake-first.DFake), 0.02, "D(G(z)) did not move")
	require.Greater(t, lateReal, lateFake, "D does not tell real from fake")

	s, err := tr.Sample(5)
	require.NoError(t, err)
	require.Equal(t, []int{5, 1, 28, 28}, []int(s.Shape()))
	for _, v := range s.Data().([]float32) {
		require.LessOrEqual(t, math.Abs(float64(v)), 1.0)
	}
	rm, _ := gen.Params().Get("convt1/bn/mean")
	require.NotEqual(t, slicesOf(0, 64), rm.Float64s(), "running statistics were not updated")
}

// BenchmarkDCGANStep times one training step (one D update, one G update)
// of the 28×28 reference DCGAN at batch 64, float32, on random images
// held in memory:
//
//	go test ./models/ -run '^$' -bench DCGANStep -benchtime 20x
func BenchmarkDCGANStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	pix := make([]uint8, 512*28*28)
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	imgs, err := data.NewImages(1, 28, 28, pix, nil)
	require.NoError(b, err)
	gen, disc := newRefPair(b, ReferenceDCGAN, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 64, Seed: 1})
	require.NoError(b, err)
	batches := data.NewLoader(imgs, 1)
	if _, err := tr.Step(batches); err != nil { // warm up: first-run allocations
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.Step(batches); err != nil {
			b.Fatal(err)
		}
	}
}
