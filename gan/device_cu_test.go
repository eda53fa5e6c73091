//go:build cu

package gan_test

import (
	"errors"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/gpu"
	"github.com/stretchr/testify/require"
)

// TestCUDAWithTag: with the cu build tag, a machine without an NVIDIA
// driver refuses a GPU device saying so; on a machine with one, a
// trainer opens it (the agreement of its steps with the CPU is
// TestCUDAAgrees).
func TestCUDAWithTag(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{Device: "cuda"})
	if errors.Is(err, gpu.ErrNoDriver) {
		require.ErrorContains(t, err, `Device "cuda"`)
		require.ErrorContains(t, err, "no NVIDIA driver")
		t.Skipf("no NVIDIA driver on this machine (the refusal was checked): %v", err)
	}
	require.NoError(t, err)
	require.Contains(t, tr.DeviceName(), "cuda:0")
	require.NoError(t, tr.Close())
	_, err = gan.NewTrainer(gen, disc, gan.Config{Device: "cuda:99"})
	require.ErrorContains(t, err, "cuda:99")
}

// gpuTol is the agreement required of the GPU with the CPU: float32
// relative error under 1e-4 (the kernels use the hardware's approximate
// exp2, log2 and tanh, and cuBLAS sums in another order).
const gpuTol = 1e-4

// TestCUDAAgrees runs the host-device agreement tests on the GPU.
func TestCUDAAgrees(t *testing.T) {
	gen, disc := toyNets(t, 1, false, 0)
	if _, err := gan.NewTrainer(gen, disc, gan.Config{Device: "cuda"}); errors.Is(err, gpu.ErrNoDriver) {
		t.Skipf("no NVIDIA driver on this machine, GPU test skipped: %v", err)
	}
	t.Run("mlp", func(t *testing.T) {
		compareOn(t, "cuda", gpuTol, mlpNets, dcganAgreeConfig(gan.Config{BatchSize: 16, DSteps: 2, Seed: 5}), mnistLike(16, 3), 3)
	})
	t.Run("dcgan", func(t *testing.T) {
		compareOn(t, "cuda", gpuTol, dcganNets, dcganAgreeConfig(gan.Config{BatchSize: 8, Seed: 5}), randomImages(t, 32, 1, 3), 3)
	})
	t.Run("dcgan-minibatch-pacgan", func(t *testing.T) {
		compareOn(t, "cuda", gpuTol, mbdNets, dcganAgreeConfig(gan.Config{BatchSize: 8, Pack: 2, Seed: 5}), randomImages(t, 32, 1, 3), 3)
	})
	for _, loss := range []string{"minimax", "nonsaturating", "leastsquares", "hinge", "wasserstein"} {
		t.Run("raw-"+loss, func(t *testing.T) {
			compareOn(t, "cuda", gpuTol, rawNets, rawConfig(t, loss), mnistLike(16, 3), 4)
		})
	}
}
