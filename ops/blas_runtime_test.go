package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// testLibrary returns the BLAS library the tests compare with gonum: the
// one GOGAN_BLAS names, else the first one installed (also under
// GOGAN_BLAS=go, which only keeps the package itself on gonum). It skips
// the test where none is installed.
func testLibrary(t *testing.T) *cblasLib {
	t.Helper()
	choice := blasChoice
	if isPureGo(choice) {
		choice = "auto"
	}
	l, err := loadBLAS(choice)
	require.NoError(t, err)
	if l == nil {
		t.Skip("no BLAS library installed (Debian: apt-get install libopenblas0-pthread); the run-time BLAS is not tested")
	}
	return l
}

// gemmCaseT is one GEMM of the agreement tests.
type gemmCaseT struct {
	tA, tB      blas.Transpose
	m, n, k     int
	pad         int // added to every leading dimension
	alpha, beta float64
}

func (c gemmCaseT) String() string {
	return fmt.Sprintf("%c%c/m%d/n%d/k%d/pad%d/alpha%g/beta%g", c.tA, c.tB, c.m, c.n, c.k, c.pad, c.alpha, c.beta)
}

// dims are the row and column counts of op(A) stored row-major with
// its transposition: rows×cols of the stored matrix.
func (c gemmCaseT) aDims() (int, int) {
	if c.tA == blas.NoTrans {
		return c.m, c.k
	}
	return c.k, c.m
}

func (c gemmCaseT) bDims() (int, int) {
	if c.tB == blas.NoTrans {
		return c.k, c.n
	}
	return c.n, c.k
}

// gemmCases are all transpositions on odd, unit and larger sizes, with
// padded leading dimensions and the alphas and betas that matter.
func gemmCases(rng *rand.Rand) []gemmCaseT {
	sizes := [][3]int{{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 5, 1}, {2, 3, 4}, {7, 13, 17}, {31, 33, 35},
		{64, 65, 63}, {129, 67, 255}, {64, 512, 784}}
	for range 6 {
		sizes = append(sizes, [3]int{1 + rng.IntN(200), 1 + rng.IntN(200), 1 + rng.IntN(300)})
	}
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	var cs []gemmCaseT
	for i, s := range sizes {
		for _, tA := range trans {
			for _, tB := range trans {
				for j, ab := range [][2]float64{{1, 0}, {-0.75, 1}, {2.5, 0.5}} {
					if j > 0 && s[0]*s[1]*s[2] > 1e6 {
						break // one product of the large size per transposition
					}
					cs = append(cs, gemmCaseT{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], pad: (i + j) % 3 * 2, alpha: ab[0], beta: ab[1]})
				}
			}
		}
	}
	return cs
}

// gemmData is the operands of a case, float64, with ld's padding filled
// with NaN (which must never be read) and, when beta is 0, C all NaN
// (which BLAS must not read either).
func gemmData(rng *rand.Rand, c gemmCaseT) (a []float64, lda int, b []float64, ldb int, cc []float64, ldc int) {
	fill := func(rows, cols, ld int) []float64 {
		s := make([]float64, (rows-1)*ld+cols)
		for i := range s {
			if i%ld < cols {
				s[i] = 2*rng.Float64() - 1
			} else {
				s[i] = math.NaN()
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
			cc[i] = math.NaN()
		}
	}
	return
}

// refGemm is the exact-enough reference in float64 and the bound of a
// rounding error: sum of |alpha·a·b| terms plus |beta·c|.
func refGemm(c gemmCaseT, a []float64, lda int, b []float64, ldb int, cc []float64, ldc int) (want, scale []float64) {
	at := func(i, p int) float64 {
		if c.tA == blas.NoTrans {
			return a[i*lda+p]
		}
		return a[p*lda+i]
	}
	bt := func(p, j int) float64 {
		if c.tB == blas.NoTrans {
			return b[p*ldb+j]
		}
		return b[j*ldb+p]
	}
	want, scale = make([]float64, c.m*c.n), make([]float64, c.m*c.n)
	for i := range c.m {
		for j := range c.n {
			var s, abs float64
			for p := range c.k {
				s += at(i, p) * bt(p, j)
				abs += math.Abs(at(i, p) * bt(p, j))
			}
			v, sc := c.alpha*s, math.Abs(c.alpha)*abs
			if c.beta != 0 {
				v += c.beta * cc[i*ldc+j]
				sc += math.Abs(c.beta * cc[i*ldc+j])
			}
			want[i*c.n+j], scale[i*c.n+j] = v, sc
		}
	}
	return want, scale
}

// checkGemm compares got (C as the BLAS left it, ld ldc) with want:
// every element within tol·scale, NaN where want is NaN, infinities of
// the same sign, and the padding of C untouched.
func checkGemm(t *testing.T, name string, c gemmCaseT, got, before []float64, ldc int, want, scale []float64, tol float64) {
	t.Helper()
	for i := range c.m {
		for j := range c.n {
			g, w := got[i*ldc+j], want[i*c.n+j]
			switch {
			case math.IsNaN(w):
				if !math.IsNaN(g) {
					t.Fatalf("%s %v: C[%d,%d] = %v, want NaN", name, c, i, j, g)
				}
			case math.IsInf(w, 0):
				if g != w {
					t.Fatalf("%s %v: C[%d,%d] = %v, want %v", name, c, i, j, g, w)
				}
			default:
				if math.IsNaN(g) || math.Abs(g-w) > tol*scale[i*c.n+j]+1e-300 {
					t.Fatalf("%s %v: C[%d,%d] = %v, want %v (|diff| %g > %g)", name, c, i, j, g, w, math.Abs(g-w), tol*scale[i*c.n+j])
				}
			}
		}
		for j := c.n; j < ldc && i*ldc+j < len(got); j++ {
			if !(math.IsNaN(got[i*ldc+j]) && math.IsNaN(before[i*ldc+j])) && got[i*ldc+j] != before[i*ldc+j] {
				t.Fatalf("%s %v: padding C[%d,%d] changed", name, c, i, j)
			}
		}
	}
}

func to32s(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

func to64s(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// runBoth runs case c with data (a, b, cc) on the library (Sgemm and
// Dgemm) and on gonum, and checks all four against the reference.
func runBoth(t *testing.T, l *cblasLib, c gemmCaseT, a []float64, lda int, b []float64, ldb int, cc []float64, ldc int) {
	t.Helper()
	// The reference sees the operands as float32 would hold them.
	a32, b32, c32 := to32s(a), to32s(b), to32s(cc)
	want32, scale32 := refGemm(c, to64s(a32), lda, to64s(b32), ldb, to64s(c32), ldc)
	want64, scale64 := refGemm(c, a, lda, b, ldb, cc, ldc)
	tol32 := 4 * float64(c.k+2) * 0x1p-24
	tol64 := 4 * float64(c.k+2) * 0x1p-53
	var ref gonum.Implementation
	for _, impl := range []struct {
		name string
		s    func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
		d    func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	}{
		{l.name, func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			libSgemm(l, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}, func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
			libDgemm(l, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}},
		{"gonum", ref.Sgemm, ref.Dgemm},
	} {
		got32 := append([]float32(nil), c32...)
		impl.s(c.tA, c.tB, c.m, c.n, c.k, float32(c.alpha), a32, lda, b32, ldb, float32(c.beta), got32, ldc)
		checkGemm(t, impl.name+" Sgemm", c, to64s(got32), to64s(c32), ldc, want32, scale32, tol32)
		got64 := append([]float64(nil), cc...)
		impl.d(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got64, ldc)
		checkGemm(t, impl.name+" Dgemm", c, got64, cc, ldc, want64, scale64, tol64)
	}
}

// TestRuntimeBLASAgreesWithGonum checks the loaded library's Sgemm and
// Dgemm, through the row-major wrapper, against a float64 reference and
// gonum's own: all transpositions, odd and unit sizes, leading
// dimensions wider than the matrices (padding must be neither read nor
// written), beta 0 on a C full of NaN (BLAS: C is not read).
func TestRuntimeBLASAgreesWithGonum(t *testing.T) {
	l := testLibrary(t)
	t.Logf("library: %s %s (%s)", l.name, l.version, l.file)
	rng := rand.New(rand.NewPCG(7, 11))
	for _, c := range gemmCases(rng) {
		a, lda, b, ldb, cc, ldc := gemmData(rng, c)
		runBoth(t, l, c, a, lda, b, ldb, cc, ldc)
	}
}

// TestRuntimeBLASNaNInf checks that NaN and ±Inf in A or B propagate as
// in the reference: NaN where a NaN or Inf·0 or Inf−Inf enters a sum,
// the infinity's sign elsewhere.
func TestRuntimeBLASNaNInf(t *testing.T) {
	l := testLibrary(t)
	rng := rand.New(rand.NewPCG(3, 5))
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0}
	for _, c := range []gemmCaseT{
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 9, n: 11, k: 13, alpha: 1, beta: 0},
		{tA: blas.Trans, tB: blas.NoTrans, m: 33, n: 17, k: 65, pad: 2, alpha: -1, beta: 1},
		{tA: blas.NoTrans, tB: blas.Trans, m: 64, n: 70, k: 129, pad: 1, alpha: 0.5, beta: 0.5},
		{tA: blas.Trans, tB: blas.Trans, m: 1, n: 200, k: 3, alpha: 2, beta: 0},
	} {
		a, lda, b, ldb, cc, ldc := gemmData(rng, c)
		ar, ac := c.aDims()
		br, bc := c.bDims()
		for range 3 {
			a[rng.IntN(ar)*lda+rng.IntN(ac)] = specials[rng.IntN(len(specials))]
			b[rng.IntN(br)*ldb+rng.IntN(bc)] = specials[rng.IntN(len(specials))]
		}
		if c.beta != 0 {
			cc[rng.IntN(c.m)*ldc+rng.IntN(c.n)] = math.Inf(1)
			cc[rng.IntN(c.m)*ldc+rng.IntN(c.n)] = math.NaN()
		}
		runBoth(t, l, c, a, lda, b, ldb, cc, ldc)
	}
}

// TestRuntimeBLASEdgeCases: empty products, k = 0 and alpha = 0 (beta
// scales C, beta 0 zeroes a NaN C) go to gonum; bad arguments panic with
// gonum's messages before reaching the library.
func TestRuntimeBLASEdgeCases(t *testing.T) {
	l := testLibrary(t)
	c := []float32{float32(math.NaN()), 2, 3, 4}
	libSgemm(l, blas.NoTrans, blas.NoTrans, 2, 2, 0, 1, make([]float32, 1), 1, nil, 2, 0, c, 2)
	require.Equal(t, []float32{0, 0, 0, 0}, c)
	c = []float32{1, 2, 3, 4}
	libSgemm(l, blas.NoTrans, blas.NoTrans, 2, 2, 1, 0, []float32{5, 1}, 1, []float32{1, 1}, 2, 2, c, 2)
	require.Equal(t, []float32{2, 4, 6, 8}, c)
	libSgemm(l, blas.NoTrans, blas.NoTrans, 0, 2, 3, 1, nil, 3, make([]float32, 6), 2, 0, nil, 2)
	require.PanicsWithValue(t, "blas: insufficient length of a", func() {
		libSgemm(l, blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
	})
	require.PanicsWithValue(t, "blas: insufficient length of c", func() {
		libDgemm(l, blas.NoTrans, blas.Trans, 2, 2, 2, 1, make([]float64, 4), 2, make([]float64, 4), 2, 0, make([]float64, 3), 2)
	})
	require.PanicsWithValue(t, "blas: bad leading dimension of B", func() {
		libDgemm(l, blas.NoTrans, blas.NoTrans, 2, 3, 2, 1, make([]float64, 4), 2, make([]float64, 6), 2, 0, make([]float64, 6), 3)
	})
}

// TestRuntimeBLASNoAllocs: a product on the library allocates at most
// once (purego.SyscallN's argument slice escapes; gonum's parallel Sgemm
// allocates its goroutines and channels).
func TestRuntimeBLASNoAllocs(t *testing.T) {
	l := testLibrary(t)
	a, b, c := make([]float32, 64*100), make([]float32, 100*50), make([]float32, 64*50)
	allocs := testing.AllocsPerRun(50, func() {
		libSgemm(l, blas.NoTrans, blas.Trans, 64, 50, 100, 1, a, 100, b, 100, 0, c, 50)
	})
	require.LessOrEqual(t, allocs, 1.0, "allocations per Sgemm")
}

// TestRuntimeBLASThreads: the thread count follows GOMAXPROCS unless
// SetBLASThreads fixes it (or the library's variable is set).
func TestRuntimeBLASThreads(t *testing.T) {
	l, err := runtimeBLAS()
	if l == nil || err != nil || l.setThreads == nil {
		t.Skipf("no run-time BLAS with a thread count in use (%s)", BLAS())
	}
	defer SetBLASThreads(0)
	SetBLASThreads(1)
	require.Contains(t, BLAS(), ", 1 thread)")
	require.Equal(t, 1, l.threads())
	SetBLASThreads(0)
	if !l.envThreads {
		require.Equal(t, runtime.GOMAXPROCS(0), l.threads(), BLAS())
	}
}

// TestBLASChoice checks what GOGAN_BLAS selected: CI runs the package
// with GOGAN_BLAS=go and GOGAN_BLAS=openblas, so that a missing library
// fails there instead of skipping.
func TestBLASChoice(t *testing.T) {
	desc := BLAS()
	t.Logf("%s=%q: %s", BLASEnv, blasChoice, desc)
	switch c := strings.ToLower(strings.TrimSpace(blasChoice)); {
	case isPureGo(c):
		require.Equal(t, "gonum (pure Go)", desc)
		require.NoError(t, BLASError())
		require.IsType(t, gonum.Implementation{}, blas32.Implementation())
	case c == "" || c == "auto":
		require.NoError(t, BLASError())
		require.IsType(t, runtimeImpl{}, blas32.Implementation())
	case c == "openblas" || c == "blis" || c == "mkl":
		require.NoError(t, BLASError(), "%s=%s: the library must load", BLASEnv, c)
		require.True(t, strings.HasPrefix(desc, c+" "), desc)
	default:
		require.NoError(t, BLASError())
	}
}

// TestLoadBLASErrors: values that name nothing loadable are errors that
// say what was asked; "go" and "auto" without a library are not.
func TestLoadBLASErrors(t *testing.T) {
	l, err := loadBLAS("go")
	require.NoError(t, err)
	require.Nil(t, l)
	_, err = loadBLAS("/nonexistent/libnoblas.so")
	require.ErrorContains(t, err, "GOGAN_BLAS=/nonexistent/libnoblas.so failed")
	_, err = loadBLAS("fastblas")
	require.ErrorContains(t, err, "not understood")
	if runtime.GOOS == "linux" {
		_, err = loadBLAS("libc.so.6") // loads, but is no BLAS
		require.ErrorContains(t, err, "not a BLAS library")
	}
}

// TestBLASForcedFailure runs the package's tests in a child process
// with GOGAN_BLAS naming a missing library: the program warns once on
// standard error, BLAS and BLASError report the failure, and the
// products still run, on gogan's pure-Go SGEMM.
func TestBLASForcedFailure(t *testing.T) {
	if os.Getenv("GOGAN_BLAS_TEST_CHILD") == "1" {
		err := BLASError()
		require.ErrorContains(t, err, "cannot load")
		require.Contains(t, BLAS(), "gogan (pure Go, ")
		require.Contains(t, BLAS(), "; GOGAN_BLAS=/nonexistent/libnoblas.so failed")
		c := []float32{0}
		blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, 1, 1, 2, 1, []float32{2, 3}, 2, []float32{4, 5}, 1, 0, c, 1)
		require.Equal(t, float32(23), c[0])
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBLASForcedFailure$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GOGAN_BLAS_TEST_CHILD=1", BLASEnv+"=/nonexistent/libnoblas.so")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "child: %s\n%s", out, stderr.String())
	require.Equal(t, 1, strings.Count(stderr.String(), "gogan: warning: GOGAN_BLAS=/nonexistent/libnoblas.so failed"), stderr.String())
}

// TestUseBLAS switches the process's BLAS from code and back.
func TestUseBLAS(t *testing.T) {
	defer func() { require.NoError(t, UseBLAS(blasChoice)) }()
	require.NoError(t, UseBLAS("go"))
	require.Equal(t, "gonum (pure Go)", BLAS())
	require.NoError(t, BLASError())
	require.IsType(t, gonum.Implementation{}, blas32.Implementation())
	require.IsType(t, gonum.Implementation{}, G.WhichBLAS())
	require.ErrorContains(t, UseBLAS("/nonexistent/libnoblas.so"), "cannot load")
	require.Equal(t, "gonum (pure Go)", BLAS(), "a failed UseBLAS changes nothing")
	l, _ := loadBLAS("auto")
	if l == nil {
		t.Skip("no BLAS library installed")
	}
	require.NoError(t, UseBLAS("auto"))
	if _, passed := passOver("auto", l); passed != nil {
		require.True(t, strings.HasPrefix(BLAS(), "gogan (pure Go, "), BLAS())
		require.Contains(t, BLAS(), "chosen over "+l.name+" ")
	} else {
		require.True(t, strings.HasPrefix(BLAS(), l.name+" "), BLAS())
	}
	require.NoError(t, UseBLAS(l.name))
	require.True(t, strings.HasPrefix(BLAS(), l.name+" "), BLAS())
	require.IsType(t, runtimeImpl{}, blas32.Implementation())
	require.IsType(t, runtimeImpl{}, G.WhichBLAS())
	c := []float32{0}
	blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, 1, 1, 2, 1, []float32{2, 3}, 2, []float32{4, 5}, 1, 0, c, 1)
	require.Equal(t, float32(23), c[0])
}

// TestLoadBLASWithoutLibraries: on a system with none of the libraries,
// "auto" is gonum without an error and a named library is an error.
func TestLoadBLASWithoutLibraries(t *testing.T) {
	saved := blasLibraries
	defer func() { blasLibraries = saved }()
	blasLibraries = []struct {
		name  string
		files []string
	}{{"openblas", []string{"libopenblas-absent.so.0"}}}
	l, err := loadBLAS("auto")
	require.NoError(t, err)
	require.Nil(t, l)
	_, err = loadBLAS("openblas")
	require.ErrorContains(t, err, "GOGAN_BLAS=openblas failed: cannot load libopenblas-absent.so.0")
}

// TestPassOver: the default choice passes over an OpenBLAS without
// AVX-512 kernels where gogan's AVX-512 SGEMM runs, and nothing else.
func TestPassOver(t *testing.T) {
	haswell := &cblasLib{name: "openblas", core: "Haswell", version: "0.3.21 Haswell", file: "libopenblas.so.0"}
	skylake := &cblasLib{name: "openblas", core: "SkylakeX", version: "0.3.26 SkylakeX", file: "libopenblas.so.0"}
	blis := &cblasLib{name: "blis", version: "0.9.0", file: "libblis.so.4"}
	avx512 := goganAVX512()
	for _, tc := range []struct {
		choice     string
		lib        *cblasLib
		passedOver bool
	}{
		{"", haswell, avx512},
		{"auto", haswell, avx512},
		{" Auto ", haswell, avx512},
		{"openblas", haswell, false},
		{"libopenblas.so.0", haswell, false},
		{"", skylake, false},
		{"", blis, false},
		{"mkl", blis, false},
	} {
		use, passed := passOver(tc.choice, tc.lib)
		if tc.passedOver {
			require.Nil(t, use, "%q %s", tc.choice, tc.lib.describe())
			require.Same(t, tc.lib, passed)
		} else {
			require.Same(t, tc.lib, use, "%q %s", tc.choice, tc.lib.describe())
			require.Nil(t, passed)
		}
	}
	use, passed := passOver("", nil)
	require.Nil(t, use)
	require.Nil(t, passed)
}

// TestBLASNamesThePassedOverLibrary: where the default passed a library
// over, BLAS says which and how to have it.
func TestBLASNamesThePassedOverLibrary(t *testing.T) {
	saved := rtState.Load()
	defer rtState.Store(saved)
	lib := &cblasLib{name: "openblas", core: "Haswell", version: "0.3.21 Haswell", file: "libopenblas.so.0"}
	rtOnce.Do(func() {})
	rtState.Store(&blasState{passedOver: lib})
	require.Contains(t, BLAS(), "gogan (pure Go, ")
	require.Contains(t, BLAS(), "chosen over openblas 0.3.21 Haswell (libopenblas.so.0), which has no AVX-512 kernels for this CPU; GOGAN_BLAS=openblas uses it)")
}
