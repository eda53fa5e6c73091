package gan_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestDeviceCheckpointsCrossDevices: a run checkpointed on the device
// resumes on the CPU and the reverse, and both continue like a run that
// never stopped (within the agreement tolerance: the device rounds
// differently).
func TestDeviceCheckpointsCrossDevices(t *testing.T) {
	build := func(dev string) *gan.Trainer {
		gen, disc := toyNets(t, 4, true, 0.1) // batch norm and dropout
		// SGD: the batch norm makes the gradient of the bias before it
		// rounding noise, which Adam would turn into ±lr steps that differ
		// between any two BLAS (see dcganAgreeConfig).
		tr, err := gan.NewTrainer(gen, disc, dcganAgreeConfig(gan.Config{BatchSize: 16, DSteps: 2, Seed: 9, Device: dev}))
		require.NoError(t, err)
		return tr
	}
	steps := func(tr *gan.Trainer, src data.Batches, n int) gan.Stats {
		var s gan.Stats
		for i := 0; i < n; i++ {
			var err error
			s, err = tr.Step(src)
			require.NoError(t, err)
		}
		return s
	}
	ref := build("cpu")
	refSrc := data.NewSourceLoader(data.NewRing8(), 2)
	steps(ref, refSrc, 3)
	want := steps(ref, refSrc, 3)

	for _, devs := range [][2]string{{"host", "cpu"}, {"cpu", "host"}} {
		t.Run(devs[0]+"-to-"+devs[1], func(t *testing.T) {
			path := t.TempDir() + "/run.ckpt"
			first := build(devs[0])
			defer first.Close()
			src := data.NewSourceLoader(data.NewRing8(), 2)
			steps(first, src, 3)
			require.NoError(t, first.SaveCheckpoint(path, src, nil))
			second := build(devs[1])
			defer second.Close()
			src2 := data.NewSourceLoader(data.NewRing8(), 2)
			_, err := second.LoadCheckpoint(path, src2)
			require.NoError(t, err)
			got := steps(second, src2, 3)
			require.Equal(t, 6, second.Steps())
			for _, v := range [][3]float64{{want.DLoss, got.DLoss}, {want.GLoss, got.GLoss}, {want.DReal, got.DReal}, {want.V, got.V}} {
				require.LessOrEqual(t, scalarErr(v[0], v[1]), agreeTol, "%v", v)
			}
			require.NoError(t, second.Sync())
			// Each tensor within 1e-5 of the larger of its own scale and 1%
			// of the network's largest: the generator's biases before
			// batch norm have gradients that are rounding noise, so their
			// values are noise too (relErrScaled).
			for i, ps := range paramsOf(ref) {
				all0, all1 := ps.All(), paramsOf(second)[i].All()
				var vals [][]float32
				for _, p := range all0 {
					vals = append(vals, p.Value.Float32s())
				}
				floor := floorOf(vals)
				for k := range all0 {
					require.LessOrEqual(t, relErrScaled(all0[k].Value.Float32s(), all1[k].Value.Float32s(), floor), agreeTol, all0[k].Name)
				}
			}
		})
	}
}

// TestDeviceSampling: sampling runs the inference graph on the device
// (batch norm on the running statistics the device updated) and matches
// the CPU's samples after the same training.
func TestDeviceSampling(t *testing.T) {
	run := func(dev string) *tensor.Dense {
		gen, disc := toyNets(t, 6, true, 0)
		tr, err := gan.NewTrainer(gen, disc, dcganAgreeConfig(gan.Config{BatchSize: 16, Seed: 3, Device: dev}))
		require.NoError(t, err)
		defer tr.Close()
		src := data.NewSourceLoader(data.NewRing8(), 1)
		for i := 0; i < 4; i++ {
			_, err := tr.Step(src)
			require.NoError(t, err)
		}
		s, err := tr.Sample(40) // not a multiple of the batch
		require.NoError(t, err)
		return s
	}
	a, b := run("cpu"), run("host")
	require.Equal(t, a.Shape(), b.Shape())
	require.LessOrEqual(t, relErr(a.Float32s(), b.Float32s()), agreeTol)
}

// sinNet's discriminator uses G.Sin, which has no device kernel.
type sinDisc struct{ *rawDisc }

func (d sinDisc) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	h, err := G.Mul(x, b.Node(d.w1))
	if err != nil {
		return nil, err
	}
	if h, err = G.Sin(h); err != nil {
		return nil, err
	}
	if h, err = G.Mul(h, b.Node(d.w2)); err != nil {
		return nil, err
	}
	return G.Reshape(h, tensor.Shape{x.Shape()[0]})
}

// TestDeviceRefusesUnsupportedOp: an op without a device kernel is
// refused at NewTrainer, naming the op and the node; the CPU trains it.
func TestDeviceRefusesUnsupportedOp(t *testing.T) {
	gens, discs := rawNets(t)
	d := sinDisc{discs[0].(*rawDisc)}
	_, err := gan.NewTrainer(gens[0], d, gan.Config{BatchSize: 8, Device: "host"})
	require.Error(t, err)
	require.ErrorIs(t, err, gpu.ErrUnsupported)
	require.ErrorContains(t, err, `op sin`)
	require.ErrorContains(t, err, `node "`)
	_, err = gan.NewTrainer(gens[0], d, gan.Config{BatchSize: 8})
	require.NoError(t, err)
}

// TestDeviceFloat64Refused: device programs are float32; a float64
// network is refused with a message that says so.
func TestDeviceFloat64Refused(t *testing.T) {
	gc, dc := models.ReferenceMLP()
	gc.OutputShape, dc.InputShape, gc.DType, dc.DType = []int{2}, []int{2}, "float64", "float64"
	g, err := models.NewMLPGenerator(gc, 1)
	require.NoError(t, err)
	d, err := models.NewMLPDiscriminator(dc, 1)
	require.NoError(t, err)
	_, err = gan.NewTrainer(g, d, gan.Config{BatchSize: 8, Device: "host"})
	require.ErrorIs(t, err, gpu.ErrUnsupported)
	require.ErrorContains(t, err, "float32 only")
}

// TestDeviceNonFiniteStops: a NaN stops the step with ErrNonFinite before
// the device applies the update.
func TestDeviceNonFiniteStops(t *testing.T) {
	gens, discs := rawNets(t)
	tr, err := gan.NewTrainer(gens[0], discs[0], gan.Config{BatchSize: 8, Device: "host"})
	require.NoError(t, err)
	defer tr.Close()
	src := data.NewSourceLoader(data.NewRing8(), 1)
	_, err = tr.Step(src)
	require.NoError(t, err)
	require.NoError(t, tr.Sync())
	gens[0].Params().Learnables()[0].Value.Float32s()[0] = float32(math.NaN())
	require.NoError(t, gan.PushForTest(tr))
	dBefore := append([]float32(nil), discs[0].Params().Learnables()[0].Value.Float32s()...)
	_, err = tr.Step(src)
	require.ErrorIs(t, err, gan.ErrNonFinite)
	require.ErrorContains(t, err, "discriminator")
	require.NoError(t, tr.Sync())
	require.Equal(t, dBefore, discs[0].Params().Learnables()[0].Value.Float32s(), "the update that produced the NaN was applied")
}

// TestDeviceCompilesDCGAN64: every op of the 64×64 reference DCGAN has a
// device kernel, and one step on the host device agrees with the CPU.
func TestDeviceCompilesDCGAN64(t *testing.T) {
	if testing.Short() {
		t.Skip("64×64 DCGAN step: skipped in -short mode")
	}
	nets := func(t *testing.T) ([]gan.Generator, []gan.Discriminator) {
		gc, dc := models.ReferenceDCGAN64()
		g, err := models.NewDCGANGenerator(gc, 7)
		require.NoError(t, err)
		d, err := models.NewDCGANDiscriminator(dc, 8)
		require.NoError(t, err)
		return []gan.Generator{g}, []gan.Discriminator{d}
	}
	gc, _ := models.ReferenceDCGAN64()
	images := func() data.Batches {
		rng := rand.New(rand.NewPCG(5, 5))
		n := 4
		pix := make([]uint8, n*gc.Channels*64*64)
		for i := range pix {
			pix[i] = uint8(rng.IntN(256))
		}
		ims, err := data.NewImages(gc.Channels, 64, 64, pix, make([]uint8, n))
		require.NoError(t, err)
		return data.NewLoader(ims, 1)
	}
	compareDevice(t, nets, dcganAgreeConfig(gan.Config{BatchSize: 2, Seed: 5}), images, 1)
}
