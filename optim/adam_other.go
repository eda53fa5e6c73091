//go:build !amd64 || purego

package optim

// useAVX reports whether adamBulk runs a vector kernel: never here, without
// the amd64 assembly.
const useAVX = false

// adamBulk is the hook for a vector Adam kernel; without one it updates
// nothing and returns 0, leaving every element to adamConst32.updateGo.
func adamBulk(k *adamConst32, p, g, m, v []float32) int { return 0 }
