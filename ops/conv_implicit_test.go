package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"
)

// kernelCases are forwardCases plus geometries with a batch of one, one
// input channel, strides up to 3 in both directions, padding wider than
// the stride and sizes that are not multiples of the SGEMM's tiles.
func kernelCases() []convCase {
	cs := append([]convCase(nil), forwardCases...)
	rng := rand.New(rand.NewPCG(91, 92))
	for i := range 24 {
		c := convCase{
			n: 1 + rng.IntN(3), cin: 1 + rng.IntN(5), cout: 1 + rng.IntN(4),
			h: 1 + rng.IntN(7), w: 1 + rng.IntN(7),
			kh: 1 + rng.IntN(5), kw: 1 + rng.IntN(5),
		}
		if i%4 == 0 {
			c.n = 1
		}
		if i%5 == 1 {
			c.cin = 1
		}
		for d := range 2 {
			c.stride[d] = 1 + rng.IntN(3)
			c.pad[d] = rng.IntN(3)
			c.outPad[d] = rng.IntN(c.stride[d])
		}
		if ho, wo := c.outHW(); ho <= 0 || wo <= 0 {
			continue
		}
		c.name = fmt.Sprintf("rand%d-n%dc%d>%d-%dx%d-k%dx%d-s%v-p%v-o%v", i, c.n, c.cin, c.cout, c.h, c.w, c.kh, c.kw, c.stride, c.pad, c.outPad)
		cs = append(cs, c)
	}
	// Large enough for several SGEMM tiles and depth blocks, and for the
	// parallel split.
	cs = append(cs, convCase{name: "tiles", n: 3, cin: 13, cout: 21, h: 7, w: 9, kh: 4, kw: 4, stride: [2]int{2, 2}, pad: [2]int{1, 1}})
	return cs
}

// sameBits reports the first index where a and b differ bit for bit
// (NaNs of any payload count as equal), -1 if none.
func sameBits[T float](a, b []T) int {
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
		if a[i] == 0 && math.Signbit(float64(a[i])) != math.Signbit(float64(b[i])) {
			return i
		}
	}
	return -1
}

// spiked returns random values with NaN, +Inf and −Inf at a few places.
func spiked(rng *rand.Rand, n int) []float64 {
	s := randSlice(rng, n)
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if n > 3 {
			s[rng.IntN(n)] = v
		}
	}
	return s
}

// TestImplicitColsMatchExplicit: with gogan's SGEMM as the BLAS, the
// float32 input-gradient and kernel-gradient kernels, which pack the
// column matrix straight from the image (batch-major, and interleaved
// with batchInnerMin = 1), give bit for bit what gather + the same SGEMM
// give, on every kernel, serial and split over threads, with NaN and
// ±Inf in the image; and they agree with the float64 kernels to float32
// rounding.
func TestImplicitColsMatchExplicit(t *testing.T) {
	defer func() { require.NoError(t, UseBLAS(blasChoice)) }()
	require.NoError(t, UseBLAS("gogan"))
	if sgemmKernel.f == nil {
		t.Skip("no SGEMM kernel of gogan's on this CPU: the products run on gonum and the implicit path is off")
	}
	require.True(t, goganSgemmActive())
	rng := rand.New(rand.NewPCG(7, 8))
	cases := kernelCases()
	defer func(m int) { batchInnerMin = m }(batchInnerMin)
	for name, k := range sgemmKernels() {
		for _, parallel := range []bool{false, true} {
			for _, inner := range []int{1 << 30, 1} { // batch-major, interleaved
				batchInnerMin = inner
				name := fmt.Sprintf("%s batchInnerMin=%d", name, inner)
				withSgemm(k, parallel, func() {
					for _, c := range cases {
						gm, err := c.params().geometry(tensor.Shape(c.xShape()), tensor.Shape(c.wShape()))
						require.NoError(t, err, c.name)
						x64 := randSlice(rng, gm.n*gm.inItem())
						w64 := randSlice(rng, gm.cin*gm.colRows())
						dy64 := randSlice(rng, gm.n*gm.outItem())
						x, w, dy := to32(x64), to32(w64), to32(dy64)
						run := func(implicit bool, dy []float32) (dx, dw []float32) {
							implicitCols = implicit
							defer func() { implicitCols = true }()
							dx = make([]float32, len(x))
							dw = make([]float32, len(w))
							for i := range dx {
								dx[i] = float32(math.NaN()) // overwritten
							}
							gradInput(gm, dy, w, dx)
							gradKernel(gm, x, dy, dw)
							return dx, dw
						}
						dxI, dwI := run(true, dy)
						dxE, dwE := run(false, dy)
						require.Equal(t, -1, sameBits(dxI, dxE), "%s %s parallel=%v: dx", name, c.name, parallel)
						require.Equal(t, -1, sameBits(dwI, dwE), "%s %s parallel=%v: dw", name, c.name, parallel)

						dx64 := make([]float64, len(x64))
						dw64 := make([]float64, len(w64))
						gradInput(gm, dy64, w64, dx64)
						gradKernel(gm, x64, dy64, dw64)
						require.Less(t, maxRelErr(to64(dxI), dx64), 1e-4, "%s %s: dx against float64", name, c.name)
						require.Less(t, maxRelErr(to64(dwI), dw64), 1e-4, "%s %s: dw against float64", name, c.name)

						if len(dy) > 3 { // NaN and ±Inf propagate as in the explicit path
							dyS := to32(spiked(rng, len(dy)))
							dxI, dwI := run(true, dyS)
							dxE, dwE := run(false, dyS)
							require.Equal(t, -1, sameBits(dxI, dxE), "%s %s: dx with NaN/Inf", name, c.name)
							require.Equal(t, -1, sameBits(dwI, dwE), "%s %s: dw with NaN/Inf", name, c.name)
						}
					}
				})
			}
		}
	}
}

// TestImplicitColsOnlyOnGogan: the implicit column matrix is used only
// where gogan's SGEMM is the BLAS.
func TestImplicitColsOnlyOnGogan(t *testing.T) {
	defer func() { require.NoError(t, UseBLAS(blasChoice)) }()
	require.NoError(t, UseBLAS("go"))
	require.False(t, goganSgemmActive())
	gm, err := convTParams{strideH: 2, strideW: 2, padH: 1, padW: 1}.geometry(tensor.Shape{2, 3, 4, 4}, tensor.Shape{3, 2, 4, 4})
	require.NoError(t, err)
	require.False(t, gradInputImplicit(gm, make([]float32, gm.n*gm.outItem()), make([]float32, gm.cin*gm.colRows()), make([]float32, gm.n*gm.inItem())))
	require.NoError(t, UseBLAS("gogan"))
	if sgemmKernel.f != nil {
		require.True(t, goganSgemmActive())
	}
	require.False(t, gradInputImplicit(gm, make([]float64, gm.n*gm.outItem()), make([]float64, gm.cin*gm.colRows()), make([]float64, gm.n*gm.inItem())), "float64 stays explicit")
}

// TestForwardBatchInner: the transposed convolution's forward pass with
// the images interleaved (vector adds into [plane, n] accumulators) gives
// bit for bit the batch-major path's values, in float32 (assembly adds
// where n is a multiple of the vector width: n = 8, 16, 32) and float64,
// on gogan's SGEMM (every kernel, serial and split) and on gonum's BLAS,
// with NaN and ±Inf in the input.
func TestForwardBatchInner(t *testing.T) {
	defer func() { require.NoError(t, UseBLAS(blasChoice)) }()
	defer func(m int) { batchInnerMin = m }(batchInnerMin)
	rng := rand.New(rand.NewPCG(9, 10))
	cases := kernelCases()
	for _, n := range []int{8, 16, 32} {
		cases = append(cases,
			convCase{name: fmt.Sprintf("dcgan-n%d", n), n: n, cin: 5, cout: 3, h: 3, w: 3, kh: 4, kw: 4, stride: [2]int{2, 2}, pad: [2]int{1, 1}},
			convCase{name: fmt.Sprintf("odd-n%d", n), n: n, cin: 2, cout: 2, h: 5, w: 2, kh: 3, kw: 2, stride: [2]int{3, 1}, pad: [2]int{2, 0}, outPad: [2]int{1, 0}})
	}
	check := func(label string) {
		for _, c := range cases {
			gm, err := c.params().geometry(tensor.Shape(c.xShape()), tensor.Shape(c.wShape()))
			require.NoError(t, err, c.name)
			x64 := randSlice(rng, gm.n*gm.inItem())
			if len(x64) > 3 && rng.IntN(2) == 0 {
				x64 = spiked(rng, len(x64))
			}
			w64 := randSlice(rng, gm.cin*gm.colRows())
			run := func(inner bool, x, w, y any) {
				batchInnerMin = 1 << 30
				if inner {
					batchInnerMin = 1
				}
				switch x := x.(type) {
				case []float32:
					forward(gm, x, w.([]float32), y.([]float32))
				case []float64:
					forward(gm, x, w.([]float64), y.([]float64))
				}
			}
			y1, y2 := make([]float32, gm.n*gm.outItem()), make([]float32, gm.n*gm.outItem())
			for i := range y1 {
				y1[i] = float32(math.NaN()) // overwritten
			}
			run(true, to32(x64), to32(w64), y1)
			run(false, to32(x64), to32(w64), y2)
			require.Equal(t, -1, sameBits(y1, y2), "%s %s: float32", label, c.name)
			z1, z2 := make([]float64, len(y1)), make([]float64, len(y1))
			run(true, x64, w64, z1)
			run(false, x64, w64, z2)
			require.Equal(t, -1, sameBits(z1, z2), "%s %s: float64", label, c.name)
		}
	}
	require.NoError(t, UseBLAS("go"))
	check("gonum")
	require.NoError(t, UseBLAS("gogan"))
	for name, k := range sgemmKernels() {
		for _, parallel := range []bool{false, true} {
			withSgemm(k, parallel, func() { check(fmt.Sprintf("%s parallel=%v", name, parallel)) })
		}
	}
}

// TestTransposeTo checks transposeTo against its definition on sizes
// around the 8×8 blocks, with strides wider than the rows.
func TestTransposeTo(t *testing.T) {
	for _, rows := range []int{1, 7, 8, 9, 17} {
		for _, cols := range []int{1, 5, 8, 13, 16} {
			lds, ldd := cols+3, rows+2
			src := make([]float32, rows*lds)
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			dst := make([]float32, cols*ldd)
			transposeTo(dst, ldd, src, lds, rows, cols)
			for j := range rows {
				for p := range cols {
					require.Equal(t, src[j*lds+p], dst[p*ldd+j], "rows %d cols %d (%d, %d)", rows, cols, j, p)
				}
			}
			for p := range cols {
				for j := rows; j < ldd && p*ldd+j < len(dst); j++ {
					require.Zero(t, dst[p*ldd+j], "rows %d cols %d: wrote past the rows", rows, cols)
				}
			}
		}
	}
}
