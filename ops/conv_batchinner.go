package ops

// Batch-inner col2im (bench/NOTES.md, lever 9). The transposed
// convolution's forward pass computes cols = Wᵀ·x over the batch and then
// sums the columns into the output (scatter, col2im). With the batch's
// images side by side (columns b·h·w + p), scatter adds one element at a
// time into a plane through an offset table: a read-modify-write per
// (tap, position). With the images interleaved instead (columns p·n + b,
// the input transposed to [cin, h·w, n]), the n values of one tap and
// position are contiguous in cols and go to n contiguous accumulators
// [plane, n]: scatter becomes one contiguous add of n floats per (tap,
// position), and the output is transposed back to [n, cout, plane] once.
// Every output element is still the sum of the same terms in tap order,
// starting from zero, and every element of cols the same product over
// cin: gogan's SGEMM and gonum's compute an element of C the same way
// whatever its column, so on them the results are bit for bit those of
// the batch-major path (TestForwardBatchInner); a library BLAS may round
// an element differently by its position in a tile.

// batchInnerMin is the batch size from which forward interleaves the
// images (below it the contiguous runs are too short to pay for the two
// transposes). A variable for the tests.
var batchInnerMin = 8

// forwardBatchInner is forward with the images interleaved; see above.
func forwardBatchInner[T float](g geom, x, w, y []T) {
	n, hw, plane, taps := g.n, g.inPlane(), g.hout*g.wout, g.kh*g.kw
	rows, nhw := g.colRows(), n*hw
	xb := getBuf[T](g.cin * nhw) // xb[c, p, b] = x[b, c, p]
	defer putBuf(xb)
	for c := 0; c < g.cin; c++ {
		transposeTo(xb[c*nhw:], n, x[c*hw:], g.cin*hw, n, hw)
	}
	cols := getBuf[T](rows * nhw)
	defer putBuf(cols)
	gemm(true, false, rows, nhw, g.cin, w, rows, xb, nhw, 0, cols, nhw)
	tab := tapTable(g)
	parallelFor(g.cout, numWorkers(g.cout), func(_, lo, hi int) {
		acc := getBuf[T]((plane + 1) * n) // acc[o, b]; row plane is the discard slot
		defer putBuf(acc)
		for co := lo; co < hi; co++ {
			clear(acc)
			for t := 0; t < taps; t++ {
				colAdd(acc, cols[(co*taps+t)*nhw:(co*taps+t+1)*nhw], tab[t*hw:(t+1)*hw], plane, n)
			}
			transposeTo(y[co*plane:], g.cout*plane, acc, n, plane, n) // y[b, co, o] = acc[o, b]
		}
	})
}

// colAdder, where set (amd64), is colAdd's kernel for float32 and n a
// multiple of colAddWidth.
var (
	colAdder    func(acc, row *float32, tab *int32, count, n int)
	colAddWidth int
)

// colAdd adds row [len(tab), n] into acc [plane+1, n] by rows:
// acc[tab[p], :] += row[p, :], p in order. The entries of tab lie in
// [0, plane].
func colAdd[T float](acc, row []T, tab []int32, plane, n int) {
	if len(tab) == 0 {
		return
	}
	acc = acc[:(plane+1)*n]
	row = row[:len(tab)*n]
	if a32, ok := any(acc).([]float32); ok && colAdder != nil && n%colAddWidth == 0 {
		for _, o := range tab {
			if o < 0 || int(o) > plane {
				panic("ops: colAdd: offset out of range")
			}
		}
		colAdder(&a32[0], &any(row).([]float32)[0], &tab[0], len(tab), n)
		return
	}
	for p, o := range tab {
		a := acc[int(o)*n : int(o)*n+n]
		s := row[p*n : p*n+n]
		s = s[:len(a)]
		for k, v := range s {
			a[k] += v
		}
	}
}

// transposeTo sets dst[p·ldd + j] = src[j·lds + p] for j < rows,
// p < cols: 8×8 blocks in registers for float32 where sgemmTransposer is
// set (amd64), the rest element by element.
func transposeTo[T float](dst []T, ldd int, src []T, lds int, rows, cols int) {
	j8 := 0
	if d32, ok := any(dst).([]float32); ok && sgemmTransposer != nil && cols >= 8 {
		s32 := any(src).([]float32)
		k8 := cols &^ 7
		j8 = rows &^ 7
		for j0 := 0; j0 < j8; j0 += 8 {
			sgemmTransposer(d32[j0:], ldd, s32[j0*lds:], lds, k8)
		}
		for j := 0; j < j8; j++ {
			for p := k8; p < cols; p++ {
				dst[p*ldd+j] = src[j*lds+p]
			}
		}
	}
	for j := j8; j < rows; j++ {
		s := src[j*lds : j*lds+cols]
		for p, v := range s {
			dst[p*ldd+j] = v
		}
	}
}
