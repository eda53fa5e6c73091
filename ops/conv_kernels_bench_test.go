package ops

import (
	"testing"

	"gorgonia.org/tensor"
)

// BenchmarkConvKernels times the three kernels in float32 at the
// reference DCGAN's largest layer (batch 64, 128 channels at 7×7 ↔ 64 at
// 14×14, kernel 4, stride 2, padding 1) on the installed BLAS:
// each with the images interleaved (the default for batches from
// batchInnerMin) and batch-major (implicit im2col on gogan's SGEMM for
// the gradients).
func BenchmarkConvKernels(b *testing.B) {
	p := convTParams{strideH: 2, strideW: 2, padH: 1, padW: 1}
	gm, err := p.geometry(tensor.Shape{64, 128, 7, 7}, tensor.Shape{128, 64, 4, 4})
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, gm.n*gm.inItem())
	w := make([]float32, gm.cin*gm.colRows())
	y := make([]float32, gm.n*gm.outItem())
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	for i := range y {
		y[i] = float32(i%3) - 1
	}
	for _, c := range []struct {
		name string
		min  int
	}{{"interleaved", 1}, {"batch-major", 1 << 30}} {
		b.Run("forward/"+c.name, func(b *testing.B) {
			defer func(m int) { batchInnerMin = m }(batchInnerMin)
			batchInnerMin = c.min
			for range b.N {
				forward(gm, x, w, y)
			}
		})
		b.Run("gradInput/"+c.name, func(b *testing.B) {
			defer func(m int) { batchInnerMin = m }(batchInnerMin)
			batchInnerMin = c.min
			for range b.N {
				gradInput(gm, y, w, x)
			}
		})
		b.Run("gradKernel/"+c.name, func(b *testing.B) {
			defer func(m int) { batchInnerMin = m }(batchInnerMin)
			batchInnerMin = c.min
			for range b.N {
				gradKernel(gm, x, y, w)
			}
		})
	}
}
