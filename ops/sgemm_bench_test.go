package ops

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemmStepShapes are the matrix products of one training step of
// cmd/ganbench's mlp and dcgan configurations (batch 64), as logged at
// runtimeImpl.Sgemm (2026-12-02), with how many times a step runs each.
// All have alpha = 1, beta = 0. The 1024³ product is the ceiling
// reference of bench/NOTES.md.
var sgemmStepShapes = []struct {
	config  string
	tA, tB  blas.Transpose
	m, n, k int
	perStep int
}{
	{"mlp", blas.NoTrans, blas.NoTrans, 64, 512, 784, 3},
	{"mlp", blas.NoTrans, blas.NoTrans, 64, 784, 512, 2},
	{"mlp", blas.NoTrans, blas.NoTrans, 64, 256, 512, 3},
	{"mlp", blas.NoTrans, blas.NoTrans, 64, 512, 256, 2},
	{"mlp", blas.NoTrans, blas.NoTrans, 64, 256, 100, 2},
	{"mlp", blas.NoTrans, blas.NoTrans, 64, 1, 256, 3},
	{"mlp", blas.NoTrans, blas.Trans, 64, 512, 256, 3},
	{"mlp", blas.NoTrans, blas.Trans, 64, 256, 512, 1},
	{"mlp", blas.NoTrans, blas.Trans, 64, 512, 784, 1},
	{"mlp", blas.NoTrans, blas.Trans, 64, 784, 512, 1},
	{"mlp", blas.NoTrans, blas.Trans, 64, 256, 1, 3},
	{"mlp", blas.Trans, blas.NoTrans, 784, 512, 64, 2},
	{"mlp", blas.Trans, blas.NoTrans, 512, 256, 64, 2},
	{"mlp", blas.Trans, blas.NoTrans, 512, 784, 64, 1},
	{"mlp", blas.Trans, blas.NoTrans, 256, 512, 64, 1},
	{"mlp", blas.Trans, blas.NoTrans, 100, 256, 64, 1},
	{"mlp", blas.Trans, blas.NoTrans, 256, 1, 64, 2},
	{"dcgan", blas.Trans, blas.NoTrans, 1024, 3136, 128, 5},
	{"dcgan", blas.NoTrans, blas.NoTrans, 128, 3136, 1024, 4},
	{"dcgan", blas.NoTrans, blas.Trans, 128, 1024, 3136, 3},
	{"dcgan", blas.NoTrans, blas.NoTrans, 64, 12544, 16, 4},
	{"dcgan", blas.Trans, blas.NoTrans, 16, 12544, 64, 3},
	{"dcgan", blas.NoTrans, blas.Trans, 64, 16, 12544, 3},
	{"dcgan", blas.NoTrans, blas.NoTrans, 64, 6272, 100, 2},
	{"dcgan", blas.Trans, blas.NoTrans, 100, 6272, 64, 1},
	{"dcgan", blas.NoTrans, blas.NoTrans, 64, 1, 6272, 3},
	{"dcgan", blas.NoTrans, blas.Trans, 64, 6272, 1, 3},
	{"dcgan", blas.Trans, blas.NoTrans, 6272, 1, 64, 2},
	{"ceiling", blas.NoTrans, blas.NoTrans, 1024, 1024, 1024, 0},
}

// BenchmarkSGEMM times the products of sgemmStepShapes on gonum's Sgemm,
// gogan's (goganSgemm, with the kernel it chooses: "gogan", and with each
// other assembly kernel the CPU has: "gogan-AVX2+FMA") and, where
// installed, OpenBLAS, all with the
// thread count of -cpu (GOMAXPROCS): run `go test ./ops -run '^$' -bench
// SGEMM -cpu 1` for the single-thread comparison. GFLOP/cpu-s divides
// by the process's CPU time instead of the wall time.
func BenchmarkSGEMM(b *testing.B) {
	var ref gonum.Implementation
	impls := []struct {
		name string
		f    func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	}{
		{"gonum", ref.Sgemm},
		{"gogan", goganSgemm},
	}
	for _, k := range sgemmAsmKernels() {
		if k != sgemmKernel {
			name := "gogan-" + strings.Fields(k.name)[0]
			impls = append(impls, struct {
				name string
				f    func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
			}{name, func(tA, tB blas.Transpose, m, n, kk int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				saved := sgemmKernel
				sgemmKernel = k
				goganSgemm(tA, tB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc)
				sgemmKernel = saved
			}})
		}
	}
	if l, err := loadBLAS("openblas"); err == nil {
		impls = append(impls, struct {
			name string
			f    func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
		}{"openblas", func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			libSgemm(l, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}})
	}
	rng := rand.New(rand.NewPCG(15, 6))
	for _, s := range sgemmStepShapes {
		a := make([]float32, s.m*s.k)
		bb := make([]float32, s.k*s.n)
		c := make([]float32, s.m*s.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range bb {
			bb[i] = float32(rng.NormFloat64())
		}
		lda, ldb := s.k, s.n
		if s.tA != blas.NoTrans {
			lda = s.m
		}
		if s.tB != blas.NoTrans {
			ldb = s.k
		}
		for _, impl := range impls {
			name := fmt.Sprintf("%s/%c%c_%dx%dx%d/%s", s.config, s.tA, s.tB, s.m, s.n, s.k, impl.name)
			b.Run(name, func(b *testing.B) {
				cpu0 := processCPUSeconds()
				for b.Loop() {
					impl.f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				flops := 2 * float64(s.m*s.n*s.k)
				reportGFLOPs(b, flops)
				if cpu := processCPUSeconds() - cpu0; cpu > 0 {
					// On a shared machine the CPU time the process got
					// is steadier than the wall time.
					b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
				}
			})
		}
	}
}
