//go:build amd64 && !purego

package metrics

import "golang.org/x/sys/cpu"

// sqDistAVX2 returns Σ (a[k] − b[k])² over k < n, n a multiple of 16, in
// float64: each float32 widened, subtracted and squared into four
// 4-lane accumulators with fused multiply-adds (sqdist_amd64.s).
//
//go:noescape
func sqDistAVX2(a, b *float32, n int) float64

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sqDist returns the squared Euclidean distance of a and b (same length)
// in float64: sixteen elements at a time in AVX2 where the CPU has it
// (about four times the scalar loop's speed; the per-step diversity of a
// 64-sample MNIST batch was 5 % of an mlp step), the rest in sqDistGo.
func sqDist(a, b []float32) float64 {
	b = b[:len(a)]
	n := len(a) &^ 15
	if n == 0 || !hasAVX2FMA {
		return sqDistGo(a, b)
	}
	return sqDistAVX2(&a[0], &b[0], n) + sqDistGo(a[n:], b[n:])
}
