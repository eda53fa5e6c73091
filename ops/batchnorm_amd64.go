//go:build amd64 && !purego

package ops

// bnAffineAVX2 is bnAffineRow32's loop, four at a time, for n a multiple
// of 4 (batchnorm_amd64.s).
//
//go:noescape
func bnAffineAVX2(x, y *float32, n int, mu, a, b float64)

// bnGradInputAVX2 is bnGradInputRow32's loop, four at a time, for n a
// multiple of 4 (batchnorm_amd64.s).
//
//go:noescape
func bnGradInputAVX2(x, dy, dx *float32, n int, mu, k, dyMean, q float64)

// bnAffineRow32 sets o[j] = float32((float64(r[j]) − mu)·a + b): in AVX2
// where the CPU has it, the same operations in the same order as the Go
// loop (bnAffineRowGo), so the same values.
func bnAffineRow32(r, o []float32, mu, a, b float64) {
	o = o[:len(r)]
	n := len(r) &^ 3
	if n == 0 || !hasAVX2FMA {
		bnAffineRowGo(r, o, mu, a, b)
		return
	}
	bnAffineAVX2(&r[0], &o[0], n, mu, a, b)
	bnAffineRowGo(r[n:], o[n:], mu, a, b)
}

// bnGradInputRow32 sets o[j] = float32(k·(float64(g[j]) − dyMean −
// (float64(r[j]) − mu)·q)), in AVX2 where the CPU has it (same values as
// bnGradInputRowGo).
func bnGradInputRow32(r, g, o []float32, mu, k, dyMean, q float64) {
	g, o = g[:len(r)], o[:len(r)]
	n := len(r) &^ 3
	if n == 0 || !hasAVX2FMA {
		bnGradInputRowGo(r, g, o, mu, k, dyMean, q)
		return
	}
	bnGradInputAVX2(&r[0], &g[0], &o[0], n, mu, k, dyMean, q)
	bnGradInputRowGo(r[n:], g[n:], o[n:], mu, k, dyMean, q)
}
