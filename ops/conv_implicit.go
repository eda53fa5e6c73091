package ops

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas/blas32"
)

// Implicit im2col (bench/NOTES.md, lever 9): where gogan's own SGEMM is
// the BLAS, the input-gradient and kernel-gradient kernels do not
// materialise the column matrix cols [cout·kh·kw, n·h·w] of gather: the
// SGEMM's B packer (sgemmB) reads each element of a packed panel straight
// from the image through a table of offsets, so gathering and packing
// are one pass and the 4·rows·n·h·w bytes of cols are neither written nor
// read back. The packed panels hold the same values in the same order as
// those packed from the explicit column matrix, so the products are bit
// for bit those of gather + goganSgemm. With another BLAS (GOGAN_BLAS=
// openblas, go...) and for float64 the explicit path runs.

// convCols is the column matrix of gather for a whole batch, read from
// the image: cols[co·taps + t, jcol] = pad[co·(plane+1) + base[t·nhw + jcol]],
// where pad is the image y [n, cout, hout·wout] with one zero slot after
// each plane and base (colTable) holds b·cout·(plane+1) + tapTable's
// offset for column jcol = b·h·w + p, the zero slot where the tap falls
// outside the image.
type convCols struct {
	pad      []float32
	base     []int32
	taps     int
	nhw      int
	chStride int // plane + 1
}

// convColsFor builds the implicit column matrix of y [n, cout, hout, wout]
// for geometry g; ok is false where the offsets do not fit in int32 (the
// caller then gathers explicitly). The caller releases it with release.
func convColsFor(g geom, y []float32) (cc convCols, ok bool) {
	plane := g.hout * g.wout
	if int64(g.n)*int64(g.cout)*int64(plane+1) > math.MaxInt32 {
		return convCols{}, false
	}
	pad := getBuf[float32](g.n * g.cout * (plane + 1))
	for i := 0; i < g.n*g.cout; i++ {
		d := pad[i*(plane+1) : (i+1)*(plane+1)]
		copy(d, y[i*plane:(i+1)*plane])
		d[plane] = 0
	}
	return convCols{pad: pad, base: colTable(g), taps: g.kh * g.kw, nhw: g.n * g.inPlane(), chStride: plane + 1}, true
}

// release returns the padded image to its pool.
func (cc *convCols) release() { putBuf(cc.pad) }

// colTable returns convCols's base table for geometry g (cached per
// geometry, batch size included: taps·n·h·w int32).
func colTable(g geom) []int32 {
	if t, ok := colTables.Load(g); ok {
		return t.([]int32)
	}
	plane, hw, nhw, taps := g.hout*g.wout, g.inPlane(), g.n*g.inPlane(), g.kh*g.kw
	tab := tapTable(g)
	base := make([]int32, taps*nhw)
	for t := 0; t < taps; t++ {
		for b := 0; b < g.n; b++ {
			off := int32(b * g.cout * (plane + 1))
			row := base[t*nhw+b*hw : t*nhw+(b+1)*hw]
			for p, o := range tab[t*hw : (t+1)*hw] {
				row[p] = off + o
			}
		}
	}
	t, _ := colTables.LoadOrStore(g, base)
	return t.([]int32)
}

var colTables sync.Map // geom → []int32

// pack packs the kc×nc block at (pc, jc) of op(B) = cols (trans false:
// k runs over the rows co·taps + t, n over the columns) or colsᵀ (trans
// true) into dst as NR-column panels, as sgemmPackB packs a dense B;
// buf is the calling thread's SGEMM scratch.
func (cc *convCols) pack(NR int, trans bool, pc, jc, kc, nc int, dst []float32, buf *sgemmBuf) {
	pad, base, nhw, taps, cs := cc.pad, cc.base, cc.nhw, cc.taps, cc.chStride
	if !trans {
		for jr := 0; jr < nc; jr += NR {
			nr := min(NR, nc-jr)
			d := dst[jr*kc : (jr+NR)*kc]
			if rowGatherer != nil && nr%16 == 0 {
				// One channel's run of taps at a time: rows of the
				// panel p, offsets of tap t in steps of nhw.
				co, t := pc/taps, pc%taps
				for p := 0; p < kc; {
					run := min(taps-t, kc-p)
					_ = d[(p+run-1)*NR+nr-1]
					_ = base[(t+run-1)*nhw+jc+jr+nr-1]
					rowGatherer(&d[p*NR], NR, &pad[co*cs], 0, &base[t*nhw+jc+jr], nhw, run, nr)
					if nr < NR {
						for q := p; q < p+run; q++ {
							clear(d[q*NR+nr : q*NR+NR])
						}
					}
					p += run
					t = 0
					co++
				}
				continue
			}
			co, t := pc/taps, pc%taps
			for p := range kc {
				src := pad[co*cs:]
				idx := base[t*nhw+jc+jr : t*nhw+jc+jr+nr]
				dp := d[p*NR : p*NR+NR]
				dp = dp[:len(idx)]
				for j, o := range idx {
					dp[j] = src[o]
				}
				clear(d[p*NR+nr : p*NR+NR])
				if t++; t == taps {
					t = 0
					co++
				}
			}
		}
		return
	}
	// op(B)[p, j] = cols[jc+j, pc+p]: the panel's nr rows of cols over
	// this depth block are gathered into rows of a scratch block (as
	// gather does), which sgemmPackB then transposes into the panel
	// (8×8 blocks in registers on amd64). Gathering straight into the
	// panel, one strided column at a time or through per-row slices,
	// was twice as slow.
	buf.conv = grow(buf.conv, NR*kc)
	tmp := buf.conv
	for jr := 0; jr < nc; jr += NR {
		nr := min(NR, nc-jr)
		for j := range nr {
			r := jc + jr + j
			co, t := r/taps, r%taps
			src := pad[co*cs:]
			idx := base[t*nhw+pc : t*nhw+pc+kc]
			row := tmp[j*kc : (j+1)*kc]
			row = row[:len(idx)]
			k16 := 0
			if rowGatherer != nil {
				if k16 = kc &^ 15; k16 > 0 {
					rowGatherer(&row[0], 0, &src[0], 0, &idx[0], 0, 1, k16)
				}
			}
			for p := k16; p < kc; p++ {
				row[p] = src[idx[p]]
			}
		}
		sgemmPackB(NR, true, tmp, kc, 0, 0, kc, nr, dst[jr*kc:(jr+NR)*kc])
	}
}

// rowGatherer, where set (amd64 with AVX-512), gathers whole rows of a
// panel with vector gathers: gatherRowsAVX512's contract. The offsets of
// convCols are in range by construction (colTable).
var rowGatherer func(dst *float32, dstStride int, src *float32, srcStride int, idx *int32, idxStride, rows, width int)

// convPackMaxNR is the widest panel convCols.pack packs (the kernels'
// nr: 32 or 16).
const convPackMaxNR = 32

// goganSgemmActive reports whether the matrix products of this package
// run on gogan's SGEMM with an assembly (or forced Go) kernel, so that
// the convolutions may hand it an implicit column matrix.
func goganSgemmActive() bool {
	if _, ok := blas32.Implementation().(runtimeImpl); !ok {
		return false
	}
	if l, _ := runtimeBLAS(); l != nil || rtState.Load().gonum {
		return false
	}
	return sgemmKernel.f != nil
}

// implicitCols enables the implicit column matrix; tests turn it off to
// compare with the explicit path.
var implicitCols = true

// gradInputImplicit is gradInput in float32 on gogan's SGEMM with the
// implicit column matrix; false where it does not apply.
func gradInputImplicit[T float](g geom, dyT, wT, cT []T) bool {
	dy, ok := any(dyT).([]float32)
	if !ok || !implicitCols || !goganSgemmActive() || sgemmKernelFor(g.n*g.inPlane()).nr > convPackMaxNR {
		return false
	}
	w, c := any(wT).([]float32), any(cT).([]float32)
	cc, ok := convColsFor(g, dy)
	if !ok {
		return false
	}
	defer cc.release()
	rows, nhw := g.colRows(), g.n*g.inPlane()
	src := sgemmB{conv: &cc}
	sgemmRun(sgemmKernelFor(nhw), false, g.cin, nhw, rows, 1, w, rows, src, 0, c, nhw)
	return true
}

// gradKernelImplicit is gradKernel's product dw = xt·colsᵀ in float32
// on gogan's SGEMM with the implicit column matrix; false where it does
// not apply.
func gradKernelImplicit[T float](g geom, xtT, dyT, dwT []T) bool {
	dy, ok := any(dyT).([]float32)
	if !ok || !implicitCols || !goganSgemmActive() || sgemmKernelFor(g.colRows()).nr > convPackMaxNR {
		return false
	}
	xt, dw := any(xtT).([]float32), any(dwT).([]float32)
	cc, ok := convColsFor(g, dy)
	if !ok {
		return false
	}
	defer cc.release()
	rows, nhw := g.colRows(), g.n*g.inPlane()
	src := sgemmB{trans: true, conv: &cc}
	sgemmRun(sgemmKernelFor(rows), false, g.cin, rows, nhw, 1, xt, nhw, src, 0, dw, rows)
	return true
}
