package ops

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// BLASEnv is the environment variable that chooses the BLAS behind every
// matrix product of the process (this package's, Gorgonia's, gonum's
// blas32/blas64). It is read once, when the package is initialised:
//
//   - unset, "" or "auto": the first optimized CBLAS/BLAS shared library
//     found at run time, in the order OpenBLAS (libopenblas.so.0), BLIS
//     (libblis.so.4), Intel MKL (libmkl_rt.so.2, libmkl_rt.so); gogan's
//     own pure-Go SGEMM where none is installed. This is the default.
//     One exception: on a CPU with AVX-512F, an OpenBLAS whose kernels
//     for this CPU (its core name) are not AVX-512 ones (Debian's 0.3.21
//     runs Haswell kernels on AMD Zen 4/5) is passed over for gogan's
//     AVX-512 SGEMM, which trained 1.3–1.4× faster than it per CPU-second
//     on such a CPU (README, Performance); BLAS then names the library
//     passed over. OpenBLAS with SkylakeX, Cooperlake or SapphireRapids
//     kernels, BLIS and MKL are used as found.
//   - "gogan": gogan's pure-Go SGEMM (packed panels, cache blocking, an
//     AVX-512 or AVX2+FMA micro-kernel in Go assembly where the CPU has
//     them, gonum's Sgemm where it has neither; split over the threads
//     SetBLASThreads sets); no library is loaded. Every other BLAS routine (Dgemm,
//     Sgemv...) is gonum's. "gogan-avx512", "gogan-avx2" and "gogan-go"
//     force that micro-kernel (an error where the CPU lacks it).
//   - "go" (or "gonum"): gonum's pure-Go BLAS for everything; no library
//     is loaded.
//   - "openblas", "blis" or "mkl": that library only.
//   - a file name with a "/" or ".so" in it (e.g. /opt/lib/libopenblas.so):
//     that file, which must export the Fortran BLAS sgemm_ and dgemm_.
//
// UseBLAS makes the same choice from code.
//
// A library that GOGAN_BLAS names but that cannot be loaded is not
// silently replaced: the products then run on gogan's pure-Go SGEMM,
// BLASError returns why, BLAS says so, and a one-line warning goes to
// standard error when the library is first needed. Programs that must not
// run on the fallback (cmd/ganbench does) check BLASError.
//
// The library is loaded with purego (dlopen, no cgo), so this works in a
// CGO_ENABLED=0 build, on Linux (tested) and macOS (built, not
// tested); elsewhere the products stay on gonum. It is loaded lazily: at
// the first matrix product or the first call of BLAS, BLASError or
// SetBLASThreads.
const BLASEnv = "GOGAN_BLAS"

// BLAS names the BLAS that the matrix products run on, e.g.
// "openblas 0.3.21 Zen (libopenblas.so.0, 2 threads)" or
// "gogan (pure Go, AVX2+FMA kernel, 2 threads)" or "gonum (pure Go)";
// when GOGAN_BLAS named a library that could not be loaded,
// "gogan (pure Go, ...; GOGAN_BLAS=... failed: ...)". The thread count
// is the library's (or gogan's SGEMM's) at the time of the call (see
// SetBLASThreads).
func BLAS() string {
	l, err := runtimeBLAS()
	if l == nil {
		s := "gonum (pure Go"
		if !rtState.Load().gonum {
			n := sgemmThreads()
			s = fmt.Sprintf("gogan (pure Go, %s, %d thread", sgemmKernel.name, n)
			if n != 1 {
				s += "s"
			}
		}
		if err != nil {
			return s + "; " + err.Error() + ")"
		}
		if p := rtState.Load().passedOver; p != nil {
			return s + "; chosen over " + p.describe() + ", which has no AVX-512 kernels for this CPU; " + BLASEnv + "=openblas uses it)"
		}
		return s + ")"
	}
	l.syncThreads()
	s := l.describe()
	s = strings.TrimSuffix(s, ")")
	if n := l.threads(); n > 0 {
		s += fmt.Sprintf(", %d thread", n)
		if n != 1 {
			s += "s"
		}
	}
	return s + ")"
}

// describe names the library, its version and file, e.g.
// "openblas 0.3.21 Haswell (libopenblas.so.0)".
func (l *cblasLib) describe() string {
	s := l.name
	if l.version != "" {
		s += " " + l.version
	}
	return s + " (" + l.file + ")"
}

// BLASError reports why the library that GOGAN_BLAS names could not be
// loaded (or that its value is not understood); nil when GOGAN_BLAS is
// unset, "auto" or "go", or when the library it names is in use.
func BLASError() error {
	_, err := runtimeBLAS()
	return err
}

// SetBLASThreads fixes the number of threads of a run-time loaded BLAS
// (or of gogan's SGEMM) to n. With n ≤ 0 (the default) the thread count follows GOMAXPROCS: it
// is compared before every matrix product and set again when GOMAXPROCS
// has changed, so ganbench -threads N or runtime.GOMAXPROCS(N) also sets
// the BLAS's threads. Exception: where the library's own environment
// variable is set (OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or
// OMP_NUM_THREADS for OpenBLAS, BLIS_NUM_THREADS for BLIS,
// MKL_NUM_THREADS for MKL), only an explicit SetBLASThreads(n > 0)
// changes it. gogan's SGEMM splits a large product over that many
// goroutines (GOMAXPROCS with n ≤ 0). gonum's pure-Go BLAS always uses GOMAXPROCS goroutines; on
// it SetBLASThreads has no effect.
//
// Change the count between training steps, not while another goroutine
// is in a matrix product.
func SetBLASThreads(n int) {
	blasThreads.Store(int64(max(n, 0)))
	if l, _ := runtimeBLAS(); l != nil {
		l.syncThreads()
	}
}

// blasThreads is the count SetBLASThreads fixed, 0 for GOMAXPROCS.
var blasThreads atomic.Int64

// blasChoice is GOGAN_BLAS as read at initialisation.
var blasChoice = os.Getenv(BLASEnv)

func init() {
	if isPureGo(blasChoice) {
		return // gonum's BLAS, Gorgonia's and gonum's defaults
	}
	install(runtimeImpl{})
}

// install makes impl the BLAS of Gorgonia (and its tensor package) and
// of gonum's blas32 and blas64.
func install(impl G.BLAS) {
	G.Use(impl) // also tensor.Use
	blas32.Use(impl)
	blas64.Use(impl)
}

// UseBLAS replaces the BLAS of the whole process with the one choice
// names, with GOGAN_BLAS's values ("go", "auto", "openblas", a library
// file...; see BLASEnv), overriding the variable. Where the library
// cannot be loaded it returns the error and changes nothing. Call it
// before training or between steps, never while another goroutine is in
// a matrix product. Tests that compare two computations expecting the
// same rounding (gonum's kernels sum in one order whatever the
// transposition; an optimized library's do not) can pin the pure-Go BLAS
// with UseBLAS("go").
func UseBLAS(choice string) error {
	l, err := loadBLAS(choice)
	if err != nil {
		return err
	}
	useGoganKernel(choice)
	rtOnce.Do(func() {}) // the choice replaces GOGAN_BLAS's, loaded or not
	l, passed := passOver(choice, l)
	rtState.Store(&blasState{lib: l, gonum: isPureGo(choice), passedOver: passed})
	if isPureGo(choice) {
		install(gonum.Implementation{})
	} else {
		install(runtimeImpl{})
	}
	return nil
}

// useGoganKernel makes goganSgemm use the kernel that choice (a
// GOGAN_BLAS value) forces, the best for the CPU otherwise.
func useGoganKernel(choice string) {
	if k, ok, err := goganKernel(choice); ok && err == nil {
		sgemmKernel = k
	} else {
		sgemmKernel = sgemmBest()
	}
}

// isPureGo reports whether choice (a GOGAN_BLAS value) asks for gonum.
func isPureGo(choice string) bool {
	switch strings.ToLower(strings.TrimSpace(choice)) {
	case "go", "gonum", "pure-go", "purego", "none":
		return true
	}
	return false
}

// blasState is the library in use and the error of loading the one
// GOGAN_BLAS named; without a library, gonum says whether the products
// run on gonum (else on gogan's SGEMM).
type blasState struct {
	lib   *cblasLib
	err   error
	gonum bool

	passedOver *cblasLib // the library found but passed over for gogan's SGEMM
}

// openBLASAVX512Cores are OpenBLAS's core names (openblas_get_corename)
// whose SGEMM kernels use AVX-512.
var openBLASAVX512Cores = []string{"skylakex", "cooperlake", "sapphirerapids"}

// passOver returns lib, nil, or nil, lib where GOGAN_BLAS's default
// choice passes the library found over for gogan's SGEMM: on a CPU with
// AVX-512 (gogan's AVX-512 kernel runs), an OpenBLAS without AVX-512
// kernels for it. A library GOGAN_BLAS names is never passed over.
func passOver(choice string, lib *cblasLib) (use, passed *cblasLib) {
	if lib == nil || lib.name != "openblas" || !goganAVX512() {
		return lib, nil
	}
	if c := strings.ToLower(strings.TrimSpace(choice)); c != "" && c != "auto" {
		return lib, nil
	}
	for _, core := range openBLASAVX512Cores {
		if strings.EqualFold(lib.core, core) {
			return lib, nil
		}
	}
	return nil, lib
}

// goganAVX512 reports whether gogan's SGEMM runs its AVX-512 kernel.
func goganAVX512() bool {
	for _, k := range sgemmAsmKernels() {
		if k.id == "avx512" {
			return true
		}
	}
	return false
}

var (
	rtOnce  sync.Once
	rtState atomic.Pointer[blasState] // set by rtOnce or UseBLAS
)

// runtimeBLAS loads the library that GOGAN_BLAS chooses, once (unless
// UseBLAS chose first). It returns nil, nil for gonum by choice or when
// no library is installed.
func runtimeBLAS() (*cblasLib, error) {
	rtOnce.Do(func() {
		l, err := loadBLAS(blasChoice)
		useGoganKernel(blasChoice)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gogan: warning: %v; matrix products use gogan's pure-Go SGEMM\n", err)
		}
		l, passed := passOver(blasChoice, l)
		rtState.Store(&blasState{lib: l, err: err, gonum: isPureGo(blasChoice), passedOver: passed})
	})
	s := rtState.Load()
	return s.lib, s.err
}

// blasLibraries lists the shared libraries tried for each name, in order.
var blasLibraries = []struct {
	name  string
	files []string
}{
	{"openblas", []string{"libopenblas.so.0", "libopenblas.so",
		// macOS (Homebrew)
		"libopenblas.0.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.0.dylib", "/usr/local/opt/openblas/lib/libopenblas.0.dylib"}},
	{"blis", []string{"libblis.so.4", "libblis.so", "libblis.4.dylib"}},
	{"mkl", []string{"libmkl_rt.so.2", "libmkl_rt.so", "libmkl_rt.2.dylib"}},
}

// loadBLAS loads the library that choice (a GOGAN_BLAS value) names.
// For gonum or gogan by choice, and for "auto" on a system without any of
// the libraries, it returns nil, nil.
func loadBLAS(choice string) (*cblasLib, error) {
	c := strings.TrimSpace(choice)
	if isPureGo(c) {
		return nil, nil
	}
	if _, ok, err := goganKernel(c); ok {
		return nil, err
	}
	switch lc := strings.ToLower(c); lc {
	case "", "auto":
		for _, e := range blasLibraries {
			for _, f := range e.files {
				if l, err := openBLAS(f); err == nil {
					return l, nil
				}
			}
		}
		return nil, nil
	case "openblas", "blis", "mkl":
		var errs []string
		for _, e := range blasLibraries {
			if e.name != lc {
				continue
			}
			for _, f := range e.files {
				l, err := openBLAS(f)
				if err == nil {
					return l, nil
				}
				errs = append(errs, err.Error())
			}
		}
		return nil, fmt.Errorf("%s=%s failed: %s", BLASEnv, c, strings.Join(errs, "; "))
	}
	if strings.Contains(c, "/") || strings.Contains(c, ".so") || strings.Contains(c, ".dylib") {
		l, err := openBLAS(c)
		if err != nil {
			return nil, fmt.Errorf("%s=%s failed: %v", BLASEnv, c, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("%s=%q is not understood (want auto, gogan, gogan-avx512, gogan-avx2, gogan-go, go, openblas, blis, mkl or a library file)", BLASEnv, c)
}

// cblasLib is a loaded BLAS library: its Fortran sgemm_/dgemm_ entry
// points and, where it has them, its thread-count functions.
type cblasLib struct {
	name    string // "openblas", "blis", "mkl" or "blas" (another library)
	version string // e.g. "0.3.21 Zen"; may be empty
	core    string // OpenBLAS's core name, e.g. "Haswell"; empty for others
	file    string // the file name it was loaded as

	sgemm, dgemm uintptr

	setThreads func(n int) // nil if the library has none
	getThreads func() int  // nil if the library has none
	envThreads bool        // the library's thread variable is set

	mu  sync.Mutex
	cur atomic.Int64 // thread count last set, 0 before the first
}

// wantThreads is the thread count the library should have, 0 to leave
// it alone.
func (l *cblasLib) wantThreads() int {
	if n := blasThreads.Load(); n > 0 {
		return int(n)
	}
	if l.envThreads {
		return 0
	}
	return runtime.GOMAXPROCS(0)
}

// syncThreads sets the library's thread count to wantThreads where it
// differs from the count last set.
func (l *cblasLib) syncThreads() {
	if l.setThreads == nil {
		return
	}
	n := l.wantThreads()
	if n <= 0 || l.cur.Load() == int64(n) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur.Load() != int64(n) {
		l.setThreads(n)
		l.cur.Store(int64(n))
	}
}

// threads is the library's thread count, 0 if unknown.
func (l *cblasLib) threads() int {
	if l.getThreads != nil {
		return l.getThreads()
	}
	return int(l.cur.Load())
}

// runtimeImpl is the BLAS that init installs unless GOGAN_BLAS=go:
// gonum's pure-Go implementation with Sgemm and Dgemm on the run-time
// loaded library, if any, and Sgemm on gogan's own (goganSgemm) if none. Arguments are checked as gonum checks them
// (same panics) before any pointer reaches the library; the cases that
// need no product (k = 0 or alpha = 0) and sizes beyond int32 stay on
// gonum.
type runtimeImpl struct{ gonum.Implementation }

var native gonum.Implementation

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices
// (see gonum's Sgemm); with beta = 0, C is not read.
func (runtimeImpl) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	l, _ := runtimeBLAS()
	if l == nil {
		goganSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	libSgemm(l, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm in float64.
func (runtimeImpl) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	l, _ := runtimeBLAS()
	libDgemm(l, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// libSgemm is Sgemm on library l, gonum's where l is nil.
func libSgemm(l *cblasLib, tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if l == nil || !gemmChecked(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc) || alpha == 0 {
		native.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	l.syncThreads()
	l.callSgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// libDgemm is libSgemm in float64.
func libDgemm(l *cblasLib, tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if l == nil || !gemmChecked(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc) || alpha == 0 {
		native.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	l.syncThreads()
	l.callDgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmChecked checks a row-major GEMM's arguments as gonum does,
// panicking with gonum's messages, and reports whether the product is
// for the library: false where gonum should handle it (m, n or k zero, a
// size beyond the library's 32-bit integers).
func gemmChecked(tA, tB blas.Transpose, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) bool {
	for _, t := range []blas.Transpose{tA, tB} {
		switch t {
		case blas.NoTrans, blas.Trans, blas.ConjTrans:
		default:
			panic("blas: illegal transpose")
		}
	}
	switch {
	case m < 0:
		panic("blas: m < 0")
	case n < 0:
		panic("blas: n < 0")
	case k < 0:
		panic("blas: k < 0")
	}
	aT, bT := tA != blas.NoTrans, tB != blas.NoTrans
	if (aT && lda < max(1, m)) || (!aT && lda < max(1, k)) {
		panic("blas: bad leading dimension of A")
	}
	if (bT && ldb < max(1, k)) || (!bT && ldb < max(1, n)) {
		panic("blas: bad leading dimension of B")
	}
	if ldc < max(1, n) {
		panic("blas: bad leading dimension of C")
	}
	if m == 0 || n == 0 || k == 0 {
		return false // gonum returns or scales C
	}
	if (aT && lenA < (k-1)*lda+m) || (!aT && lenA < (m-1)*lda+k) {
		panic("blas: insufficient length of a")
	}
	if (bT && lenB < (n-1)*ldb+k) || (!bT && lenB < (k-1)*ldb+n) {
		panic("blas: insufficient length of b")
	}
	if lenC < (m-1)*ldc+n {
		panic("blas: insufficient length of c")
	}
	for _, v := range []int{m, n, k, lda, ldb, ldc} {
		if v > math.MaxInt32 {
			return false
		}
	}
	return true
}
