//go:build amd64 && !purego

package ops

// colAddAVX512 is colAdd's kernel in AVX-512F (colsum_amd64.s): for
// p < count and k < n, n a positive multiple of 16,
// acc[tab[p]·n + k] += row[p·n + k].
//
//go:noescape
func colAddAVX512(acc, row *float32, tab *int32, count, n int)

// colAddAVX2 is colAddAVX512 with 8-float AVX vectors: n a positive
// multiple of 8.
//
//go:noescape
func colAddAVX2(acc, row *float32, tab *int32, count, n int)

// gatherRowsAVX512 sets dst[r·dstStride + i] =
// src[r·srcStride + idx[r·idxStride + i]] for r < rows and i < width, a
// positive multiple of 16 (colsum_amd64.s; AVX-512F gathers). The
// indices must be in range: nothing is checked.
//
//go:noescape
func gatherRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, idx *int32, idxStride, rows, width int)

func init() {
	switch {
	case hasAVX512:
		colAdder, colAddWidth = colAddAVX512, 16
		rowGatherer = gatherRowsAVX512
	case hasAVX2FMA:
		colAdder, colAddWidth = colAddAVX2, 8
	}
}
