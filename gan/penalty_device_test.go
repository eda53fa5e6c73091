package gan_test

import (
	"strings"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/stretchr/testify/require"
)

// TestDeviceAgreesPenalties: the penalties' graphs (double backprop
// included) and the relativistic generator pass compile for a device and
// agree with the CPU (on "host", package gpu's reference kernels).
func TestDeviceAgreesPenalties(t *testing.T) {
	for _, cfg := range []gan.Config{
		{BatchSize: 16, DSteps: 2, Seed: 5, Loss: losses.WGANGP{}},
		{BatchSize: 16, Seed: 6, Penalty: gan.R1{Gamma: 10}},
		{BatchSize: 16, Seed: 8, Loss: losses.RSGAN{}},
		{BatchSize: 16, Seed: 7, Penalty: gan.R2{Gamma: 1}},
	} {
		name := "nonsaturating"
		if cfg.Loss != nil {
			name = cfg.Loss.Name()
		}
		if cfg.Penalty != nil {
			name += "+" + cfg.Penalty.String()
		}
		t.Run(name, func(t *testing.T) {
			compareDevice(t, mlpNets, cfg, mnistLike(16, 3), 2)
		})
	}
}

// TestDeviceAgreesRaGAN: RaGAN's discriminator loss does not change when
// every logit moves by the same amount, so the gradient of D's output bias
// is zero in exact arithmetic and float32 leaves a residue of cancelled
// terms that differs between CPU and device (and that any optimizer step
// turns into different tiny biases). The comparison is therefore of the
// first step's statistics (losses, D(x), D(G(z)), gradient norms) only;
// with a penalty, only those of the discriminator's pass, because the
// generator's pass then sees D after an update whose output bias moved by
// that residue.
func TestDeviceAgreesRaGAN(t *testing.T) {
	for _, pen := range []gan.Penalty{nil, gan.R2{Gamma: 1}} {
		var stats []gan.Stats
		for _, dev := range []string{"cpu", "host"} {
			gens, discs := mlpNets(t)
			tr, err := gan.NewTrainer(gens[0], discs[0], gan.Config{BatchSize: 16, Seed: 7, Loss: losses.RaGAN{}, Penalty: pen, Device: dev})
			require.NoError(t, err)
			st, err := tr.Step(mnistLike(16, 3)())
			require.NoError(t, err)
			stats = append(stats, st)
			require.NoError(t, tr.Close())
		}
		for _, f := range gan.StatsFields {
			if pen != nil && strings.HasPrefix(f.Name, "g_") {
				continue // the generator pass comes after D's update
			}
			require.LessOrEqual(t, scalarErr(f.Get(stats[0]), f.Get(stats[1])), agreeTol, "%v: %s", pen, f.Name)
		}
	}
}
