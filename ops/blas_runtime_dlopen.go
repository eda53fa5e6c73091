//go:build (linux && !android) || darwin

package ops

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// openBLAS dlopens file (a soname or a path) and binds its Fortran BLAS
// sgemm_ and dgemm_, and the library's version and thread-count
// functions where it exports them (OpenBLAS, BLIS, MKL).
//
// The products go through the Fortran interface, whose arguments are all
// pointers, so that purego.SyscallN calls them without reflection, with
// one small allocation per call (its argument slice); CBLAS's float
// arguments would need purego.RegisterFunc, about a dozen per call.
func openBLAS(file string) (*cblasLib, error) {
	h, err := purego.Dlopen(file, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("cannot load %s: %v", file, err)
	}
	sym := func(name string) uintptr {
		p, err := purego.Dlsym(h, name)
		if err != nil {
			return 0
		}
		return p
	}
	l := &cblasLib{name: "blas", file: file, sgemm: sym("sgemm_"), dgemm: sym("dgemm_")}
	if l.sgemm == 0 || l.dgemm == 0 {
		_ = purego.Dlclose(h)
		return nil, fmt.Errorf("%s has no sgemm_/dgemm_: not a BLAS library", file)
	}
	switch {
	case sym("openblas_get_config") != 0:
		l.name = "openblas"
		var config, core func() string
		purego.RegisterFunc(&config, sym("openblas_get_config"))
		if f := strings.Fields(config()); len(f) > 1 {
			l.version = f[1] // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
		}
		if p := sym("openblas_get_corename"); p != 0 {
			purego.RegisterFunc(&core, p)
			l.core = strings.TrimSpace(core())
			l.version = strings.TrimSpace(l.version + " " + l.core)
		}
		bindThreads(l, sym("openblas_set_num_threads"), sym("openblas_get_num_threads"))
		l.envThreads = anyEnv("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
	case sym("bli_info_get_version_str") != 0:
		l.name = "blis"
		var version func() string
		purego.RegisterFunc(&version, sym("bli_info_get_version_str"))
		l.version = version()
		bindThreads(l, sym("bli_thread_set_num_threads"), sym("bli_thread_get_num_threads"))
		l.envThreads = anyEnv("BLIS_NUM_THREADS", "OMP_NUM_THREADS")
	case sym("MKL_Get_Version_String") != 0:
		l.name = "mkl"
		var version func(buf *byte, n int32)
		purego.RegisterFunc(&version, sym("MKL_Get_Version_String"))
		buf := make([]byte, 256)
		version(&buf[0], int32(len(buf)))
		if i := strings.IndexByte(string(buf), 0); i >= 0 {
			buf = buf[:i]
		}
		l.version = strings.TrimSpace(string(buf))
		bindThreads(l, sym("MKL_Set_Num_Threads"), sym("MKL_Get_Max_Threads"))
		l.envThreads = anyEnv("MKL_NUM_THREADS", "OMP_NUM_THREADS")
	}
	return l, nil
}

// bindThreads binds a library's set/get thread-count functions (C int
// arguments and results), where both exist.
func bindThreads(l *cblasLib, set, get uintptr) {
	if set == 0 || get == 0 {
		return
	}
	var s func(int32)
	var g func() int32
	purego.RegisterFunc(&s, set)
	purego.RegisterFunc(&g, get)
	l.setThreads = func(n int) { s(int32(n)) }
	l.getThreads = func() int { return int(g()) }
}

// anyEnv reports whether any of the environment variables is set to a
// non-empty value.
func anyEnv(names ...string) bool {
	for _, n := range names {
		if os.Getenv(n) != "" {
			return true
		}
	}
	return false
}

// gemmArgs holds the scalar arguments of one Fortran GEMM call, which
// the library reads through pointers; pooled so that they cost no
// allocation.
type gemmArgs struct {
	ta, tb               byte
	m, n, k, lda, ldb, c int32
	salpha, sbeta        float32
	dalpha, dbeta        float64
}

var gemmArgsPool = sync.Pool{New: func() any { return new(gemmArgs) }}

// transChar is the Fortran TRANS argument.
func transChar(t bool) byte {
	if t {
		return 'T'
	}
	return 'N'
}

// prepare fills the pooled scalars of a row-major GEMM called as the
// column-major product Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swap places and
// m and n swap.
func (s *gemmArgs) prepare(tA, tB bool, m, n, k, lda, ldb, ldc int) {
	s.ta, s.tb = transChar(tB), transChar(tA) // first operand is B
	s.m, s.n, s.k = int32(n), int32(m), int32(k)
	s.lda, s.ldb, s.c = int32(ldb), int32(lda), int32(ldc)
}

// callSgemm computes the row-major C = alpha·op(A)·op(B) + beta·C on the
// library; the arguments have been checked (gemmChecked).
func (l *cblasLib) callSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	s := gemmArgsPool.Get().(*gemmArgs)
	s.prepare(tA, tB, m, n, k, lda, ldb, ldc)
	s.salpha, s.sbeta = alpha, beta
	// sgemm_(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
	// len(transa), len(transb)): the hidden lengths of gfortran's ABI.
	purego.SyscallN(l.sgemm,
		uintptr(unsafe.Pointer(&s.ta)), uintptr(unsafe.Pointer(&s.tb)),
		uintptr(unsafe.Pointer(&s.m)), uintptr(unsafe.Pointer(&s.n)), uintptr(unsafe.Pointer(&s.k)),
		uintptr(unsafe.Pointer(&s.salpha)),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&s.lda)),
		uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&s.ldb)),
		uintptr(unsafe.Pointer(&s.sbeta)),
		uintptr(unsafe.Pointer(&c[0])), uintptr(unsafe.Pointer(&s.c)),
		1, 1)
	gemmArgsPool.Put(s)
}

// callDgemm is callSgemm in float64.
func (l *cblasLib) callDgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	s := gemmArgsPool.Get().(*gemmArgs)
	s.prepare(tA, tB, m, n, k, lda, ldb, ldc)
	s.dalpha, s.dbeta = alpha, beta
	purego.SyscallN(l.dgemm,
		uintptr(unsafe.Pointer(&s.ta)), uintptr(unsafe.Pointer(&s.tb)),
		uintptr(unsafe.Pointer(&s.m)), uintptr(unsafe.Pointer(&s.n)), uintptr(unsafe.Pointer(&s.k)),
		uintptr(unsafe.Pointer(&s.dalpha)),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&s.lda)),
		uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&s.ldb)),
		uintptr(unsafe.Pointer(&s.dbeta)),
		uintptr(unsafe.Pointer(&c[0])), uintptr(unsafe.Pointer(&s.c)),
		1, 1)
	gemmArgsPool.Put(s)
}
