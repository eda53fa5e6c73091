//go:build !amd64 || purego

package metrics

// sqDist returns the squared Euclidean distance of a and b (same length)
// in float64 (sqDistGo).
func sqDist(a, b []float32) float64 { return sqDistGo(a, b) }
