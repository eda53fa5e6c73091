package gan

import (
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/metrics"
	G "gorgonia.org/gorgonia"
)

// Stats are the statistics of one training step. StatsFields describes
// its float statistics for every consumer (files, progress lines, plots,
// report): a new statistic needs a line there.
type Stats struct {
	// Step is the number of steps completed, this one included.
	Step int `json:"step"`
	// DLoss is the discriminator's loss, averaged over the step's
	// discriminator passes (and over the discriminators of a
	// multi-adversary trainer); GLoss is the generator's loss.
	DLoss float64 `json:"d_loss"`
	GLoss float64 `json:"g_loss"`
	// DReal is the mean D(x) on the real batches and DFake the mean
	// D(G(z)) on the generated batches of the discriminator passes,
	// measured before each update. Both tend to 1/2 at the equilibrium.
	DReal float64 `json:"d_real"`
	DFake float64 `json:"d_fake"`
	// V is the estimate of V(D, G) = E[log D(x)] + E[log(1 − D(G(z)))]
	// on the same batches; −log 4 ≈ −1.386 at the equilibrium.
	V float64 `json:"v"`
	// DUpdates and GUpdates count the updates applied in this step;
	// DSkipped and GSkipped those the "losing" balance schedule skipped.
	DUpdates int `json:"d_updates"`
	GUpdates int `json:"g_updates"`
	DSkipped int `json:"d_skipped"`
	GSkipped int `json:"g_skipped"`
	// Diversity is the live mode-collapse alarm: the mean pairwise
	// distance between generated samples of the step's first batch divided
	// by the same for the real batch (on up to 32 samples of each). It is
	// near 1 when G is as varied as the data and falls towards 0 as G
	// collapses.
	Diversity float64 `json:"diversity"`
	// DGradNorm is the L2 norm of all of the discriminator's gradients
	// (every learnable's, as one vector), averaged over the step's
	// discriminator passes; GGradNorm the generator's, of its pass. A
	// multi-adversary trainer reports the mean over its networks. Both
	// are measured before any update, skipped ones included.
	DGradNorm float64 `json:"d_grad_norm"`
	GGradNorm float64 `json:"g_grad_norm"`
}

// passStats returns the mean D(x), mean D(G(z)) and the estimate of V of
// the last discriminator pass, averaged over all pairs of adversaries.
func (t *Trainer) passStats() (dReal, dFake, v float64) {
	pairs := float64(len(t.discs) * len(t.gens))
	for j := range t.discs {
		for i := range t.gens {
			real, fake := t.logitsOf(t.d.realOut[j], t.d.fakeOut[j][i])
			dFake += losses.MeanProb(fake) / pairs
			v += losses.Value(real, fake) / pairs
			if i == 0 {
				dReal += losses.MeanProb(real) / float64(len(t.discs))
			}
		}
	}
	return dReal, dFake, v
}

// diversity returns the ratio of the mean pairwise distance of generator
// 0's last batch to that of the real batch, on up to 32 samples each (0
// when the real batch has no spread).
func (t *Trainer) diversity() float64 {
	n := min(t.cfg.BatchSize, 32)
	size := t.d.real.Shape().TotalSize() / t.cfg.BatchSize
	gen, real := asFloat32(t.d.samples.Data(), n*size), asFloat32(t.d.real.Data(), n*size)
	r, err := metrics.DiversityRatio(gen, real, n, size)
	if err != nil {
		return 0
	}
	return r
}

// logitsOf converts the logits read from a run into float64 slices backed
// by the trainer's scratch buffer.
func (t *Trainer) logitsOf(real, fake G.Value) ([]float64, []float64) {
	n := t.cfg.BatchSize / t.cfg.Pack // one logit per packed row
	out := t.logits[:2*n]
	toFloat64(out[:n], real)
	toFloat64(out[n:], fake)
	return out[:n], out[n:]
}
