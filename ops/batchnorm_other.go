//go:build !amd64 || purego

package ops

// bnAffineRow32 is bnAffineRowGo where there is no assembly loop.
func bnAffineRow32(r, o []float32, mu, a, b float64) { bnAffineRowGo(r, o, mu, a, b) }

// bnGradInputRow32 is bnGradInputRowGo where there is no assembly loop.
func bnGradInputRow32(r, g, o []float32, mu, k, dyMean, q float64) {
	bnGradInputRowGo(r, g, o, mu, k, dyMean, q)
}
