//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// sgemmKernelAVX2 is the 6×16 micro-kernel in AVX2 with FMA
// (sgemm_amd64.s): sgemmKernelFunc's contract, on pointers to the packed
// panels and to the tile of C.
//
//go:noescape
func sgemmKernelAVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// sgemmKernelAVX512 is the 12×32 micro-kernel in AVX-512F
// (sgemm_amd64.s), with sgemmKernelAVX2's contract.
//
//go:noescape
func sgemmKernelAVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// sgemmPackT8 transposes 8 rows of src (stride lds) into k8 rows of 8
// floats of dst (stride ldd): dst[p·ldd+j] = src[j·lds+p] for j < 8,
// p < k8, k8 a multiple of 8 (sgemm_amd64.s; AVX).
//
//go:noescape
func sgemmPackT8(dst *float32, ldd int, src *float32, lds int, k8 int)

// sgemmTranspose8 is sgemmPackT8 on slices, with their lengths checked.
func sgemmTranspose8(dst []float32, ldd int, src []float32, lds int, k8 int) {
	if k8 == 0 {
		return
	}
	_ = dst[(k8-1)*ldd+7]
	_ = src[7*lds+k8-1]
	sgemmPackT8(&dst[0], ldd, &src[0], lds, k8)
}

// sgemmAVX2 checks the slices' lengths and calls sgemmKernelAVX2.
func sgemmAVX2(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[kc*6-1]
	_ = b[kc*16-1]
	_ = c[5*ldc+16-1]
	sgemmKernelAVX2(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// sgemmAVX512 checks the slices' lengths and calls sgemmKernelAVX512.
func sgemmAVX512(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[kc*12-1]
	_ = b[kc*32-1]
	_ = c[11*ldc+32-1]
	sgemmKernelAVX512(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// The assembly kernels, where the CPU and the operating system support
// them (x/sys/cpu checks both). The AVX-512 kernel's B panel (32 columns ×
// KC 256) is 32 KiB, two thirds of the development VM's 48 KiB L1d; its
// A block MC×KC = 144×256 as the AVX2 kernel's.
var (
	sgemmAVX2Kern   = &sgemmKern{id: "avx2", name: "AVX2+FMA kernel", f: sgemmAVX2, mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096}
	sgemmAVX512Kern = &sgemmKern{id: "avx512", name: "AVX-512 kernel", f: sgemmAVX512, mr: 12, nr: 32, mc: 144, kc: 256, nc: 4096}

	hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512  = cpu.X86.HasAVX512F
)

// sgemmAsmKernels are the assembly kernels this CPU runs, widest first.
func sgemmAsmKernels() []*sgemmKern {
	var ks []*sgemmKern
	if hasAVX512 {
		ks = append(ks, sgemmAVX512Kern)
	}
	if hasAVX2FMA {
		ks = append(ks, sgemmAVX2Kern)
	}
	return ks
}

func init() {
	if len(sgemmAsmKernels()) > 0 {
		sgemmTransposer = sgemmTranspose8
	}
	if hasAVX2FMA {
		sgemmAVX512Kern.narrow = sgemmAVX2Kern // n < 32: a 16-wide tile wastes less
	}
}
