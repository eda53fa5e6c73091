// Package monitor watches a GAN run and makes its results easy to trust:
//
//   - Progress reports a long run's progress (steps/s, ETA and the live
//     D loss, G loss, D(x), D(G(z)) and V(D,G)) as a progress bar on a
//     terminal and as plain log lines elsewhere (CI logs, files).
//   - History records the statistics of every step; the Write*Plot
//     functions turn it into PNG curves with the equilibrium reference
//     lines (D(x) = D(G(z)) = 1/2, V(D,G) = −log 4).
//   - WriteHistogram (1-D data), WriteScatter (2-D mixtures),
//     WriteSampleTimeline (fixed-noise grids over training) and
//     WriteInterpolation (a walk through latent space) picture the
//     generator itself.
//   - WriteReport gathers the run's configuration, final statistics and
//     pictures into one self-contained report.html.
//
// Every file is written atomically: it is rendered into memory first and
// then replaces its destination in one rename, so a reader (or a crash)
// never sees a half-written picture or page.
package monitor
