//go:build amd64 && !purego

package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestColAddAsm checks each assembly colAdd kernel this CPU runs against
// the Go loop, bit for bit, with NaN and ±Inf, repeated offsets and the
// discard row.
func TestColAddAsm(t *testing.T) {
	type kern struct {
		name  string
		f     func(acc, row *float32, tab *int32, count, n int)
		width int
	}
	var ks []kern
	if hasAVX512 {
		ks = append(ks, kern{"avx512", colAddAVX512, 16})
	}
	if hasAVX2FMA {
		ks = append(ks, kern{"avx2", colAddAVX2, 8})
	}
	if len(ks) == 0 {
		t.Skip("no assembly colAdd kernel on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range ks {
		for _, n := range []int{k.width, 2 * k.width, 5 * k.width} {
			plane, count := 11, 23
			tab := make([]int32, count)
			for i := range tab {
				tab[i] = int32(rng.IntN(plane + 1))
			}
			row := to32(spiked(rng, count*n))
			acc0 := to32(randSlice(rng, (plane+1)*n))
			want := append([]float32(nil), acc0...)
			for p, o := range tab {
				for q := range n {
					want[int(o)*n+q] += row[p*n+q]
				}
			}
			got := append([]float32(nil), acc0...)
			k.f(&got[0], &row[0], &tab[0], count, n)
			require.Equal(t, -1, sameBits(got, want), "%s n=%d", k.name, n)
		}
	}
}

// TestGatherRowsAsm checks gatherRowsAVX512 against its definition with
// every stride in use.
func TestGatherRowsAsm(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, width, dstStride, srcStride, idxStride = 5, 48, 53, 7, 50
	src := to32(randSlice(rng, 200+rows*srcStride))
	src[3] = float32(math.NaN())
	idx := make([]int32, (rows-1)*idxStride+width)
	for i := range idx {
		idx[i] = int32(rng.IntN(200))
	}
	dst := make([]float32, (rows-1)*dstStride+width+3)
	gatherRowsAVX512(&dst[0], dstStride, &src[0], srcStride, &idx[0], idxStride, rows, width)
	for r := range rows {
		for i := range width {
			want := src[r*srcStride+int(idx[r*idxStride+i])]
			got := dst[r*dstStride+i]
			require.True(t, got == want || (got != got && want != want), "row %d col %d", r, i)
		}
	}
	for _, v := range dst[(rows-1)*dstStride+width:] {
		require.Zero(t, v, "wrote past the last row")
	}
}
