//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// sgemmKernelAVX2 is the 6×16 micro-kernel in AVX2 with FMA
// (sgemm_amd64.s): sgemmKernelFunc's contract, on pointers to the packed
// panels and to the tile of C.
//
//go:noescape
func sgemmKernelAVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// sgemmKernelAsm checks the slices' lengths and calls sgemmKernelAVX2.
func sgemmKernelAsm(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[kc*sgemmMR-1]
	_ = b[kc*sgemmNR-1]
	_ = c[(sgemmMR-1)*ldc+sgemmNR-1]
	sgemmKernelAVX2(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// hasAVX2FMA reports whether the CPU (and the operating system) support
// sgemmKernelAVX2.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if hasAVX2FMA {
		sgemmKernel, sgemmKernelName = sgemmKernelAsm, "AVX2+FMA kernel"
	}
}
