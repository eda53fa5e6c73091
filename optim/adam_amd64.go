//go:build amd64 && !purego

package optim

import "golang.org/x/sys/cpu"

// useAVX reports whether adamBulk may run adamAVX: the CPU has AVX and the
// operating system saves the YMM registers.
var useAVX = cpu.X86.HasAVX

// adamAVX applies adamConst32.updateGo's step to p[0:n], grad[0:n], m[0:n]
// and v[0:n], n a multiple of 8, eight floats at a time with 256-bit AVX,
// in updateGo's order of operations and so bit-identical to it
// (adam_amd64.s).
//
//go:noescape
func adamAVX(p, grad, m, v *float32, n int, k *adamConst32)

// adamBulk updates the longest prefix of p (and of g, m and v, each at
// least as long) that adamAVX can, a multiple of 8 elements, and returns its
// length: 0 without AVX.
func adamBulk(k *adamConst32, p, g, m, v []float32) int {
	n := len(p) &^ 7
	if !useAVX || n == 0 {
		return 0
	}
	adamAVX(&p[0], &g[0], &m[0], &v[0], n, k)
	return n
}
