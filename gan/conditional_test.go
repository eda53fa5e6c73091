package gan_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestClassCrossEntropyClosedForm checks ClassCrossEntropy and its
// gradient against −log softmax and (softmax − y)/batch on hand-made
// logits, including logits large enough to overflow a naive exp.
func TestClassCrossEntropyClosedForm(t *testing.T) {
	logits := []float64{1, 2, 3, -1, 0.5, 0, 1000, 998, 990}
	classes := []int{2, 0, 1}
	y := make([]float64, 9)
	for i, c := range classes {
		y[3*i+c] = 1
	}
	g := G.NewGraph()
	l := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 3), G.WithName("l"), G.WithValue(tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(append([]float64(nil), logits...)))))
	yn := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 3), G.WithName("y"), G.WithValue(tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(y))))
	ce, err := gan.ClassCrossEntropy(l, yn)
	require.NoError(t, err)
	grads, err := G.Grad(ce, l)
	require.NoError(t, err)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	require.NoError(t, vm.RunAll())

	want := 0.0
	wantGrad := make([]float64, 9)
	for i, c := range classes {
		row := logits[3*i : 3*i+3]
		m := math.Max(row[0], math.Max(row[1], row[2]))
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - m)
		}
		want += (m + math.Log(s) - row[c]) / 3
		for j, v := range row {
			wantGrad[3*i+j] = (math.Exp(v-m)/s - y[3*i+j]) / 3
		}
	}
	// Row 0: log(e+e²+e³) − 3 = 0.4076; row 1: log(e⁻¹+e^.5+1) + 1; row 2: log(1+e⁻²+e⁻¹⁰) + 2.
	require.InDelta(t, 0.40760596, math.Log(math.E+math.Exp(2)+math.Exp(3))-3, 1e-8)
	require.InDelta(t, want, ce.Value().Data().(float64), 1e-12)
	require.InDeltaSlice(t, wantGrad, grads[0].Value().Data().([]float64), 1e-12)

	_, err = gan.ClassCrossEntropy(l, G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("bad")))
	require.ErrorContains(t, err, "shape [batch K]")
}

// twoBlobs is an in-memory labelled dataset of n points: class 0 around
// (−2, 0), class 1 around (2, 0), with a spread of 0.3.
func twoBlobs(t testing.TB, n int) data.Labeled {
	vals := make([]float32, 2*n)
	labels := make([]int, n)
	for i := range labels {
		c := i % 2
		labels[i] = c
		u := float64(i)*0.618034 - math.Floor(float64(i)*0.618034)
		v := float64(i)*0.754878 - math.Floor(float64(i)*0.754878)
		vals[2*i] = float32(4*float64(c) - 2 + 0.6*(u-0.5))
		vals[2*i+1] = float32(0.6 * (v - 0.5))
	}
	ds, err := data.NewSlices([]int{2}, vals)
	require.NoError(t, err)
	lab, err := data.NewLabeled(ds, labels, 2)
	require.NoError(t, err)
	return lab
}

// condNets returns a tiny conditional MLP pair for 2-D points of 2
// classes with the given scheme.
func condNets(t testing.TB, scheme string, hidden int, dtype string, seed uint64) (*models.ConditionalGenerator, *models.ConditionalDiscriminator) {
	gb, err := json.Marshal(models.MLPGeneratorConfig{LatentDim: 2 + 2, Hidden: []int{hidden}, OutputShape: []int{2},
		Activation: nn.LeakyReLU(0.2), Output: nn.Identity(), DType: dtype})
	require.NoError(t, err)
	in := []int{2}
	if scheme == models.SchemeConcat {
		in = []int{4}
	}
	db, err := json.Marshal(models.MLPDiscriminatorConfig{InputShape: in, Hidden: []int{hidden, hidden}, Activation: nn.LeakyReLU(0.2), DType: dtype})
	require.NoError(t, err)
	gen, err := models.NewConditionalGenerator(models.ConditionalGeneratorConfig{Classes: 2,
		Base: gan.NetworkSpec{Kind: models.KindMLPGenerator, Config: gb}}, seed)
	require.NoError(t, err)
	disc, err := models.NewConditionalDiscriminator(models.ConditionalDiscriminatorConfig{Classes: 2, Scheme: scheme, InputShape: []int{2},
		Base: gan.NetworkSpec{Kind: models.KindMLPDiscriminator, Config: db}}, seed)
	require.NoError(t, err)
	return gen, disc
}

// TestConditionalStepGradientsFiniteDifferences checks, for each scheme,
// the gradients of a conditional trainer's discriminator and generator
// losses (the adversarial loss and, for ACGAN, the class losses of both
// networks, with the labels the trainer feeds) against central finite
// differences of the losses the step reports, on a tiny float64 net. Each
// difference rebuilds the trainer from the same seed (same noise, classes
// and data) with one weight moved; the updates are made negligible (SGD,
// learning rate 1e-12) so that the generator's loss sees D as it was.
func TestConditionalStepGradientsFiniteDifferences(t *testing.T) {
	for _, scheme := range models.Schemes() {
		t.Run(scheme, func(t *testing.T) {
			ds := twoBlobs(t, 16)
			sgd := optim.SGDConfig{LR: 1e-12}
			cfg := gan.Config{BatchSize: 4, Seed: 3, GOptimizer: sgd, DOptimizer: sgd}
			// run builds the nets, moves weight j of network net (0: D, 1: G)
			// by eps, takes one step and returns the losses and gradients.
			run := func(net, j int, eps float64) (gan.Stats, [][][]float32, [][][]float32, *gan.Trainer) {
				gen, disc := condNets(t, scheme, 3, "float64", 7)
				ps := disc.Params()
				if net == 1 {
					ps = gen.Params()
				}
				if eps != 0 {
					k := j
					for _, p := range ps.Learnables() {
						d := p.Value.Data().([]float64)
						if k < len(d) {
							d[k] += eps
							break
						}
						k -= len(d)
					}
				}
				tr, err := gan.NewTrainer(gen, disc, cfg)
				require.NoError(t, err)
				st, err := tr.Step(data.NewLoader(ds, 5))
				require.NoError(t, err)
				return st, nil, nil, tr
			}
			_, _, _, tr := run(0, 0, 0)
			dGrads, gGrads := lastGrads64(t, tr)
			const eps = 1e-5
			for net, grads := range [][]float64{dGrads, gGrads} {
				require.NotEmpty(t, grads)
				worst := 0.0
				for j, want := range grads {
					plus, _, _, _ := run(net, j, eps)
					minus, _, _, _ := run(net, j, -eps)
					lp, lm := plus.DLoss, minus.DLoss
					if net == 1 {
						lp, lm = plus.GLoss, minus.GLoss
					}
					fd := (lp - lm) / (2 * eps)
					e := math.Abs(fd-want) / math.Max(1e-3, math.Abs(want))
					worst = math.Max(worst, e)
					require.LessOrEqual(t, e, 1e-4, "%s network %d weight %d: symbolic %v, finite difference %v", scheme, net, j, want, fd)
				}
				t.Logf("%s network %d: %d gradients, worst relative error %.2g", scheme, net, len(grads), worst)
			}
		})
	}
}

// lastGrads64 returns the last discriminator and generator gradients of
// a float64 trainer, flattened.
func lastGrads64(t testing.TB, tr *gan.Trainer) (d, g []float64) {
	dg, gg, err := gan.LastGradients64(tr)
	require.NoError(t, err)
	return dg, gg
}

// TestConditionalLearnsTheClass trains each scheme briefly on two blobs
// and checks that samples of each requested class land on that class's
// blob.
func TestConditionalLearnsTheClass(t *testing.T) {
	for _, scheme := range models.Schemes() {
		t.Run(scheme, func(t *testing.T) {
			gen, disc := condNets(t, scheme, 16, "", 1)
			tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 32, Seed: 2,
				GOptimizer: optim.AdamConfig{LR: 2e-3, Beta1: 0.5, Beta2: 0.999},
				DOptimizer: optim.AdamConfig{LR: 2e-3, Beta1: 0.5, Beta2: 0.999}})
			require.NoError(t, err)
			require.Equal(t, 2, tr.NumClasses())
			loader := data.NewLoader(twoBlobs(t, 256), 1)
			for i := 0; i < 400; i++ {
				_, err := tr.Step(loader)
				require.NoError(t, err)
			}
			for c, sign := range []float64{-1, 1} {
				classes := make([]int, 200)
				for i := range classes {
					classes[i] = c
				}
				s, err := tr.SampleClasses(classes)
				require.NoError(t, err)
				pts := s.Data().([]float32)
				right := 0
				for i := 0; i < len(pts); i += 2 {
					if float64(pts[i])*sign > 0.5 {
						right++
					}
				}
				share := float64(right) / 200
				t.Logf("%s: class %d: %.0f%% of samples on its blob", scheme, c, 100*share)
				require.GreaterOrEqual(t, share, 0.9, "%s: class %d", scheme, c)
			}
		})
	}
}

// TestConditionalResumeIsBitIdentical checks that the label stream (the
// real labels from the loader, the generated batches' classes from the
// trainer's generator) resumes from a checkpoint bit for bit.
func TestConditionalResumeIsBitIdentical(t *testing.T) {
	ds := twoBlobs(t, 40)
	build := func(seed uint64) (*gan.Trainer, *data.Loader) {
		gen, disc := condNets(t, models.SchemeACGAN, 8, "", seed)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 8, Seed: seed})
		require.NoError(t, err)
		return tr, data.NewLoader(ds, seed)
	}
	const n = 7 // 40/8 = 5 batches an epoch: the resume falls inside an epoch
	straight, sb := build(4)
	steps(t, straight, sb, 2*n)
	first, fb := build(4)
	steps(t, first, fb, n)
	path := filepath.Join(t.TempDir(), "ckpt.gogan")
	require.NoError(t, first.SaveCheckpoint(path, fb, nil))
	resumed, rb := build(99)
	_, err := resumed.LoadCheckpoint(path, rb)
	require.NoError(t, err)
	steps(t, resumed, rb, n)
	require.Equal(t, weights(straight.Generator().Params()), weights(resumed.Generator().Params()))
	require.Equal(t, weights(straight.Discriminator().Params()), weights(resumed.Discriminator().Params()))
	a, err := straight.SampleClasses([]int{0, 1, 1, 0})
	require.NoError(t, err)
	b, err := resumed.SampleClasses([]int{0, 1, 1, 0})
	require.NoError(t, err)
	require.Equal(t, a.Data(), b.Data())

	// The checkpoint is a model file that remembers the classes, and the
	// loaded generator samples given classes as the trainer does.
	gen, _, info, err := models.Load(path)
	require.NoError(t, err)
	require.Equal(t, 2, info.Classes)
	z := first.Noise(3)
	want, err := first.GenerateClasses(z, []int{1, 0, 1})
	require.NoError(t, err)
	got, err := gan.GenerateSamples(gen, z, []int{1, 0, 1})
	require.NoError(t, err)
	require.Equal(t, want.Data(), got.Data())
}

// TestConditionalRefusals checks the clear errors of unsupported
// combinations.
func TestConditionalRefusals(t *testing.T) {
	gen, disc := condNets(t, models.SchemeProjection, 4, "", 1)
	plainG, err := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 2, Hidden: []int{4}, OutputShape: []int{2}}, 1)
	require.NoError(t, err)
	plainD, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{4}}, 1)
	require.NoError(t, err)
	for _, c := range []struct {
		gens  []gan.Generator
		discs []gan.Discriminator
		cfg   gan.Config
		want  string
	}{
		{[]gan.Generator{gen}, []gan.Discriminator{plainD}, gan.Config{}, "is not a gan.ConditionalDiscriminator"},
		{[]gan.Generator{plainG}, []gan.Discriminator{disc}, gan.Config{}, "is not a gan.ConditionalGenerator"},
		{[]gan.Generator{gen}, []gan.Discriminator{disc, disc}, gan.Config{}, "one generator against one discriminator"},
		{[]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{Pack: 2}, "Pack 2 is not supported"},
		{[]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{FeatureMatching: true}, "FeatureMatching is not supported"},
		{[]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{Penalty: gan.R1{Gamma: 1}}, "gradient penalties"},
		{[]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{Loss: losses.WGANGP{}}, "gradient penalties"},
		{[]gan.Generator{gen}, []gan.Discriminator{disc}, gan.Config{Loss: losses.RaGAN{}}, "relativistic"},
	} {
		_, err := gan.NewMultiTrainer(c.gens, c.discs, c.cfg)
		require.ErrorContains(t, err, c.want)
	}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 4})
	require.NoError(t, err)
	_, err = tr.Step(data.NewLoader(pointsData(8), 1))
	require.ErrorContains(t, err, "needs labelled data")
	_, err = tr.SampleClasses([]int{0, 2})
	require.ErrorContains(t, err, "class 2 (at 1) is outside [0, 2)")
	plain, err := gan.NewTrainer(plainG, plainD, gan.Config{BatchSize: 4})
	require.NoError(t, err)
	_, err = plain.SampleClasses([]int{0})
	require.ErrorContains(t, err, "not conditional")
}

// TestConditionalDeviceAgrees runs the concat and projection schemes on
// the Host device next to the CPU, and checks that ACGAN, whose class
// loss needs a row maximum the device compiler lacks, is refused with
// gpu.ErrUnsupported.
func TestConditionalDeviceAgrees(t *testing.T) {
	ds := twoBlobs(t, 32)
	g, d := condNets(t, models.SchemeACGAN, 8, "", 3)
	_, err := gan.NewTrainer(g, d, gan.Config{BatchSize: 8, Device: "host"})
	require.ErrorIs(t, err, gpu.ErrUnsupported)
	for _, scheme := range []string{models.SchemeConcat, models.SchemeProjection} {
		t.Run(scheme, func(t *testing.T) {
			nets := func(t *testing.T) ([]gan.Generator, []gan.Discriminator) {
				g, d := condNets(t, scheme, 8, "", 3)
				return []gan.Generator{g}, []gan.Discriminator{d}
			}
			compareDevice(t, nets, gan.Config{BatchSize: 8, Seed: 1}, func() data.Batches { return data.NewLoader(ds, 2) }, 3)
		})
	}
}
