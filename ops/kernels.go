package ops

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// float is the set of element types the kernels support.
type float interface{ ~float32 | ~float64 }

// geom is the fully resolved geometry of one transposed convolution:
// input x [n, cin, h, w], kernel [cin, cout, kh, kw], output
// [n, cout, hout, wout].
type geom struct {
	n, cin, cout     int
	h, w, hout, wout int
	kh, kw           int
	sh, sw, ph, pw   int
}

// colRows is the number of rows of the column matrix, cout·kh·kw.
func (g geom) colRows() int { return g.cout * g.kh * g.kw }

// inPlane is h·w, the number of columns of the column matrix.
func (g geom) inPlane() int { return g.h * g.w }

// outItem is the number of output elements per batch item.
func (g geom) outItem() int { return g.cout * g.hout * g.wout }

// inItem is the number of input elements per batch item.
func (g geom) inItem() int { return g.cin * g.h * g.w }

// tapTable returns, for every kernel tap t = ki·kw + kj and input position
// p = i·w + j, the offset in an output plane [hout, wout] that the tap
// touches, (i·sh − ph + ki)·wout + (j·sw − pw + kj), or hout·wout where
// that position lies outside the plane: gather and scatter work on a copy
// of the plane padded with one zero slot there, so each image-tap is one
// flat loop with no bounds logic. Tables are cached per geometry (a few
// KB each).
func tapTable(g geom) []int32 {
	key := g
	key.n = 0 // the table does not depend on the batch size
	if t, ok := tapTables.Load(key); ok {
		return t.([]int32)
	}
	plane, hw := g.hout*g.wout, g.inPlane()
	tab := make([]int32, g.kh*g.kw*hw)
	for ki := 0; ki < g.kh; ki++ {
		for kj := 0; kj < g.kw; kj++ {
			row := tab[(ki*g.kw+kj)*hw : (ki*g.kw+kj+1)*hw]
			for i := 0; i < g.h; i++ {
				for j := 0; j < g.w; j++ {
					oi, oj := i*g.sh-g.ph+ki, j*g.sw-g.pw+kj
					off := plane
					if oi >= 0 && oi < g.hout && oj >= 0 && oj < g.wout {
						off = oi*g.wout + oj
					}
					row[i*g.w+j] = int32(off)
				}
			}
		}
	}
	t, _ := tapTables.LoadOrStore(key, tab)
	return t.([]int32)
}

var tapTables sync.Map // geom (n = 0) → []int32

// gather is im2col for the transposed convolution's output space: for one
// batch item y [cout, hout, wout] it fills the h·w columns starting at
// column off of cols, a [cout·kh·kw, ld] matrix, with
// cols[(co,ki,kj), off+(i,j)] = y[co, i·sh−ph+ki, j·sw−pw+kj], or 0 where
// that position is outside y. Every element of those columns is written.
// pad is scratch space of at least hout·wout + 1 elements.
func gather[T float](g geom, y, cols, pad []T, ld, off int) {
	plane, hw, taps := g.hout*g.wout, g.inPlane(), g.kh*g.kw
	tab := tapTable(g)
	pad = pad[:plane+1]
	pad[plane] = 0
	for co := 0; co < g.cout; co++ {
		copy(pad[:plane], y[co*plane:(co+1)*plane])
		for t := 0; t < taps; t++ {
			idx := tab[t*hw : (t+1)*hw]
			r := (co*taps+t)*ld + off
			d := cols[r : r+hw]
			d = d[:len(idx)]
			for p, si := range idx {
				d[p] = pad[si]
			}
		}
	}
}

// scatter is col2im, the adjoint of gather: for one batch item it sets
// y[co, o] to the sum of cols[(co,ki,kj), off+(i,j)] (cols a
// [cout·kh·kw, ld] matrix) over the taps and positions with
// (i·sh−ph+ki, j·sw−pw+kj) = o, in tap order. y is overwritten. acc is
// scratch space of at least hout·wout + 1 elements.
func scatter[T float](g geom, cols, y, acc []T, ld, off int) {
	plane, hw, taps := g.hout*g.wout, g.inPlane(), g.kh*g.kw
	tab := tapTable(g)
	acc = acc[:plane+1]
	for co := 0; co < g.cout; co++ {
		clear(acc)
		for t := 0; t < taps; t++ {
			idx := tab[t*hw : (t+1)*hw]
			r := (co*taps+t)*ld + off
			src := cols[r : r+hw]
			src = src[:len(idx)]
			for p, di := range idx {
				acc[di] += src[p]
			}
		}
		copy(y[co*plane:(co+1)*plane], acc[:plane])
	}
}

// gemm computes c = op(a)·op(b) + beta·c for row-major matrices, where
// op(a) is m×k and op(b) is k×n, dispatching to gonum's BLAS.
func gemm[T float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		blas32.Implementation().Sgemm(tA, tB, m, n, k, 1, a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		blas64.Implementation().Dgemm(tA, tB, m, n, k, 1, a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		panic("ops: unsupported element type")
	}
}

// numWorkers is the number of workers used for n batch items.
func numWorkers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// parallelFor splits [0, n) into workers contiguous, non-empty chunks
// (workers ≤ n) and calls fn(worker, lo, hi) for each chunk concurrently.
// The split depends only on n and workers, so results reduced per worker in
// worker order are deterministic.
func parallelFor(n, workers int, fn func(worker, lo, hi int)) {
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		lo, hi := wk*n/workers, (wk+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(wk, lo, hi)
		}()
	}
	wg.Wait()
}

// The three kernels below work on the whole batch at once: the batch's
// images side by side as the columns of one matrix, so that each runs one
// large GEMM instead of one per image (bench/NOTES.md, lever 5b). With
// cin·n·h·w elements in channel-major layout [cin, n·h·w] ("xt") and the
// column matrix cols [cout·kh·kw, n·h·w], image b occupying columns
// [b·h·w, (b+1)·h·w):
//
//	forward:    cols = Wᵀ·xt, then y[b] = scatter(cols, b)
//	gradInput:  cols[:, b] = gather(dy[b]), dxt = W·cols, dx = batch-major(dxt)
//	gradKernel: cols[:, b] = gather(dy[b]), dw = xt·colsᵀ
//
// Buffers come from a pool, gather and scatter run per image in parallel,
// and the GEMM is left to the BLAS's own threads. On gogan's SGEMM the
// column matrices of gradInput and gradKernel are not materialised
// (conv_implicit.go); on any BLAS, forward interleaves the batch's
// images from batchInnerMin of them on (conv_batchinner.go).

// forward computes y = convT(x, w). y is overwritten entirely. From
// batchInnerMin images on, the images are interleaved
// (forwardBatchInner, conv_batchinner.go).
func forward[T float](g geom, x, w, y []T) {
	rows, hw, nhw := g.colRows(), g.inPlane(), g.n*g.inPlane()
	if nhw == 0 {
		clear(y)
		return
	}
	if g.n >= batchInnerMin {
		forwardBatchInner(g, x, w, y)
		return
	}
	xt, release := channelMajor(g, x)
	defer release()
	cols := getBuf[T](rows * nhw)
	defer putBuf(cols)
	gemm(true, false, rows, nhw, g.cin, w, rows, xt, nhw, 0, cols, nhw)
	parallelFor(g.n, numWorkers(g.n), func(_, lo, hi int) {
		acc := make([]T, g.hout*g.wout+1)
		for b := lo; b < hi; b++ {
			scatter(g, cols, y[b*g.outItem():(b+1)*g.outItem()], acc, nhw, b*hw)
		}
	})
}

// gradInput computes dx = convTᵀ(dy, w), an ordinary convolution of dy
// with w. dx is overwritten entirely.
func gradInput[T float](g geom, dy, w, dx []T) {
	rows, nhw := g.colRows(), g.n*g.inPlane()
	if nhw == 0 {
		clear(dx)
		return
	}
	if gradInputInterleaved(g, dy, w, dx) {
		return
	}
	dxt := dx // channel-major and batch-major coincide
	if g.cin > 1 && g.n > 1 {
		dxt = getBuf[T](g.cin * nhw)
		defer putBuf(dxt)
	}
	if !gradInputImplicit(g, dy, w, dxt) {
		cols := gatherAll(g, dy)
		gemm(false, false, g.cin, nhw, rows, w, rows, cols, nhw, 0, dxt, nhw)
		putBuf(cols)
	}
	if g.cin == 1 || g.n == 1 {
		return
	}
	hw := g.inPlane()
	for c := 0; c < g.cin; c++ {
		for b := 0; b < g.n; b++ {
			copy(dx[(b*g.cin+c)*hw:(b*g.cin+c+1)*hw], dxt[c*nhw+b*hw:c*nhw+(b+1)*hw])
		}
	}
}

// gradKernel computes dw = Σ_b x[b] · gather(dy[b])ᵀ, [cin, cout·kh·kw],
// as one GEMM over the batch. dw is overwritten entirely.
func gradKernel[T float](g geom, x, dy, dw []T) {
	rows, nhw := g.colRows(), g.n*g.inPlane()
	if nhw == 0 {
		clear(dw)
		return
	}
	xt, release := channelMajor(g, x)
	defer release()
	if gradKernelImplicit(g, xt, dy, dw) {
		return
	}
	cols := gatherAll(g, dy)
	defer putBuf(cols)
	gemm(false, true, g.cin, rows, nhw, xt, nhw, cols, nhw, 0, dw, rows)
}

// gatherAll gathers every image of dy into a pooled column matrix
// [cout·kh·kw, n·h·w]; the caller returns it with putBuf.
func gatherAll[T float](g geom, dy []T) []T {
	rows, hw, nhw := g.colRows(), g.inPlane(), g.n*g.inPlane()
	cols := getBuf[T](rows * nhw)
	parallelFor(g.n, numWorkers(g.n), func(_, lo, hi int) {
		pad := make([]T, g.hout*g.wout+1)
		for b := lo; b < hi; b++ {
			gather(g, dy[b*g.outItem():(b+1)*g.outItem()], cols, pad, nhw, b*hw)
		}
	})
	return cols
}

// channelMajor returns x [n, cin, h·w] in the layout [cin, n·h·w] and a
// function that releases the buffer. With one channel or one image the
// layouts coincide and x itself is returned.
func channelMajor[T float](g geom, x []T) ([]T, func()) {
	if g.cin == 1 || g.n == 1 {
		return x, func() {}
	}
	hw, nhw := g.inPlane(), g.n*g.inPlane()
	xt := getBuf[T](g.cin * nhw)
	for b := 0; b < g.n; b++ {
		for c := 0; c < g.cin; c++ {
			copy(xt[c*nhw+b*hw:c*nhw+(b+1)*hw], x[(b*g.cin+c)*hw:(b*g.cin+c+1)*hw])
		}
	}
	return xt, func() { putBuf(xt) }
}
