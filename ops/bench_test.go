package ops

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DCGAN generator layers at batch 64 (float32).
var (
	benchDCGAN1 = convCase{name: "128x7x7to64x14x14", n: 64, cin: 128, cout: 64, h: 7, w: 7, kh: 4, kw: 4, stride: [2]int{2, 2}, pad: [2]int{1, 1}}
	benchDCGAN2 = convCase{name: "64x14x14to1x28x28", n: 64, cin: 64, cout: 1, h: 14, w: 14, kh: 4, kw: 4, stride: [2]int{2, 2}, pad: [2]int{1, 1}}
)

// forwardFlops is 2·N·Cin·Cout·kH·kW·H·W.
func (c convCase) forwardFlops() float64 {
	return 2 * float64(c.n*c.cin*c.cout*c.kh*c.kw*c.h*c.w)
}

func randDense32(rng *rand.Rand, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(to32(randSlice(rng, prod(shape)))))
}

func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// benchOps runs the op kernels directly into preallocated outputs: the
// forward op, and for backward also the input- and kernel-gradient ops
// (each costs as many flops as the forward).
func benchOps(b *testing.B, c convCase, backward bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	ho, wo := c.outHW()
	x := randDense32(rng, c.xShape()...)
	w := randDense32(rng, c.wShape()...)
	dy := randDense32(rng, c.n, c.cout, ho, wo)
	fwd := convTransposeOp{c.params()}
	gi := convTransposeGradInputOp{c.params(), c.h, c.w}
	gk := convTransposeGradKernelOp{c.params(), c.kh, c.kw}
	y := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(c.n, c.cout, ho, wo))
	dx := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(c.xShape()...))
	dw := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(c.wShape()...))
	b.ResetTimer()
	for b.Loop() {
		if _, err := fwd.UsePreallocDo(y, x, w); err != nil {
			b.Fatal(err)
		}
		if backward {
			if _, err := gi.UsePreallocDo(dx, dy, w); err != nil {
				b.Fatal(err)
			}
			if _, err := gk.UsePreallocDo(dw, x, dy); err != nil {
				b.Fatal(err)
			}
		}
	}
	flops := c.forwardFlops()
	if backward {
		flops *= 3
	}
	reportGFLOPs(b, flops)
}

// benchGraph runs ConvTranspose2d (and, for backward, G.Grad of Σ(y⊙r))
// in a TapeMachine with RunAll and Reset per iteration, as a training loop
// does.
func benchGraph(b *testing.B, c convCase, backward bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithName("x"), G.WithShape(c.xShape()...), G.WithValue(randDense32(rng, c.xShape()...)))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithName("w"), G.WithShape(c.wShape()...), G.WithValue(randDense32(rng, c.wShape()...)))
	y, err := ConvTranspose2d(x, w, c.stride, c.pad, c.outPad)
	if err != nil {
		b.Fatal(err)
	}
	runGraphBench(b, rng, g, x, w, y, c.forwardFlops(), backward)
}

// runGraphBench times y's graph (and, for backward, G.Grad of Σ(y⊙r) with
// respect to x and w, costing twice the forward flops more) in a
// TapeMachine with RunAll and Reset per iteration, as a training step
// does, and reports GFLOP/s.
func runGraphBench(b *testing.B, rng *rand.Rand, g *G.ExprGraph, x, w, y *G.Node, flops float64, backward bool) {
	b.Helper()
	if backward {
		ys := y.Shape()
		r := G.NewTensor(g, tensor.Float32, 4, G.WithName("r"), G.WithShape(ys...), G.WithValue(randDense32(rng, ys...)))
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, r))))
		if _, err := G.Grad(loss, x, w); err != nil {
			b.Fatal(err)
		}
		flops *= 3
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
		m.Reset()
	}
	reportGFLOPs(b, flops)
}

func BenchmarkConvTranspose2dForward(b *testing.B) {
	for _, c := range []convCase{benchDCGAN1, benchDCGAN2} {
		b.Run(c.name+"/op", func(b *testing.B) { benchOps(b, c, false) })
		b.Run(c.name+"/graph", func(b *testing.B) { benchGraph(b, c, false) })
	}
}

func BenchmarkConvTranspose2dForwardBackward(b *testing.B) {
	for _, c := range []convCase{benchDCGAN1, benchDCGAN2} {
		b.Run(c.name+"/op", func(b *testing.B) { benchOps(b, c, true) })
		b.Run(c.name+"/graph", func(b *testing.B) { benchGraph(b, c, true) })
	}
}

// BenchmarkGatherScatter times im2col and col2im over a batch of 64 at the
// geometry of the reference DCGAN's largest layers (kernel 4, stride 2,
// padding 1, 64 channels at 14×14 ↔ 128 at 7×7).
func BenchmarkGatherScatter(b *testing.B) {
	p := convTParams{strideH: 2, strideW: 2, padH: 1, padW: 1}
	gm, err := p.geometry(tensor.Shape{64, 128, 7, 7}, tensor.Shape{128, 64, 4, 4})
	if err != nil {
		b.Fatal(err)
	}
	y := make([]float32, gm.n*gm.outItem())
	for i := range y {
		y[i] = float32(i % 7)
	}
	b.Run("gather", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			putBuf(gatherAll(gm, y))
		}
	})
	b.Run("scatter", func(b *testing.B) {
		cols := gatherAll(gm, y)
		out := make([]float32, gm.outItem())
		acc := make([]float32, gm.hout*gm.wout+1)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for n := 0; n < gm.n; n++ {
				scatter(gm, cols, out, acc, gm.n*gm.inPlane(), n*gm.inPlane())
			}
		}
	})
}
