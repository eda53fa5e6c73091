package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
)

// sgemmKernels are the micro-kernels the tests run goganSgemm with: the
// Go kernel and every assembly kernel this CPU supports.
func sgemmKernels() map[string]*sgemmKern {
	ks := map[string]*sgemmKern{"go": sgemmGo}
	for _, k := range sgemmAsmKernels() {
		ks[k.name] = k
	}
	return ks
}

// withSgemm runs f with kernel k and, where parallel, every product
// split over two goroutines, restoring both afterwards. With the Go
// kernel the B panels are packed without the assembly transposer too,
// as on other architectures.
func withSgemm(k *sgemmKern, parallel bool, f func()) {
	savedK, savedMin, savedThreads, savedT := sgemmKernel, sgemmParallelMin, blasThreads.Load(), sgemmTransposer
	defer func() {
		sgemmKernel, sgemmParallelMin, sgemmTransposer = savedK, savedMin, savedT
		blasThreads.Store(savedThreads)
	}()
	sgemmKernel = k
	if k == sgemmGo {
		sgemmTransposer = nil
	}
	if parallel {
		sgemmParallelMin = 0
		blasThreads.Store(2)
	} else {
		blasThreads.Store(1)
	}
	f()
}

// sgemmRef is C = alpha·op(A)·op(B) + beta·C in float64 (C not read for
// beta = 0), and the bound scale = |alpha|·Σ|a||b| + |beta·c| for each
// element's rounding error.
func sgemmRef(c gemmCaseT, a []float32, lda int, b []float32, ldb int, cc []float32, ldc int) (want, scale []float64) {
	want = make([]float64, c.m*c.n)
	scale = make([]float64, c.m*c.n)
	for i := range c.m {
		for j := range c.n {
			var s, sa float64
			for p := range c.k {
				ai, bi := i*lda+p, p*ldb+j
				if c.tA != blas.NoTrans {
					ai = p*lda + i
				}
				if c.tB != blas.NoTrans {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			w, sc := c.alpha*s, math.Abs(c.alpha)*sa
			if c.beta != 0 {
				w += c.beta * float64(cc[i*ldc+j])
				sc += math.Abs(c.beta * float64(cc[i*ldc+j]))
			}
			want[i*c.n+j], scale[i*c.n+j] = w, sc
		}
	}
	return want, scale
}

// sgemmData is random A, B, C for case c, with leading dimensions padded
// by c.pad; the padding holds NaN, which must never be read, as does C
// where beta = 0.
func sgemmData(rng *rand.Rand, c gemmCaseT, integers bool) (a []float32, lda int, b []float32, ldb int, cc []float32, ldc int) {
	val := func() float32 {
		if integers {
			return float32(rng.IntN(7) - 3)
		}
		return float32(rng.NormFloat64())
	}
	fill := func(rows, cols, ld int) []float32 {
		s := make([]float32, (rows-1)*ld+cols)
		for i := range s {
			if i%ld < cols {
				s[i] = val()
			} else {
				s[i] = float32(math.NaN())
			}
		}
		return s
	}
	ar, ac := c.aDims()
	br, bc := c.bDims()
	lda, ldb, ldc = ac+c.pad, bc+c.pad, c.n+c.pad
	a, b, cc = fill(ar, ac, lda), fill(br, bc, ldb), fill(c.m, c.n, ldc)
	if c.beta == 0 {
		for i := range cc {
			cc[i] = float32(math.NaN())
		}
	}
	return
}

// checkSgemm runs case c through goganSgemm and compares with the float64
// reference: within 2(k+2)·2⁻²⁴ of the error scale, exactly for integer
// data; C's padding must be left alone.
func checkSgemm(t *testing.T, rng *rand.Rand, c gemmCaseT, integers bool) []float32 {
	t.Helper()
	a, lda, b, ldb, cc, ldc := sgemmData(rng, c, integers)
	want, scale := sgemmRef(c, a, lda, b, ldb, cc, ldc)
	got := append([]float32(nil), cc...)
	goganSgemm(c.tA, c.tB, c.m, c.n, c.k, float32(c.alpha), a, lda, b, ldb, float32(c.beta), got, ldc)
	tol := 2 * float64(c.k+2) * 0x1p-24
	for i := range c.m {
		for j := range c.n {
			g, w := float64(got[i*ldc+j]), want[i*c.n+j]
			if integers {
				if g != w {
					t.Fatalf("%v: C[%d,%d] = %v, want %v exactly", c, i, j, g, w)
				}
			} else if math.Abs(g-w) > tol*scale[i*c.n+j]+1e-30 {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (error %.3g, bound %.3g)", c, i, j, g, w, math.Abs(g-w), tol*scale[i*c.n+j])
			}
		}
		for j := c.n; j < ldc && i*ldc+j < len(got); j++ {
			if !math.IsNaN(float64(got[i*ldc+j])) {
				t.Fatalf("%v: C's padding [%d,%d] written", c, i, j)
			}
		}
	}
	return got
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

// TestSgemmOddSizes checks goganSgemm against the float64 reference for
// all transpositions on sizes that are not multiples of the 6×16 tile,
// k = 1 and k across several depth blocks, alpha/beta pairs including
// beta = 0 over a NaN C, and padded leading dimensions; with each
// kernel, serial and split over two goroutines.
func TestSgemmOddSizes(t *testing.T) {
	sizes := []int{1, 2, 5, 6, 7, 13, 16, 17, 31, 37}
	ks := []int{1, 2, 3, 5, 8, 37, 256, 257, 2*256 + 37}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {1, -1}}
	for name, kern := range sgemmKernels() {
		for _, parallel := range []bool{false, true} {
			withSgemm(kern, parallel, func() {
				rng := rand.New(rand.NewPCG(15, 1))
				for _, tA := range transposes {
					for _, tB := range transposes {
						for _, m := range sizes {
							for _, n := range sizes {
								k := ks[rng.IntN(len(ks))]
								p := ab[rng.IntN(len(ab))]
								c := gemmCaseT{tA: tA, tB: tB, m: m, n: n, k: k, pad: rng.IntN(2) * 3, alpha: p[0], beta: p[1]}
								t.Run(name, func(t *testing.T) { checkSgemm(t, rng, c, false) })
							}
						}
					}
				}
			})
		}
	}
}

// TestSgemmBlocks covers products larger than one cache block in every
// direction (m > MC, n > NC, k > KC), exactly on integer data, with each
// kernel and thread split.
func TestSgemmBlocks(t *testing.T) {
	for name, kern := range sgemmKernels() {
		cases := []gemmCaseT{
			{m: kern.mc + 7, n: 45, k: kern.kc + 3, alpha: 1, beta: 1, pad: 1},
			{m: 7, n: kern.nc + 21, k: 5, alpha: 1, beta: 0},
			{m: 2*kern.mc + 1, n: 33, k: 2*kern.kc + 1, alpha: 2, beta: -1},
		}
		for _, parallel := range []bool{false, true} {
			withSgemm(kern, parallel, func() {
				rng := rand.New(rand.NewPCG(15, 2))
				for _, c := range cases {
					for _, tA := range transposes {
						for _, tB := range transposes {
							c.tA, c.tB = tA, tB
							t.Run(name, func(t *testing.T) { checkSgemm(t, rng, c, true) })
						}
					}
				}
			})
		}
	}
}

// TestSgemmDeterministic: the result does not depend on the kernel for
// exact (integer) data, nor on the thread split for any data.
func TestSgemmDeterministic(t *testing.T) {
	run := func(kern *sgemmKern, parallel bool, seed uint64, integers bool) []float32 {
		c := gemmCaseT{tA: blas.Trans, tB: blas.NoTrans, m: 61, n: 83, k: 300, alpha: 0.7, beta: 1.3, pad: 2}
		if integers {
			c.alpha, c.beta = 2, -1
		}
		var got []float32
		withSgemm(kern, parallel, func() {
			got = checkSgemm(t, rand.New(rand.NewPCG(seed, 3)), c, integers)
		})
		return got
	}
	for _, kern := range sgemmKernels() {
		serial := run(kern, false, 1, false)
		require.Equal(t, bitsOf(serial), bitsOf(run(kern, true, 1, false)), "serial and parallel differ")
	}
	ref := run(sgemmGo, false, 2, true)
	for name, kern := range sgemmKernels() {
		require.Equal(t, bitsOf(ref), bitsOf(run(kern, true, 2, true)), name)
	}
}

// TestSgemmTransposeInvariant: C = op(A)·op(B) and Cᵀ = op(B)ᵀ·op(A)ᵀ,
// computed with the other transpositions and roles, agree bit for bit,
// vectors (m = 1, n = 1) and narrow products included, and every assembly
// kernel rounds alike.
func TestSgemmTransposeInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 7))
	for _, sz := range [][3]int{{37, 29, 300}, {64, 1, 600}, {1, 64, 77}, {64, 16, 1000}, {5, 40, 1}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := make([]float32, m*k), make([]float32, k*n) // A m×k, B k×n, row-major
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		var first []uint32
		for name, kern := range sgemmKernels() {
			if kern == sgemmGo {
				continue // Go may or may not fuse the multiply-adds
			}
			withSgemm(kern, false, func() {
				c := make([]float32, m*n)
				goganSgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1.5, a, k, b, n, 0, c, n)
				// Cᵀ = Bᵀ·Aᵀ: B stored k×n is Bᵀ transposed, A stored m×k is Aᵀ transposed.
				ct := make([]float32, n*m)
				goganSgemm(blas.Trans, blas.Trans, n, m, k, 1.5, b, n, a, k, 0, ct, m)
				for i := range m {
					for j := range n {
						if math.Float32bits(c[i*n+j]) != math.Float32bits(ct[j*m+i]) {
							t.Fatalf("%s %dx%dx%d: C[%d,%d] = %v, (Cᵀ)[%d,%d] = %v", name, m, n, k, i, j, c[i*n+j], j, i, ct[j*m+i])
						}
					}
				}
				if first == nil {
					first = bitsOf(c)
				} else {
					require.Equal(t, first, bitsOf(c), "%s rounds unlike another assembly kernel", name)
				}
			})
		}
	}
}

func bitsOf(s []float32) []uint32 {
	u := make([]uint32, len(s))
	for i, v := range s {
		u[i] = math.Float32bits(v)
	}
	return u
}

// TestSgemmKernels runs each micro-kernel directly on random packed
// panels against a float64 reference: within a few roundings, exactly on
// integer panels; with beta = 0 the kernel must not read C (NaN there).
func TestSgemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 4))
	for name, kern := range sgemmKernels() {
		mr, nr := kern.mr, kern.nr
		for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 64, 255, 256} {
			for _, integers := range []bool{false, true} {
				for _, beta := range []float32{0, 1, -0.25} {
					val := func() float32 {
						if integers {
							return float32(rng.IntN(9) - 4)
						}
						return float32(rng.NormFloat64())
					}
					a, b := make([]float32, kc*mr), make([]float32, kc*nr)
					for i := range a {
						a[i] = val()
					}
					for i := range b {
						b[i] = val()
					}
					ldc := nr + 3
					c0 := make([]float32, (mr-1)*ldc+nr)
					for i := range c0 {
						c0[i] = float32(rng.IntN(5))
						if beta == 0 {
							c0[i] = float32(math.NaN())
						}
					}
					c := append([]float32(nil), c0...)
					kern.f(kc, a, b, c, ldc, 1.5, beta)
					for i := range mr {
						for j := range nr {
							var s, sa float64
							for p := range kc {
								v := float64(a[p*mr+i]) * float64(b[p*nr+j])
								s, sa = s+v, sa+math.Abs(v)
							}
							want, scale := 1.5*s, 1.5*sa
							if beta != 0 {
								want += float64(beta * c0[i*ldc+j])
								scale += math.Abs(float64(beta * c0[i*ldc+j]))
							}
							bound := 2 * float64(kc+2) * 0x1p-24 * scale
							if integers {
								bound = 0
							}
							if g := float64(c[i*ldc+j]); !(math.Abs(g-want) <= bound) {
								t.Fatalf("%s kc %d beta %v [%d,%d]: %v, want %v", name, kc, beta, i, j, g, want)
							}
						}
						for j := nr; j < ldc && i*ldc+j < len(c); j++ {
							require.Equal(t, math.Float32bits(c0[i*ldc+j]), math.Float32bits(c[i*ldc+j]), "%s: wrote outside the tile", name)
						}
					}
				}
			}
		}
	}
}

// TestSgemmNaNInf: NaN and Inf in A or B reach exactly the elements of C
// whose sums contain them (as in the float64 reference), with each kernel.
func TestSgemmNaNInf(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for name, kern := range sgemmKernels() {
		withSgemm(kern, false, func() {
			rng := rand.New(rand.NewPCG(15, 5))
			for _, tA := range transposes {
				for _, tB := range transposes {
					c := gemmCaseT{tA: tA, tB: tB, m: 9, n: 19, k: 11, alpha: 1, beta: 0}
					a, lda, b, ldb, cc, ldc := sgemmData(rng, c, false)
					a[3*lda+4] = nan // A's [3,4] (NoTrans) or [4,3] (Trans)
					b[2*ldb+5] = inf
					b[7*ldb+1] = -inf
					want, _ := sgemmRef(c, a, lda, b, ldb, cc, ldc)
					goganSgemm(tA, tB, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, cc, ldc)
					nans, infs := 0, 0
					for i := range c.m {
						for j := range c.n {
							g, w := float64(cc[i*ldc+j]), want[i*c.n+j]
							switch {
							case math.IsNaN(w):
								nans++
								require.True(t, math.IsNaN(g), "%s %v [%d,%d]: %v, want NaN", name, c, i, j, g)
							case math.IsInf(w, 0):
								infs++
								require.Equal(t, w, g, "%s %v [%d,%d]", name, c, i, j)
							default:
								require.False(t, math.IsNaN(g) || math.IsInf(g, 0), "%s %v [%d,%d]: %v, want %v", name, c, i, j, g, w)
							}
						}
					}
					require.Positive(t, nans, "%s %v: no NaN reached C", name, c)
					require.Positive(t, infs, "%s %v: no Inf reached C", name, c)
				}
			}
		})
	}
}

// TestSgemmNoProduct: alpha = 0 or k = 0 scale C by beta without reading
// A or B; beta = 0 then zeroes a NaN C; m or n = 0 does nothing; bad
// arguments panic with gonum's messages.
func TestSgemmNoProduct(t *testing.T) {
	nan := float32(math.NaN())
	c := []float32{1, 2, 3, 4}
	goganSgemm(blas.NoTrans, blas.NoTrans, 2, 2, 1, 0, []float32{nan, nan}, 1, []float32{nan, nan}, 2, 2, c, 2)
	require.Equal(t, []float32{2, 4, 6, 8}, c)
	c = []float32{nan, nan, nan, nan}
	goganSgemm(blas.NoTrans, blas.NoTrans, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
	require.Equal(t, []float32{0, 0, 0, 0}, c)
	goganSgemm(blas.NoTrans, blas.NoTrans, 0, 2, 3, 1, nil, 3, make([]float32, 6), 2, 0, nil, 2)
	require.PanicsWithValue(t, "blas: insufficient length of c", func() {
		goganSgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
	})
	require.PanicsWithValue(t, "blas: bad leading dimension of A", func() {
		goganSgemm(blas.Trans, blas.NoTrans, 3, 2, 2, 1, make([]float32, 6), 2, make([]float32, 4), 2, 0, make([]float32, 6), 2)
	})
}

// TestSgemmNoAllocs: a single-thread product allocates nothing once the
// packing buffers exist.
func TestSgemmNoAllocs(t *testing.T) {
	a, b, c := make([]float32, 64*300), make([]float32, 300*70), make([]float32, 64*70)
	kern := sgemmKernel
	if kern.f == nil {
		kern = sgemmGo // gonum's Sgemm starts goroutines
	}
	withSgemm(kern, false, func() {
		goganSgemm(blas.NoTrans, blas.Trans, 64, 70, 300, 1, a, 300, b, 300, 0, c, 70)
		allocs := testing.AllocsPerRun(20, func() {
			goganSgemm(blas.NoTrans, blas.Trans, 64, 70, 300, 1, a, 300, b, 300, 0, c, 70)
		})
		require.Zero(t, allocs)
	})
}

// TestUseBLASGogan: GOGAN_BLAS=gogan (here UseBLAS) puts Gorgonia's and
// gonum's products on goganSgemm, and BLAS names it.
func TestUseBLASGogan(t *testing.T) {
	defer func() { require.NoError(t, UseBLAS(blasChoice)) }()
	require.NoError(t, UseBLAS("gogan"))
	require.NoError(t, BLASError())
	require.Contains(t, BLAS(), "gogan (pure Go, "+sgemmKernel.name+", ")
	require.IsType(t, runtimeImpl{}, blas32.Implementation())
	require.IsType(t, runtimeImpl{}, G.WhichBLAS())
	c := []float32{0}
	blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, 1, 1, 2, 1, []float32{2, 3}, 2, []float32{4, 5}, 1, 0, c, 1)
	require.Equal(t, float32(23), c[0])

	require.NoError(t, UseBLAS("gogan-go"))
	require.Contains(t, BLAS(), "gogan (pure Go, generic Go kernel, ")
	require.Same(t, sgemmGo, sgemmKernel)
	for _, k := range sgemmAsmKernels() {
		require.NoError(t, UseBLAS("gogan-"+k.id))
		require.Contains(t, BLAS(), k.name)
	}
	require.ErrorContains(t, UseBLAS("gogan-avx1024"), "GOGAN_BLAS=gogan-avx1024: no such SGEMM kernel")
	require.Contains(t, BLAS(), "gogan (pure Go, ", "a failed UseBLAS changes nothing")
	require.NoError(t, UseBLAS("go"))
	require.NoError(t, UseBLAS("gogan"))
	require.Same(t, sgemmBest(), sgemmKernel)
}
