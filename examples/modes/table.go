package main

import (
	"fmt"
	"math"
	"strings"
)

// paperRow is a row of Table 1 of Lin et al. 2018 (PacGAN): mean ± standard
// error over 10 trials of modes covered, high-quality share (%) and
// reverse KL.
type paperRow struct{ modes, modesSE, hq, hqSE, kl, klSE float64 }

// paper holds Table 1 (synthetic_data_experiments/results/Table1.png of
// fjxmlzn/PacGAN), by data set and variant.
var paper = map[string]map[string]paperRow{
	"ring": {
		"plain":   {6.3, 0.5, 98.2, 0.2, 0.45, 0.09},
		"pacgan2": {7.9, 0.1, 95.6, 2.0, 0.07, 0.03},
		"pacgan3": {7.8, 0.1, 97.7, 0.3, 0.10, 0.02},
		"pacgan4": {7.8, 0.1, 95.9, 1.4, 0.07, 0.02},
	},
	"grid": {
		"plain":   {17.3, 0.8, 94.8, 0.7, 0.70, 0.07},
		"pacgan2": {23.8, 0.7, 91.3, 0.8, 0.13, 0.04},
		"pacgan3": {24.6, 0.4, 94.2, 0.4, 0.06, 0.02},
		"pacgan4": {24.8, 0.2, 93.6, 0.6, 0.04, 0.01},
	},
}

// meanSD returns the mean and sample standard deviation of xs, skipping
// NaNs, and how many values were not NaN.
func meanSD(xs []float64) (mean, sd float64, n int) {
	for _, x := range xs {
		if !math.IsNaN(x) {
			mean += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	mean /= float64(n)
	if n < 2 {
		return mean, 0, n
	}
	for _, x := range xs {
		if !math.IsNaN(x) {
			sd += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(sd / float64(n-1)), n
}

// formatTable renders the runs, in the order of o's data sets, variants
// and seeds, as a Markdown table with PacGAN's Table 1 beside.
func formatTable(o options, rs []record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d steps, batch %d (packs for pacganm), Adam lr %g β1 %g, %d seeds, %d samples scored per run; "+
		"ours: mean ± sd over seeds; paper (Lin et al. 2018, Table 1): mean ± s.e. over 10 trials.\n\n",
		o.Steps, o.Batch, o.LR, o.Beta1, o.Seeds, o.Samples)
	if o.Penalty != "" {
		fmt.Fprintf(&b, "Every variant's discriminator has the penalty %s.\n\n", o.Penalty)
	}
	b.WriteString("| data | variant | modes | high quality % | reverse KL | reverse KL, all samples | D / G updates per step | s per run | paper: modes | paper: HQ % | paper: reverse KL |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for len(rs) > 0 {
		n := 1
		for n < len(rs) && rs[n].Data == rs[0].Data && rs[n].Variant == rs[0].Variant {
			n++
		}
		group := rs[:n]
		rs = rs[n:]
		var modes, hq, kl, klAll, secs, dUp, gUp []float64
		for _, r := range group {
			c, klHQ := r.coverage()
			modes = append(modes, float64(c.ModesCovered))
			hq = append(hq, 100*c.HighQualityShare)
			kl = append(kl, klHQ)
			klAll = append(klAll, c.ReverseKL)
			secs = append(secs, r.Seconds)
			dUp = append(dUp, float64(r.DUpdates)/float64(r.Settings.Steps))
			gUp = append(gUp, float64(r.GUpdates)/float64(r.Settings.Steps))
		}
		pm := func(xs []float64, prec int) string {
			m, s, k := meanSD(xs)
			if k == 0 {
				return "n/a"
			}
			out := fmt.Sprintf("%.*f ± %.*f", prec, m, prec, s)
			if k < len(xs) {
				out += fmt.Sprintf(" (%d of %d runs)", k, len(xs))
			}
			return out
		}
		mean := func(xs []float64) float64 { m, _, _ := meanSD(xs); return m }
		r0 := group[0]
		p, ok := paper[r0.Data][r0.Variant]
		ps := []string{"", "", ""}
		if ok {
			ps = []string{fmt.Sprintf("%.1f ± %.1f", p.modes, p.modesSE), fmt.Sprintf("%.1f ± %.1f", p.hq, p.hqSE),
				fmt.Sprintf("%.2f ± %.2f", p.kl, p.klSE)}
		}
		variant := r0.Variant
		if len(group) < o.Seeds {
			variant += fmt.Sprintf(" (%d of %d seeds)", len(group), o.Seeds)
		}
		fmt.Fprintf(&b, "| %s | %s | %s / %d | %s | %s | %s | %.2f / %.2f | %.0f | %s | %s | %s |\n",
			r0.Data, variant, pm(modes, 1), len(r0.Assigned), pm(hq, 1), pm(kl, 2), pm(klAll, 2),
			mean(dUp), mean(gUp), mean(secs), ps[0], ps[1], ps[2])
	}
	return b.String()
}
