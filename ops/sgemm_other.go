//go:build !amd64 || purego

package ops

// sgemmAsmKernels are the assembly kernels this CPU runs: none outside
// amd64 and under the purego tag, where goganSgemm uses sgemmKernelGo.
func sgemmAsmKernels() []*sgemmKern { return nil }
