// Package metrics measures what a GAN has learned, and in particular how
// far it has collapsed onto a few modes of its data.
//
// # Mode coverage on 2-D Gaussian mixtures
//
// ModeCoverage and MixtureCoverage score samples from a generator trained
// on a mixture of isotropic 2-D Gaussians — the 8-Gaussian ring
// (data.NewRing8: means on the unit circle at angles 2πi/8, std 0.01) and
// the 25-Gaussian grid (data.NewGrid25: means on {−4, −2, 0, 2, 4}², std
// 0.05) — with the measures of VEEGAN (Srivastava et al. 2017) and PacGAN
// (Lin et al. 2018):
//
//   - the share of high-quality samples, those within 3 standard
//     deviations of the mean of their nearest mode;
//   - the number of modes covered, the modes that are the nearest mode of
//     at least one high-quality sample;
//   - the reverse KL divergence KL(p_gen ‖ p_true) between the generated
//     distribution over modes and the true, uniform one: over all samples,
//     each assigned to its nearest mode (Coverage.ReverseKL), and over the
//     high-quality samples only, as PacGAN's public code computes it
//     (Coverage.ReverseKLHighQuality).
//
// PacGAN's Table 1 (Lin et al. 2018) reports, as mean ± standard error
// over 10 trials of 400,000 iterations: on the ring, a plain GAN covers
// 6.3 of 8 modes with 98.2% high-quality samples and PacGAN4 covers 7.8;
// on the grid, a plain GAN covers 17.3 of 25 modes with 94.8%
// high-quality samples and PacGAN4 covers 24.8. docs/modes.md gives the
// published setup; examples/modes reproduces it.
//
// # Live collapse alarm
//
// Diversity is the mean pairwise Euclidean distance of a batch;
// DiversityRatio divides a generated batch's by a real batch's. A ratio
// near 1 means the generator is as varied as the data; a ratio much below
// 1 means it is collapsing.
//
// # Feature distributions
//
// FrechetDistance is the Fréchet distance between two Gaussians, the
// formula of the Fréchet Inception Distance (Heusel et al. 2017), applied
// to the MeanCov of two sets of features. ClassHistogram and KLFromUniform
// measure how evenly a generator's samples spread over the classes that a
// classifier assigns them to (for example the ten digits of MNIST).
package metrics
