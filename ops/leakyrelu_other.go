//go:build !amd64 || purego

package ops

// leakyScale32 sets out[i] = dy[i]·(x[i] ≥ 0 ? 1 : slope) over x
// (leakyScaleGo32).
func leakyScale32(x, dy, out []float32, slope float32) { leakyScaleGo32(x, dy, out, slope) }
