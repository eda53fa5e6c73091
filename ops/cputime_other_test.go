//go:build !unix

package ops

// processCPUSeconds is not measured here (0).
func processCPUSeconds() float64 { return 0 }
