package ops

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The convolutions of the 28×28 reference DCGAN's discriminator at batch
// 64 (float32). The generator's transposed convolutions are timed by
// BenchmarkConvTranspose2dForward and BenchmarkConvTranspose2dForwardBackward
// in bench_test.go; Gorgonia has no transposed convolution to compare with.
var (
	benchConvD1 = conv2dCase{name: "1x28x28to64x14x14", n: 64, cin: 1, cout: 64, h: 28, w: 28, k: 4,
		stride: [2]int{2, 2}, pad: [2]int{1, 1}, wantH: 14, wantW: 14}
	benchConvD2 = conv2dCase{name: "64x14x14to128x7x7", n: 64, cin: 64, cout: 128, h: 14, w: 14, k: 4,
		stride: [2]int{2, 2}, pad: [2]int{1, 1}, wantH: 7, wantW: 7}
)

// flops is the forward cost 2·N·Cout·Hout·Wout·Cin·k², the same for
// each of the two gradients.
func (c conv2dCase) flops() float64 {
	return 2 * float64(c.n*c.cout*c.wantH*c.wantW*c.cin*c.k*c.k)
}

// benchConv2dGraph runs a convolution, G.Conv2d (gorgonia) or Conv2d, and
// for backward also the gradients of Σ(y⊙r) with respect to x and w, in a
// TapeMachine with RunAll and Reset per iteration, as a training step
// does.
func benchConv2dGraph(b *testing.B, c conv2dCase, gorgonia, backward bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithName("x"), G.WithShape(c.xShape()...), G.WithValue(randDense32(rng, c.xShape()...)))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithName("w"), G.WithShape(c.wShape()...), G.WithValue(randDense32(rng, c.wShape()...)))
	var y *G.Node
	var err error
	if gorgonia {
		y, err = G.Conv2d(x, w, tensor.Shape{c.k, c.k}, c.pad[:], c.stride[:], []int{1, 1})
	} else {
		y, err = Conv2d(x, w, c.stride, c.pad)
	}
	if err != nil {
		b.Fatal(err)
	}
	runGraphBench(b, rng, g, x, w, y, c.flops(), backward)
}

// BenchmarkConv2d compares Gorgonia's G.Conv2d with ops.Conv2d on the
// reference DCGAN discriminator's convolutions, forward only and forward
// plus both gradients:
//
//	go test ./ops/ -run '^$' -bench 'Conv2d$' -benchtime 20x
func BenchmarkConv2d(b *testing.B) {
	for _, c := range []conv2dCase{benchConvD1, benchConvD2} {
		for _, pass := range []string{"forward", "forward+backward"} {
			for _, impl := range []string{"gorgonia", "ops"} {
				b.Run(c.name+"/"+pass+"/"+impl, func(b *testing.B) {
					benchConv2dGraph(b, c, impl == "gorgonia", pass != "forward")
				})
			}
		}
	}
}

// gemmCase is one float32 matrix product C[m×n] = A[m×k]·B[k×n].
type gemmCase struct {
	name    string
	m, n, k int
}

// BenchmarkSgemm times gonum's float32 GEMM (blas32, the one Gorgonia and
// ops call) on a large square product, the throughput ceiling of this
// BLAS on the machine, and on the products of the reference networks at
// batch 64: the MLP's dense layers forward (64×784 · 784×512 and the
// like) and the per-image GEMMs of ops.Conv2d's im2col formulation for
// the DCGAN discriminator's second convolution.
//
//	go test ./ops/ -run '^$' -bench Sgemm -benchtime 20x
func BenchmarkSgemm(b *testing.B) {
	cases := []gemmCase{
		{"1024x1024x1024", 1024, 1024, 1024},
		{"mlp-D-64x784x512", 64, 512, 784},
		{"mlp-D-64x512x256", 64, 256, 512},
		{"mlp-G-64x512x784", 64, 784, 512},
		// ops.Conv2d 64→128 on 14×14 → 7×7, per image: the kernel read as
		// [Cout=128, Cin·k²=1024] times the gathered input [1024, 7·7].
		{"conv-D2-per-image-128x49x1024", 128, 49, 1024},
		// The same work as one GEMM over the whole batch (N·49 columns).
		{"conv-D2-batched-128x3136x1024", 128, 64 * 49, 1024},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			a := to32(randSlice(rng, c.m*c.k))
			bb := to32(randSlice(rng, c.k*c.n))
			cc := make([]float32, c.m*c.n)
			impl := blas32.Implementation()
			b.ResetTimer()
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, c.m, c.n, c.k, 1, a, c.k, bb, c.n, 0, cc, c.n)
			}
			reportGFLOPs(b, 2*float64(c.m)*float64(c.n)*float64(c.k))
		})
	}
}
