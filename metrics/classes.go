package metrics

import (
	"fmt"
	"math"
)

// ClassHistogram returns the share of labels equal to each class 0, …,
// classes−1: for the labels a classifier gives a generator's samples, the
// generated distribution over classes. The shares sum to 1. It returns an
// error if there are no labels, classes < 1 or a label is out of range.
func ClassHistogram(labels []int, classes int) ([]float64, error) {
	if classes < 1 {
		return nil, fmt.Errorf("metrics: class histogram of %d classes", classes)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("metrics: class histogram of no labels")
	}
	hist := make([]float64, classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("metrics: class histogram: label %d is %d, outside [0, %d)", i, l, classes)
		}
		hist[l]++
	}
	for k := range hist {
		hist[k] /= float64(len(labels))
	}
	return hist, nil
}

// KLFromUniform returns KL(p ‖ u) in nats, where p is hist normalised to
// sum to 1 and u is the uniform distribution over its len(hist) bins: 0 for
// an even spread and log(len(hist)) when everything falls in one bin.
// Empty bins contribute 0 (0·log 0 = 0). hist may hold counts or shares;
// it returns an error if it is empty, has a negative or non-finite entry,
// or sums to 0.
func KLFromUniform(hist []float64) (float64, error) {
	if len(hist) == 0 {
		return 0, fmt.Errorf("metrics: KL from uniform of an empty histogram")
	}
	total := 0.0
	for i, v := range hist {
		if !(v >= 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("metrics: KL from uniform: bin %d is %v, want finite and >= 0", i, v)
		}
		total += v
	}
	if total == 0 {
		return 0, fmt.Errorf("metrics: KL from uniform of an all-zero histogram")
	}
	k := float64(len(hist))
	kl := 0.0
	for _, v := range hist {
		if v == 0 {
			continue
		}
		q := v / total
		kl += q * math.Log(q*k)
	}
	return math.Max(kl, 0), nil
}
