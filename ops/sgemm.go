package ops

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// gogan's own SGEMM: the pure-Go BLAS product used where no BLAS library
// is installed (and with GOGAN_BLAS=gogan). It is organised as in
// Goto & van de Geijn's "Anatomy of high-performance matrix
// multiplication" and BLIS:
//
//	for jc in steps of sgemmNC over the columns of C      (B block in L3)
//	  for pc in steps of sgemmKC over k:  pack B[pc:, jc:] in 16-column panels
//	    for ic in steps of sgemmMC over the rows of C     (A block in L2)
//	      pack A[ic:, pc:] in 6-row panels
//	      for jr in steps of 16, for ir in steps of 6:
//	        micro-kernel: C[ir:ir+6, jr:jr+16] (+)= A panel · B panel  (registers)
//
// The packed panels are contiguous in the order the micro-kernel reads
// them, whatever the transposition of A and B, so one kernel serves NN,
// NT, TN and TT. The micro-kernel keeps a 6×16 tile of C in twelve
// 8-float registers (AVX2+FMA, sgemm_amd64.s) or, on other CPUs, in a Go
// array (sgemmKernelGo). Edge tiles go through a 6×16 scratch tile.
//
// Block sizes for the AMD EPYC (Zen 4) of the development VM (48 KiB L1d,
// 1 MiB L2 per core, 32 MiB shared L3) and close to BLIS's for
// Haswell/Zen: a 16-column B panel of KC = 256 rows is 16 KiB (a third of
// L1), the MC×KC = 144×256 A block 144 KiB (an L2 share leaving room for
// C and B streams), a KC×NC B block at most 4 MiB (L3).
const (
	sgemmMR = 6    // rows of the register tile
	sgemmNR = 16   // columns of the register tile (two 8-float vectors)
	sgemmKC = 256  // depth of a packed block
	sgemmMC = 144  // rows of a packed A block (a multiple of sgemmMR)
	sgemmNC = 4096 // columns of a packed B block (a multiple of sgemmNR)
)

// sgemmParallelMin is the work (m·n·k multiply-adds) from which a
// product is split over threads: below it, starting goroutines costs
// more than it saves (about 5 µs of single-thread work). A variable for
// the tests.
var sgemmParallelMin = 1 << 19

// sgemmKernelFunc computes the 6×16 tile c (row stride ldc) as
// alpha·(a·b) + beta·c, where a is a packed 6-row panel (kc groups of 6
// floats, one per row) and b a packed 16-column panel (kc groups of 16).
// With beta = 0, c is not read. The products are summed over the kc
// steps in order, one fused multiply-add per step where the kernel uses
// FMA.
type sgemmKernelFunc func(kc int, a, b, c []float32, ldc int, alpha, beta float32)

// sgemmKernel is the micro-kernel in use: the AVX2+FMA one where the CPU
// has both (sgemm_amd64.go), sgemmKernelGo elsewhere. sgemmKernelName
// names it.
var (
	sgemmKernel     sgemmKernelFunc = sgemmKernelGo
	sgemmKernelName                 = "generic Go kernel"
)

// sgemmKernelGo is the portable micro-kernel.
func sgemmKernelGo(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	var acc [sgemmMR][sgemmNR]float32
	a = a[:kc*sgemmMR]
	b = b[:kc*sgemmNR]
	for p := 0; p < kc; p++ {
		ap := (*[sgemmMR]float32)(a[p*sgemmMR:])
		bp := (*[sgemmNR]float32)(b[p*sgemmNR:])
		for i := range sgemmMR {
			ai := ap[i]
			row := &acc[i]
			for j := range sgemmNR {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := range sgemmMR {
		ci := (*[sgemmNR]float32)(c[i*ldc:])
		row := &acc[i]
		if beta == 0 {
			for j := range sgemmNR {
				ci[j] = alpha * row[j]
			}
		} else {
			for j := range sgemmNR {
				ci[j] = alpha*row[j] + beta*ci[j]
			}
		}
	}
}

// sgemmBuf holds one thread's packing buffers and edge-tile scratch.
type sgemmBuf struct {
	a, b []float32
	tmp  [sgemmMR * sgemmNR]float32
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
	threads := sgemmThreads()
	if threads <= 1 || m*n*k < sgemmParallelMin {
		buf := sgemmBufs.Get().(*sgemmBuf)
		sgemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, buf)
		sgemmBufs.Put(buf)
		return
	}
	// Split the larger of m and n into contiguous, tile-aligned parts,
	// one per thread. Every element of C is computed by the same
	// sequence of kernel calls as in the serial product, so the result
	// does not depend on the thread count.
	splitN := n >= m
	tile, size := sgemmMR, m
	if splitN {
		tile, size = sgemmNR, n
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
			if splitN {
				bo := lo
				if transB {
					bo = lo * ldb
				}
				sgemmSerial(transA, transB, m, hi-lo, k, alpha, a, lda, b[bo:], ldb, beta, c[lo:], ldc, buf)
			} else {
				ao := lo * lda
				if transA {
					ao = lo
				}
				sgemmSerial(transA, transB, hi-lo, n, k, alpha, a[ao:], lda, b, ldb, beta, c[lo*ldc:], ldc, buf)
			}
		}()
	}
	wg.Wait()
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

// sgemmSerial is goganSgemm on one thread, for checked arguments with
// m, n, k > 0.
func sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, buf *sgemmBuf) {
	kernel := sgemmKernel
	for jc := 0; jc < n; jc += sgemmNC {
		nc := min(sgemmNC, n-jc)
		ncp := (nc + sgemmNR - 1) / sgemmNR * sgemmNR
		for pc := 0; pc < k; pc += sgemmKC {
			kc := min(sgemmKC, k-pc)
			buf.b = grow(buf.b, kc*ncp)
			sgemmPackB(transB, b, ldb, pc, jc, kc, nc, buf.b)
			bet := beta
			if pc > 0 {
				bet = 1 // later depth blocks accumulate
			}
			for ic := 0; ic < m; ic += sgemmMC {
				mc := min(sgemmMC, m-ic)
				mcp := (mc + sgemmMR - 1) / sgemmMR * sgemmMR
				buf.a = grow(buf.a, kc*mcp)
				sgemmPackA(transA, a, lda, ic, pc, mc, kc, buf.a)
				sgemmMacro(kernel, mc, nc, kc, alpha, bet, buf.a, buf.b, c[ic*ldc+jc:], ldc, &buf.tmp)
			}
		}
	}
}

// sgemmMacro multiplies a packed mc×kc block of A by a packed kc×nc block
// of B into the mc×nc block of C at c: C = alpha·A·B + beta·C; tmp is
// scratch for the edge tiles.
func sgemmMacro(kernel sgemmKernelFunc, mc, nc, kc int, alpha, beta float32, pa, pb, c []float32, ldc int, tmp *[sgemmMR * sgemmNR]float32) {
	for jr := 0; jr < nc; jr += sgemmNR {
		nr := min(sgemmNR, nc-jr)
		bp := pb[jr*kc : (jr+sgemmNR)*kc]
		for ir := 0; ir < mc; ir += sgemmMR {
			mr := min(sgemmMR, mc-ir)
			ap := pa[ir*kc : (ir+sgemmMR)*kc]
			if mr == sgemmMR && nr == sgemmNR {
				kernel(kc, ap, bp, c[ir*ldc+jr:], ldc, alpha, beta)
				continue
			}
			// An edge tile: the kernel works on a full scratch tile,
			// holding C's values where beta ≠ 0 (same arithmetic as a
			// full tile), and only the mr×nr part goes back.
			if beta != 0 {
				for i := range mr {
					copy(tmp[i*sgemmNR:i*sgemmNR+nr], c[(ir+i)*ldc+jr:])
				}
			}
			kernel(kc, ap, bp, tmp[:], sgemmNR, alpha, beta)
			for i := range mr {
				copy(c[(ir+i)*ldc+jr:(ir+i)*ldc+jr+nr], tmp[i*sgemmNR:])
			}
		}
	}
}

// sgemmPackA packs the mc×kc block of op(A) at (ic, pc) into dst as
// 6-row panels: panel r holds, for each p < kc, the 6 values
// op(A)[ic+6r+i, pc+p]; rows past mc are zero.
func sgemmPackA(trans bool, a []float32, lda, ic, pc, mc, kc int, dst []float32) {
	for ir := 0; ir < mc; ir += sgemmMR {
		mr := min(sgemmMR, mc-ir)
		d := dst[ir*kc : (ir+sgemmMR)*kc]
		if trans { // op(A)[i, p] = a[p·lda + i]: rows of a are contiguous in i
			for p := range kc {
				src := a[(pc+p)*lda+ic+ir:]
				dp := d[p*sgemmMR : p*sgemmMR+sgemmMR]
				copy(dp[:mr], src[:mr])
				clear(dp[mr:])
			}
			continue
		}
		if mr == sgemmMR {
			r0 := a[(ic+ir)*lda+pc:]
			r1 := a[(ic+ir+1)*lda+pc:]
			r2 := a[(ic+ir+2)*lda+pc:]
			r3 := a[(ic+ir+3)*lda+pc:]
			r4 := a[(ic+ir+4)*lda+pc:]
			r5 := a[(ic+ir+5)*lda+pc:]
			r0, r1, r2, r3, r4, r5 = r0[:kc], r1[:kc], r2[:kc], r3[:kc], r4[:kc], r5[:kc]
			for p := range kc {
				dp := (*[sgemmMR]float32)(d[p*sgemmMR:])
				dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		clear(d)
		for i := range mr {
			row := a[(ic+ir+i)*lda+pc:]
			row = row[:kc]
			for p, v := range row {
				d[p*sgemmMR+i] = v
			}
		}
	}
}

// sgemmPackB packs the kc×nc block of op(B) at (pc, jc) into dst as
// 16-column panels: panel r holds, for each p < kc, the 16 values
// op(B)[pc+p, jc+16r+j]; columns past nc are zero.
func sgemmPackB(trans bool, b []float32, ldb, pc, jc, kc, nc int, dst []float32) {
	for jr := 0; jr < nc; jr += sgemmNR {
		nr := min(sgemmNR, nc-jr)
		d := dst[jr*kc : (jr+sgemmNR)*kc]
		if !trans { // op(B)[p, j] = b[p·ldb + j]: contiguous in j
			for p := range kc {
				src := b[(pc+p)*ldb+jc+jr:]
				dp := d[p*sgemmNR : p*sgemmNR+sgemmNR]
				copy(dp[:nr], src[:nr])
				clear(dp[nr:])
			}
			continue
		}
		if nr < sgemmNR {
			clear(d)
		}
		for j := range nr { // op(B)[p, j] = b[j·ldb + p]
			col := b[(jc+jr+j)*ldb+pc:]
			col = col[:kc]
			for p, v := range col {
				d[p*sgemmNR+j] = v
			}
		}
	}
}
