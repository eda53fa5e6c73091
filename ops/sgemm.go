package ops

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// gogan's own SGEMM: the pure-Go BLAS product used where no BLAS library
// is installed (and with GOGAN_BLAS=gogan). It is organised as in
// Goto & van de Geijn's "Anatomy of high-performance matrix
// multiplication" and BLIS:
//
//	for jc in steps of NC over the columns of C        (B block in L3)
//	  for pc in steps of KC over k:  pack B[pc:, jc:] in nr-column panels
//	    for ic in steps of MC over the rows of C       (A block in L2)
//	      pack A[ic:, pc:] in mr-row panels
//	      for jr in steps of nr, for ir in steps of mr:
//	        micro-kernel: C[ir:ir+mr, jr:jr+nr] (+)= A panel · B panel  (registers)
//
// The packed panels are contiguous in the order the micro-kernel reads
// them, whatever the transposition of A and B, so one kernel serves NN,
// NT, TN and TT. The micro-kernel keeps an mr×nr tile of C in registers:
// 12×32 in 24 ZMM registers with AVX-512F, 6×16 in 12 YMM registers with
// AVX2+FMA (sgemm_amd64.s); a portable 6×16 Go kernel (sgemmKernelGo)
// runs when forced, and CPUs with neither assembly kernel use gonum's
// Sgemm (sgemmBest). Edge tiles go through a scratch tile. Every element
// of C is computed the same way whatever the transpositions, the roles of
// A and B and the shape (vectors included): an FMA chain over each depth
// block, whose size depends on k only, with the same instructions in
// both assembly kernels. So a product and its transpose, computed by two
// code paths (a training step and a device program), agree bit for bit,
// as they do on gonum's BLAS; sending m = 1 or n = 1 to gonum's Sgemv,
// which sums in another order, broke that and put a device-agreement
// test of package gan over its tolerance.
//
// Each kernel comes with its block sizes (sgemmKern). Those of the AVX2
// and Go kernels suit the AMD EPYC (Zen 5) of the development VM (48 KiB
// L1d, 1 MiB L2 per core, 32 MiB shared L3) and are close to BLIS's for
// Haswell/Zen: a 16-column B panel of KC = 256 rows is 16 KiB (a third of
// L1), the MC×KC = 144×256 A block 144 KiB (an L2 share leaving room for
// C and B streams), a KC×NC B block at most 4 MiB (L3). The depth k is cut
// into equal blocks of at most KC (k = 784 is 4 × 196, not 3 × 256 + 16),
// so that no block is too shallow to amortise the tile's loads and stores
// of C.
const (
	// sgemmTileMax is the largest mr·nr of the kernels.
	sgemmTileMax = 12 * 32
)

// sgemmParallelMin is the work (m·n·k multiply-adds) from which a
// product is split over threads: below it, starting goroutines costs
// more than it saves (about 5 µs of single-thread work). A variable for
// the tests.
var sgemmParallelMin = 1 << 19

// sgemmKernelFunc computes the mr×nr tile c (row stride ldc) as
// alpha·(a·b) + beta·c, where a is a packed mr-row panel (kc groups of mr
// floats, one per row) and b a packed nr-column panel (kc groups of nr).
// With beta = 0, c is not read. The products are summed over the kc
// steps in order, one fused multiply-add per step where the kernel uses
// FMA.
type sgemmKernelFunc func(kc int, a, b, c []float32, ldc int, alpha, beta float32)

// sgemmKern is a micro-kernel with its register tile (mr×nr) and cache
// blocks (mc a multiple of mr, nc of nr).
type sgemmKern struct {
	id         string // GOGAN_BLAS=gogan-<id> forces it
	name       string
	f          sgemmKernelFunc
	mr, nr     int
	mc, kc, nc int

	// narrow, if set, is a kernel with a narrower tile that rounds
	// exactly as this one (same FMA sequence per element, same kc), used
	// for products with n < nr.
	narrow *sgemmKern
}

// sgemmGo is the portable 6×16 kernel.
var sgemmGo = &sgemmKern{id: "go", name: "generic Go kernel", f: sgemmKernelGo, mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096}

// sgemmKernel is the micro-kernel in use: by default the widest the CPU
// supports (sgemmBest), else the one GOGAN_BLAS=gogan-<id> or UseBLAS
// chose.
var sgemmKernel = sgemmBest()

// sgemmBest is the widest kernel the CPU supports (sgemm_amd64.go),
// sgemmGonum where none: the Go kernel is about 4× slower than gonum's
// Sgemm (mlp: 3.0 against 13.5 steps per CPU-second on amd64, where
// gonum has SSE assembly), so it runs only when forced (gogan-go).
func sgemmBest() *sgemmKern {
	if ks := sgemmAsmKernels(); len(ks) > 0 {
		return ks[0]
	}
	return sgemmGonum
}

// sgemmGonum stands for gonum's Sgemm where the CPU has no assembly
// kernel: goganSgemm hands the products to it.
var sgemmGonum = &sgemmKern{id: "gonum", name: "gonum's Sgemm: no assembly kernel for this CPU"}

// goganKernel returns the kernel that a GOGAN_BLAS value "gogan" (the
// best for the CPU) or "gogan-<id>" (gogan-avx512, gogan-avx2, gogan-go)
// asks for; ok is false for any other value, err non-nil for a kernel
// this CPU or build does not have.
func goganKernel(choice string) (k *sgemmKern, ok bool, err error) {
	c := strings.ToLower(strings.TrimSpace(choice))
	if c == "gogan" {
		return sgemmBest(), true, nil
	}
	id, found := strings.CutPrefix(c, "gogan-")
	if !found {
		return nil, false, nil
	}
	ids := []string{"go"}
	for _, k := range append(sgemmAsmKernels(), sgemmGo) {
		if k.id == id {
			return k, true, nil
		}
		ids = append(ids, k.id)
	}
	return nil, true, fmt.Errorf("%s=%s: no such SGEMM kernel on this CPU and build (have %s)", BLASEnv, choice, strings.Join(ids[1:], ", "))
}

// sgemmKernelGo is the portable micro-kernel, 6×16.
func sgemmKernelGo(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	const mr, nr = 6, 16
	var acc [mr][nr]float32
	a = a[:kc*mr]
	b = b[:kc*nr]
	for p := 0; p < kc; p++ {
		ap := (*[mr]float32)(a[p*mr:])
		bp := (*[nr]float32)(b[p*nr:])
		for i := range mr {
			ai := ap[i]
			row := &acc[i]
			for j := range nr {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := range mr {
		ci := (*[nr]float32)(c[i*ldc:])
		row := &acc[i]
		if beta == 0 {
			for j := range nr {
				ci[j] = alpha * row[j]
			}
		} else {
			for j := range nr {
				ci[j] = alpha*row[j] + beta*ci[j]
			}
		}
	}
}

// sgemmBuf holds one thread's packing buffers and edge-tile scratch.
type sgemmBuf struct {
	a, b []float32
	tmp  [sgemmTileMax]float32
	conv []float32 // convCols.pack's scratch
}

var sgemmBufs = sync.Pool{New: func() any { return new(sgemmBuf) }}

// grow returns s with length n, reallocated only when too short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// sgemmThreads is the number of threads a product may use: the count
// SetBLASThreads fixed, else GOMAXPROCS.
func sgemmThreads() int {
	if n := blasThreads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// goganSgemm computes C = alpha·op(A)·op(B) + beta·C for row-major
// matrices with the semantics of BLAS sgemm: op(A) is m×k, op(B) k×n;
// with beta = 0, C is not read (NaN or Inf in C do not propagate); with
// alpha = 0 or k = 0, A and B are not read. Bad arguments panic with
// gonum's messages (blas.Float32 implementations panic on them).
func goganSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmChecked(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		sgemmScale(m, n, beta, c, ldc)
		return
	}
	transA, transB := tA != blas.NoTrans, tB != blas.NoTrans
	kern := sgemmKernelFor(n)
	if kern.f == nil {
		native.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	src := sgemmB{trans: transB, b: b, ldb: ldb}
	sgemmRun(kern, transA, m, n, k, alpha, a, lda, src, beta, c, ldc)
}

// sgemmB is the B operand of a product as the packer reads it: a dense
// matrix b (transposed if trans), or, with conv or convI set, a
// convolution's column matrix packed straight from the image (convCols,
// convColsI: an implicit im2col).
type sgemmB struct {
	trans bool
	b     []float32
	ldb   int
	conv  *convCols
	convI *convColsI
}

// pack packs the kc×nc block of op(B) at (pc, jc) into dst as NR-column
// panels (see sgemmPackB); buf is the calling thread's scratch.
func (s *sgemmB) pack(NR, pc, jc, kc, nc int, dst []float32, buf *sgemmBuf) {
	if s.conv != nil {
		s.conv.pack(NR, s.trans, pc, jc, kc, nc, dst, buf)
		return
	}
	if s.convI != nil { // never transposed
		s.convI.pack(NR, pc, jc, kc, nc, dst)
		return
	}
	sgemmPackB(NR, s.trans, s.b, s.ldb, pc, jc, kc, nc, dst)
}

// sgemmRun is goganSgemm's product on kernel kern (kern.f non-nil) for
// checked arguments with m, n, k > 0 and alpha ≠ 0, B given by src.
func sgemmRun(kern *sgemmKern, transA bool, m, n, k int, alpha float32, a []float32, lda int, src sgemmB, beta float32, c []float32, ldc int) {
	threads := sgemmThreads()
	if threads <= 1 || m*n*k < sgemmParallelMin {
		buf := sgemmBufs.Get().(*sgemmBuf)
		sgemmSerial(kern, transA, m, n, k, alpha, a, lda, &src, 0, beta, c, ldc, buf)
		sgemmBufs.Put(buf)
		return
	}
	sgemmParallel(kern, threads, transA, m, n, k, alpha, a, lda, src, beta, c, ldc)
}

// sgemmParallel is sgemmRun on threads threads.
func sgemmParallel(kern *sgemmKern, threads int, transA bool, m, n, k int, alpha float32, a []float32, lda int, src sgemmB, beta float32, c []float32, ldc int) {
	// Split the larger of m and n into contiguous, tile-aligned parts,
	// one per thread. Every element of C is computed by the same
	// sequence of kernel calls as in the serial product, so the result
	// does not depend on the thread count.
	splitN := n >= m
	tile, size := kern.mr, m
	if splitN {
		tile, size = kern.nr, n
	}
	tiles := (size + tile - 1) / tile
	parts := min(threads, tiles)
	var wg sync.WaitGroup
	for w := range parts {
		lo, hi := w*tiles/parts*tile, min((w+1)*tiles/parts*tile, size)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := sgemmBufs.Get().(*sgemmBuf)
			defer sgemmBufs.Put(buf)
			src := src
			if splitN {
				sgemmSerial(kern, transA, m, hi-lo, k, alpha, a, lda, &src, lo, beta, c[lo:], ldc, buf)
			} else {
				ao := lo * lda
				if transA {
					ao = lo
				}
				sgemmSerial(kern, transA, hi-lo, n, k, alpha, a[ao:], lda, &src, 0, beta, c[lo*ldc:], ldc, buf)
			}
		}()
	}
	wg.Wait()
}

// sgemmKernelFor is the kernel for a product with n columns: sgemmKernel,
// or its narrow variant where n is below its tile's width.
func sgemmKernelFor(n int) *sgemmKern {
	if k := sgemmKernel; n >= k.nr || k.narrow == nil {
		return k
	}
	return sgemmKernel.narrow
}

// sgemmScale sets the m×n matrix c to beta·c, to zero without reading it
// when beta = 0.
func sgemmScale(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		ci := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(ci)
		case 1:
		default:
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
}

// sgemmSerial is goganSgemm on one thread with kernel kern, for checked
// arguments with m, n, k > 0: the product of op(A) and the columns
// [j0, j0+n) of op(B), into c.
func sgemmSerial(kern *sgemmKern, transA bool, m, n, k int, alpha float32, a []float32, lda int, src *sgemmB, j0 int, beta float32, c []float32, ldc int, buf *sgemmBuf) {
	mr, nr := kern.mr, kern.nr
	kcb := (k + kern.kc - 1) / kern.kc // depth blocks
	kcb = (k + kcb - 1) / kcb          // of equal depth
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		ncp := (nc + nr - 1) / nr * nr
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			buf.b = grow(buf.b, kc*ncp)
			src.pack(nr, pc, j0+jc, kc, nc, buf.b, buf)
			bet := beta
			if pc > 0 {
				bet = 1 // later depth blocks accumulate
			}
			for ic := 0; ic < m; ic += kern.mc {
				mc := min(kern.mc, m-ic)
				mcp := (mc + mr - 1) / mr * mr
				buf.a = grow(buf.a, kc*mcp)
				sgemmPackA(mr, transA, a, lda, ic, pc, mc, kc, buf.a)
				sgemmMacro(kern, mc, nc, kc, alpha, bet, buf.a, buf.b, c[ic*ldc+jc:], ldc, &buf.tmp)
			}
		}
	}
}

// sgemmMacro multiplies a packed mc×kc block of A by a packed kc×nc block
// of B into the mc×nc block of C at c: C = alpha·A·B + beta·C; tmp is
// scratch for the edge tiles.
func sgemmMacro(kern *sgemmKern, mc, nc, kc int, alpha, beta float32, pa, pb, c []float32, ldc int, tmp *[sgemmTileMax]float32) {
	MR, NR, kernel := kern.mr, kern.nr, kern.f
	for jr := 0; jr < nc; jr += NR {
		nr := min(NR, nc-jr)
		bp := pb[jr*kc : (jr+NR)*kc]
		for ir := 0; ir < mc; ir += MR {
			mr := min(MR, mc-ir)
			ap := pa[ir*kc : (ir+MR)*kc]
			if mr == MR && nr == NR {
				kernel(kc, ap, bp, c[ir*ldc+jr:], ldc, alpha, beta)
				continue
			}
			// An edge tile: the kernel works on a full scratch tile,
			// holding C's values where beta ≠ 0 (same arithmetic as a
			// full tile), and only the mr×nr part goes back.
			if beta != 0 {
				for i := range mr {
					copy(tmp[i*NR:i*NR+nr], c[(ir+i)*ldc+jr:])
				}
			}
			kernel(kc, ap, bp, tmp[:MR*NR], NR, alpha, beta)
			for i := range mr {
				copy(c[(ir+i)*ldc+jr:(ir+i)*ldc+jr+nr], tmp[i*NR:])
			}
		}
	}
}

// sgemmPackA packs the mc×kc block of op(A) at (ic, pc) into dst as
// MR-row panels: panel r holds, for each p < kc, the MR values
// op(A)[ic+MR·r+i, pc+p]; rows past mc are zero.
func sgemmPackA(MR int, trans bool, a []float32, lda, ic, pc, mc, kc int, dst []float32) {
	for ir := 0; ir < mc; ir += MR {
		mr := min(MR, mc-ir)
		d := dst[ir*kc : (ir+MR)*kc]
		if trans { // op(A)[i, p] = a[p·lda + i]: rows of a are contiguous in i
			for p := range kc {
				src := a[(pc+p)*lda+ic+ir:]
				dp := d[p*MR : p*MR+MR]
				copy(dp[:mr], src[:mr])
				clear(dp[mr:])
			}
			continue
		}
		if mr < MR {
			clear(d)
		}
		for i := range mr {
			row := a[(ic+ir+i)*lda+pc:]
			row = row[:kc]
			for p, v := range row {
				d[p*MR+i] = v
			}
		}
	}
}

// sgemmPackB packs the kc×nc block of op(B) at (pc, jc) into dst as
// NR-column panels: panel r holds, for each p < kc, the NR values
// op(B)[pc+p, jc+NR·r+j]; columns past nc are zero.
func sgemmPackB(NR int, trans bool, b []float32, ldb, pc, jc, kc, nc int, dst []float32) {
	for jr := 0; jr < nc; jr += NR {
		nr := min(NR, nc-jr)
		d := dst[jr*kc : (jr+NR)*kc]
		if !trans { // op(B)[p, j] = b[p·ldb + j]: contiguous in j
			for p := range kc {
				src := b[(pc+p)*ldb+jc+jr:]
				dp := d[p*NR : p*NR+NR]
				copy(dp[:nr], src[:nr])
				clear(dp[nr:])
			}
			continue
		}
		// op(B)[p, j] = b[j·ldb + p]: 8×8 blocks transposed in
		// registers where sgemmTransposer is set (amd64), the rest
		// gathered one packed row at a time from nr rows of b read in
		// step (contiguous writes; writing one column of the panel at a
		// time, 128-byte strided, was twice as slow).
		base := (jc+jr)*ldb + pc
		_ = b[base+(nr-1)*ldb+kc-1]
		j8, k8 := 0, 0
		if sgemmTransposer != nil {
			j8, k8 = nr&^7, kc&^7
			for j0 := 0; j0 < j8; j0 += 8 {
				sgemmTransposer(d[j0:], NR, b[base+j0*ldb:], ldb, k8)
			}
		}
		for p := range kc {
			dp := d[p*NR : p*NR+NR]
			j0 := 0
			if p < k8 {
				j0 = j8
			}
			o := base + p + j0*ldb
			for j := j0; j < nr; j++ {
				dp[j] = b[o]
				o += ldb
			}
			clear(dp[nr:])
		}
	}
}

// sgemmTransposer, where set, transposes 8 rows of src into k8 rows of 8
// of dst: dst[p·ldd+j] = src[j·lds+p] for j < 8, p < k8 (a multiple of 8).
var sgemmTransposer func(dst []float32, ldd int, src []float32, lds int, k8 int)
