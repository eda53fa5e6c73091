//go:build cu

package gan_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gogan/gogan/cuda/cudatest"
	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"
)

// fakeTol is the agreement required of the CUDA device on the fake driver
// with the CPU: the host device's. The fake runs kernels.cu compiled for
// the host (exact IEEE arithmetic, as on the GPU) and an SGEMM that rounds
// as gonum's, the CPU's, does (cuda/cudatest/testdata/fakecuda.c); what
// differs from the CPU is only the transcendental functions of KUnary
// (exp, log, tanh, sigmoid, softplus: the kernels' own formulas, within a
// few ulps of Gorgonia's float32 functions, which the host device runs),
// and that stays below 1e-5 except where a sum cancels (fakeMLPTol) or
// Adam divides rounding noise by itself (see checkpointAcross).
const fakeTol = agreeTol

// fakeMLPTol is the bound for the reference MLP. Its discriminator's
// one-element output bias has as gradient a sum of 32 terms near ±0.5
// (sigmoids of logits near 0, less the labels) that cancels to 3e-3 of
// them, so the kernels' transcendental functions, ulps away from
// Gorgonia's, move it by 3.5e-5 of itself (1.2e-5 after
// relErrScaled's division by 3 for one-element tensors; everything else
// agrees within 6e-6). It trains with SGD, as DCGAN does (dcganAgreeConfig):
// under the host test's Adam, which divides each gradient element by its
// own root mean square, the smallest elements' relative differences
// become their weights' steps (1.0e-4 after one step; 0 on the host
// device, which runs Gorgonia's own functions). Adam's device arithmetic
// is held to fakeTol in the raw-Gorgonia runs.
const fakeMLPTol = 3e-5

// TestFakeCUDAAgrees trains through the whole CUDA path of Config{Device:
// "cuda"} (the gpu package's CUDA device, package cuda's purego bindings,
// the driver API, cuLaunchKernel) on package cudatest's fake driver, which
// executes every kernel launch with the emulated kernels.cu and every
// SGEMM with reference code on the fake's device memory (host memory):
// the agreement comparisons with the CPU of the host device's
// TestDeviceAgrees* and the GPU's TestCUDAAgrees (with SGD for the MLP,
// see fakeMLPTol), a checkpoint written on "cuda" resumed on the CPU and
// the reverse, and sampling. It runs on any machine with C and C++20
// compilers (it skips, saying which is missing, elsewhere); it cannot
// show what only a GPU does (the PTX as the driver compiles it, cuBLAS,
// real concurrency, speed).
func TestFakeCUDAAgrees(t *testing.T) {
	if !cudatest.InFake() {
		cudatest.RunKernels(t)
		return
	}
	if !cudatest.ExecutesKernels() {
		t.Fatal("the fake driver of this child process does not execute kernels (cudatest.Run instead of RunKernels?)")
	}
	start := time.Now()
	before, err := cudatest.ReadCounts()
	require.NoError(t, err)
	timed := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			c0, _ := cudatest.ReadCounts()
			t0 := time.Now()
			f(t)
			c1, _ := cudatest.ReadCounts()
			t.Logf("%v, %d kernel launches executed, %d SGEMMs", time.Since(t0).Round(time.Millisecond), c1.Executed-c0.Executed, c1.Sgemms-c0.Sgemms)
		})
	}
	timed("mlp", func(t *testing.T) {
		compareOn(t, "cuda", fakeMLPTol, mlpNets, dcganAgreeConfig(gan.Config{BatchSize: 16, DSteps: 2, Seed: 5}), mnistLike(16, 3), 3)
	})
	timed("dcgan", func(t *testing.T) {
		compareOn(t, "cuda", fakeTol, dcganNets, dcganAgreeConfig(gan.Config{BatchSize: 8, Seed: 5}), randomImages(t, 32, 1, 3), 3)
	})
	timed("dcgan-minibatch-pacgan", func(t *testing.T) {
		compareOn(t, "cuda", fakeTol, mbdNets, dcganAgreeConfig(gan.Config{BatchSize: 8, Pack: 2, Seed: 5}), randomImages(t, 32, 1, 3), 3)
	})
	for _, loss := range []string{"minimax", "nonsaturating", "leastsquares", "hinge", "wasserstein"} {
		timed("raw-"+loss, func(t *testing.T) {
			compareOn(t, "cuda", fakeTol, rawNets, rawConfig(t, loss), mnistLike(16, 3), 4)
		})
	}
	timed("checkpoints", func(t *testing.T) { checkpointAcross(t, "cuda") })
	// Sampling after training with batch norm, with SGD (see
	// checkpointAcross): under Adam the samples differ by 1.2e-4, through
	// the biases before batch norm.
	timed("sampling", func(t *testing.T) {
		a, b := sampleAfterTraining(t, "cpu"), sampleAfterTraining(t, "cuda")
		require.Equal(t, a.Shape(), b.Shape())
		e := relErr(a.Float32s(), b.Float32s())
		t.Logf("largest relative difference of the samples: %v", e)
		require.LessOrEqual(t, e, fakeTol)
	})

	after, err := cudatest.ReadCounts()
	require.NoError(t, err)
	launched, ran := after.Launches-before.Launches, after.Executed-before.Executed
	t.Logf("in all %v: %d kernel launches, all executed by the fake: %v; %d SGEMMs; %d allocations left",
		time.Since(start).Round(time.Millisecond), launched, ran == launched, after.Sgemms-before.Sgemms, after.Allocs)
	require.Positive(t, ran, "no kernel ran")
	require.Equal(t, launched, ran, "launches the fake did not execute")
	require.Zero(t, after.Allocs, "device memory not freed by Close")
}

// checkpointAcross: a run checkpointed on dev resumes on the CPU and the
// reverse, and both continue like a CPU run that never stopped (as
// TestDeviceCheckpointsCrossDevices for the host device), to fakeTol.
//
// The networks have batch norm, so a dense layer's bias before it has a
// zero gradient in exact arithmetic: its value is rounding noise, which
// agrees only between implementations that round alike (the host device
// rounds as the CPU, bit for bit; the fake's transcendental kernels do
// not). So the runs use SGD with momentum (dcganAgreeConfig), which keeps
// that noise at 1e-11 where Adam makes it ±lr steps (and the running means
// inherit them), and those biases are compared at the scale of the
// network's parameters.
func checkpointAcross(t *testing.T, dev string) {
	build := func(dev string) *gan.Trainer {
		gen, disc := toyNets(t, 4, true, 0.1) // batch norm and dropout
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

	for _, devs := range [][2]string{{dev, "cpu"}, {"cpu", dev}} {
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
			worst := 0.0
			for _, v := range [][3]float64{{want.DLoss, got.DLoss}, {want.GLoss, got.GLoss}, {want.DReal, got.DReal}, {want.V, got.V}} {
				e := scalarErr(v[0], v[1])
				worst = max(worst, e)
				require.LessOrEqual(t, e, fakeTol, "%v", v)
			}
			require.NoError(t, second.Sync())
			for i, ps := range paramsOf(ref) {
				all0, all1 := ps.All(), paramsOf(second)[i].All()
				names := map[string]bool{}
				var values [][]float32
				for _, p := range all0 {
					names[p.Name] = true
					values = append(values, p.Value.Float32s())
				}
				for k, p := range all0 {
					floor := 0.0
					var layer int
					if _, err := fmt.Sscanf(p.Name, "dense%d/b", &layer); err == nil && names[fmt.Sprintf("bn%d/scale", layer)] {
						floor = floorOf(values) // a bias before batch norm
					}
					e := relErrScaled(p.Value.Float32s(), all1[k].Value.Float32s(), floor)
					worst = max(worst, e)
					require.LessOrEqual(t, e, fakeTol, p.Name)
				}
			}
			t.Logf("largest relative difference from the uninterrupted CPU run after 3+3 steps: %v", worst)
		})
	}
}

// sampleAfterTraining trains a batch-norm MLP for 4 steps on dev with SGD
// and samples 40 points (not a multiple of the batch) with the inference
// graph, batch norm on the running statistics (as TestDeviceSampling).
func sampleAfterTraining(t *testing.T, dev string) *tensor.Dense {
	gen, disc := toyNets(t, 6, true, 0)
	tr, err := gan.NewTrainer(gen, disc, dcganAgreeConfig(gan.Config{BatchSize: 16, Seed: 3, Device: dev}))
	require.NoError(t, err)
	defer tr.Close()
	src := data.NewSourceLoader(data.NewRing8(), 1)
	for i := 0; i < 4; i++ {
		_, err := tr.Step(src)
		require.NoError(t, err)
	}
	s, err := tr.Sample(40)
	require.NoError(t, err)
	return s
}
