package losses

import "math"

// Softplus returns log(1 + eˣ), computed without overflow or loss of
// precision for any x: max(x, 0) + log1p(e^−|x|). It is +Inf for +Inf,
// 0 for −Inf and NaN for NaN.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Sigmoid returns σ(x) = 1/(1 + e^−x), computed without overflow for any
// x.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	ex := math.Exp(x)
	return ex / (1 + ex)
}

// Logit returns log(p/(1 − p)), the logit whose sigmoid is p: the inverse
// of Sigmoid. It is −Inf for 0, +Inf for 1 and NaN outside [0, 1].
func Logit(p float64) float64 {
	return math.Log(p) - math.Log1p(-p)
}

// LogSigmoid returns log σ(x) = −softplus(−x), finite for every finite x.
func LogSigmoid(x float64) float64 { return -Softplus(-x) }

// MeanProb returns the mean of σ(logit) over logits: the discriminator's
// average probability that its inputs are real. It is NaN for no logits.
func MeanProb(logits []float64) float64 {
	s := 0.0
	for _, t := range logits {
		s += Sigmoid(t)
	}
	return s / float64(len(logits))
}

// Value returns the estimate of the GAN value function
//
//	V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))]
//	        = mean(−softplus(−real)) + mean(−softplus(fake))
//
// from the discriminator's logits on a batch of real samples and a batch
// of generated ones, in nats. It is computed stably from the logits
// (log σ(t) = −softplus(−t), log(1 − σ(t)) = −softplus(t)), so it stays
// finite for any finite logits. V is at most 0, and −log 4 ≈ −1.386294 at
// the equilibrium D = ½; it is −1 times Minimax's discriminator loss. It
// is NaN if either batch is empty.
func Value(realLogits, fakeLogits []float64) float64 {
	r := 0.0
	for _, t := range realLogits {
		r -= Softplus(-t)
	}
	f := 0.0
	for _, t := range fakeLogits {
		f -= Softplus(t)
	}
	return r/float64(len(realLogits)) + f/float64(len(fakeLogits))
}
