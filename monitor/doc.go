// Package monitor watches a GAN run and makes its results easy to trust:
//
//   - Progress reports a long run's progress (steps/s, ETA and the live
//     statistics of gan.StatsFields: D loss, G loss, D(x), D(G(z)),
//     V(D,G), diversity...) as a progress bar on a terminal and as plain
//     log lines elsewhere (CI logs, files).
//   - History records the statistics of every step; WriteCurvePlot turns
//     it into the PNG curves of CurvePlots, one per gan.StatField.Plot,
//     with the equilibrium reference lines (D(x) = D(G(z)) = 1/2,
//     V(D,G) = −log 4, diversity 1).
//   - WriteHistogram (1-D data) and WriteScatter (2-D mixtures) plot
//     the generator's samples against the real data.
//   - WriteReport gathers the run's configuration, final statistics and
//     pictures into one self-contained report.html.
//
// Every file is written atomically: it is rendered into memory first and
// then replaces its destination in one rename, so a reader (or a crash)
// never sees a half-written picture or page.
//
// Monitor draws charts of numbers, with gonum/plot. Pictures of image
// samples (grids, the fixed-noise timeline, latent interpolation strips)
// belong to package images; a report shows them as figures like any PNG.
package monitor
