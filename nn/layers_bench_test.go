package nn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randInput adds an input node of the given shape filled with N(0, 1)
// values to b's graph.
func randInput(b *nn.Builder, rng *rand.Rand, name string, shape ...int) *G.Node {
	n := b.Input(name, tensor.Float32, shape...)
	for i, d := 0, n.Value().Data().([]float32); i < len(d); i++ {
		d[i] = float32(rng.NormFloat64())
	}
	return n
}

// runBench differentiates Σ(y⊙r) with respect to wrt (none: forward
// only), then runs the graph's TapeMachine once per iteration with
// RunAll, AfterRun and Reset, as gan.Trainer.Step does.
func runBench(tb *testing.B, bld *nn.Builder, rng *rand.Rand, y *G.Node, wrt G.Nodes, flops float64) {
	r := randInput(bld, rng, "r", y.Shape()...)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, r))))
	if len(wrt) > 0 {
		if _, err := G.Grad(loss, wrt...); err != nil {
			tb.Fatal(err)
		}
	}
	vm := G.NewTapeMachine(bld.Graph())
	defer vm.Close()
	tb.ReportAllocs()
	tb.ResetTimer()
	for tb.Loop() {
		if err := vm.RunAll(); err != nil {
			tb.Fatal(err)
		}
		if err := bld.AfterRun(); err != nil {
			tb.Fatal(err)
		}
		vm.Reset()
	}
	if flops > 0 {
		tb.ReportMetric(flops*float64(tb.N)/tb.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

// BenchmarkDense times nn.Dense for the reference MLP discriminator's
// first layer, 784→512 at batch 64 (float32), in a Gorgonia graph:
// forward only; forward and the gradients of the weight and bias (as in a
// discriminator update, 2 GEMMs); forward and the gradients of weight,
// bias and input (as in a generator update, 3 GEMMs); and the last
// followed by the LeakyReLU(0.2) that follows it in the model.
//
//	go test ./nn/ -run '^$' -bench Dense -benchtime 50x
func BenchmarkDense(b *testing.B) {
	const batch, in, out = 64, 784, 512
	gemm := 2.0 * batch * in * out
	for _, c := range []struct {
		name        string
		params, inp bool
		act         bool
		gemms       float64
	}{
		{"forward", false, false, false, 1},
		{"forward+backward-wb", true, false, false, 2},
		{"forward+backward-wbx", true, true, false, 3},
		{"forward+backward-wbx+leakyrelu", true, true, true, 3},
	} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			ps, err := nn.NewParams(tensor.Float32)
			if err != nil {
				b.Fatal(err)
			}
			w, err := ps.New("w", []int{in, out}, nn.GlorotUniform(1), rng)
			if err != nil {
				b.Fatal(err)
			}
			bias, err := ps.New("b", []int{out}, nn.Zeros(), rng)
			if err != nil {
				b.Fatal(err)
			}
			bld := nn.NewBuilder(G.NewGraph(), nn.Training)
			x := randInput(bld, rng, "x", batch, in)
			y, err := nn.Dense(bld, x, w, bias)
			if err != nil {
				b.Fatal(err)
			}
			if c.act {
				if y, err = nn.LeakyReLU(0.2).Apply(y); err != nil {
					b.Fatal(err)
				}
			}
			var wrt G.Nodes
			if c.params {
				wrt = append(wrt, bld.Learnables(ps)...)
			}
			if c.inp {
				wrt = append(wrt, x)
			}
			runBench(b, bld, rng, y, wrt, c.gemms*gemm)
		})
	}
}

// BenchmarkBatchNorm times nn.BatchNorm in training mode on the reference
// DCGAN discriminator's second convolution output, [64, 128, 7, 7]
// (float32): forward only, and forward with the gradients of the input,
// scale and shift, including the running-statistics update (AfterRun).
//
//	go test ./nn/ -run '^$' -bench BatchNorm -benchtime 50x
func BenchmarkBatchNorm(b *testing.B) {
	for _, backward := range []bool{false, true} {
		name := "forward"
		if backward {
			name = "forward+backward"
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			ps, err := nn.NewParams(tensor.Float32)
			if err != nil {
				b.Fatal(err)
			}
			bn, err := nn.NewBatchNorm(ps, "bn", 128, nn.Normal(1, 0.02), rng)
			if err != nil {
				b.Fatal(err)
			}
			bld := nn.NewBuilder(G.NewGraph(), nn.Training)
			x := randInput(bld, rng, "x", 64, 128, 7, 7)
			y, err := bn.Apply(bld, x)
			if err != nil {
				b.Fatal(err)
			}
			var wrt G.Nodes
			if backward {
				wrt = append(G.Nodes{x}, bld.Learnables(ps)...)
			}
			runBench(b, bld, rng, y, wrt, 0)
		})
	}
}
