package ops

// Interleaved implicit im2col (bench/NOTES.md, lever 9d): for a batch of
// batchInnerMin images or more, the input-gradient kernel uses the
// column order of forwardBatchInner, J = p·n + b (position-major, image
// inner). The image dy is transposed once to [cout, plane+1, n] (a zero
// row at the end of each channel for the taps outside the image), so the
// n values of column matrix row (co, t) at position p,
// dy[0..n, co, tab[t, p]], are contiguous: each row of a packed panel is
// one or two copies instead of an indexed gather per element, and the
// product's result is transposed back to [n, cin, h·w] once. Every
// element of the result is the same FMA chain over the same k order as
// in the batch-major implicit path (gogan's SGEMM computes an element
// the same way whatever its column), so the results are bit for bit the
// same. The kernel gradient keeps the batch-major order: there the
// columns are the product's depth, and reordering them would change the
// order of the sums.

// convColsI is the interleaved column matrix:
// cols[co·taps + t, p·n + b] = pad[co·(plane+1)·n + tab[t·hw + p]·n + b],
// tab being tapTable's (plane for a tap outside the image).
type convColsI struct {
	pad      []float32
	tab      []int32
	taps     int
	hw, n    int
	chStride int // (plane+1)·n
}

// convColsIFor transposes y [n, cout, plane] into a pooled [cout, plane+1, n]
// with zero rows; the caller releases it with release.
func convColsIFor(g geom, y []float32) convColsI {
	n, plane := g.n, g.hout*g.wout
	cs := (plane + 1) * n
	pad := getBuf[float32](g.cout * cs)
	for co := 0; co < g.cout; co++ {
		transposeTo(pad[co*cs:], n, y[co*plane:], g.cout*plane, n, plane)
		clear(pad[co*cs+plane*n : (co+1)*cs])
	}
	return convColsI{pad: pad, tab: tapTable(g), taps: g.kh * g.kw, hw: g.inPlane(), n: n, chStride: cs}
}

// release returns the transposed image to its pool.
func (cc *convColsI) release() { putBuf(cc.pad) }

// row sets dst to the columns [J, J+len(dst)) of row r of the column
// matrix.
func (cc *convColsI) row(dst []float32, r, J int) {
	n := cc.n
	co, t := r/cc.taps, r%cc.taps
	ch := cc.pad[co*cc.chStride : (co+1)*cc.chStride]
	tab := cc.tab[t*cc.hw : (t+1)*cc.hw]
	p, b := J/n, J%n
	for len(dst) > 0 {
		m := min(n-b, len(dst))
		o := int(tab[p]) * n
		copy(dst[:m], ch[o+b:o+b+m])
		dst = dst[m:]
		p, b = p+1, 0
	}
}

// pack packs the kc×nc block at (pc, jc) of the column matrix (k over
// its rows, n over its columns) into dst as NR-column panels, as
// sgemmPackB packs a dense, untransposed B.
func (cc *convColsI) pack(NR int, pc, jc, kc, nc int, dst []float32) {
	for jr := 0; jr < nc; jr += NR {
		nr := min(NR, nc-jr)
		d := dst[jr*kc : (jr+NR)*kc]
		for p := range kc {
			dp := d[p*NR : p*NR+NR]
			cc.row(dp[:nr], pc+p, jc+jr)
			clear(dp[nr:])
		}
	}
}

// interleavedOK reports whether the interleaved implicit path applies to
// a float32 product with n columns on the installed BLAS.
func interleavedOK(g geom, n int) bool {
	return g.n >= batchInnerMin && implicitCols && goganSgemmActive() && sgemmKernelFor(n).nr <= convPackMaxNR
}

// gradInputInterleaved is gradInput in float32 with the interleaved
// implicit column matrix; false where it does not apply.
func gradInputInterleaved[T float](g geom, dyT, wT, dxT []T) bool {
	dy, ok := any(dyT).([]float32)
	nhw := g.n * g.inPlane()
	if !ok || !interleavedOK(g, nhw) {
		return false
	}
	w, dx := any(wT).([]float32), any(dxT).([]float32)
	cc := convColsIFor(g, dy)
	defer cc.release()
	c := getBuf[float32](g.cin * nhw) // c[ci, p·n + b]
	defer putBuf(c)
	rows, hw := g.colRows(), g.inPlane()
	sgemmRun(sgemmKernelFor(nhw), false, g.cin, nhw, rows, 1, w, rows, sgemmB{convI: &cc}, 0, c, nhw)
	for ci := 0; ci < g.cin; ci++ { // dx[b, ci, p] = c[ci, p·n + b]
		transposeTo(dx[ci*hw:], g.cin*hw, c[ci*nhw:], g.n, hw, g.n)
	}
	return true
}
