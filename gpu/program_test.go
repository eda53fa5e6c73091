package gpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/ops"
	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// countingDevice counts the allocations of the device it wraps.
type countingDevice struct {
	gpu.Device
	allocs int
}

func (c *countingDevice) Alloc(n int) (gpu.Buffer, error) {
	c.allocs++
	return c.Device.Alloc(n)
}

func randTensor(rng *rand.Rand, scale float64, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(scale * rng.NormFloat64())
	}
	return t
}

// convNet builds a small graph with every op family of the reference
// networks: a transposed convolution, batch norm, LeakyReLU, a strided
// convolution, a bias, a matrix product, tanh, sigmoid, softplus and a
// mean; and its gradients with respect to the weights.
func convNet(t *testing.T, seed uint64) (g *G.ExprGraph, loss *G.Node, grads G.Nodes, weights []*tensor.Dense, x *tensor.Dense) {
	rng := rand.New(rand.NewPCG(seed, 1))
	g = G.NewGraph()
	x = randTensor(rng, 1, 3, 4, 5, 5)
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(3, 4, 5, 5), G.WithName("x"), G.WithValue(x))
	wt := randTensor(rng, 0.2, 4, 6, 4, 4) // ConvTranspose2d kernel [Cin, Cout, kH, kW]
	scale, shift := randTensor(rng, 0.1, 6), randTensor(rng, 0.1, 6)
	for i := range scale.Float32s() {
		scale.Float32s()[i] += 1
	}
	wc := randTensor(rng, 0.2, 5, 6, 3, 3) // Conv2d kernel [Cout, Cin, kH, kW]
	bias := randTensor(rng, 0.1, 5)
	wd := randTensor(rng, 0.1, 5*5*5, 3)
	weights = []*tensor.Dense{wt, scale, shift, wc, bias, wd}
	var nodes G.Nodes
	for i, w := range weights {
		nodes = append(nodes, G.NewTensor(g, tensor.Float32, w.Dims(), G.WithShape(w.Shape()...), G.WithName(string(rune('a'+i))), G.WithValue(w)))
	}
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		require.NoError(t, err)
		return n
	}
	y := must(ops.ConvTranspose2d(xn, nodes[0], [2]int{2, 2}, [2]int{1, 1}, [2]int{0, 0})) // [3, 6, 10, 10]
	y = must(ops.BatchNorm(y, nodes[1], nodes[2], 1e-5))
	y = must(ops.LeakyReLU(y, 0.2))
	y = must(ops.Conv2d(y, nodes[3], [2]int{2, 2}, [2]int{1, 1})) // [3, 5, 5, 5]
	y = must(ops.AddBias(y, nodes[4]))
	y = must(G.Tanh(y))
	y = must(G.Reshape(y, tensor.Shape{3, 125}))
	y = must(G.Mul(y, nodes[5])) // [3, 3]
	s := must(G.Sigmoid(y))
	sp := must(G.Softplus(y))
	y = must(G.HadamardProd(s, sp))
	loss = must(G.Mean(y))
	grads, err := G.Grad(loss, nodes...)
	require.NoError(t, err)
	return g, loss, grads, weights, x
}

func TestProgramMatchesTapeMachine(t *testing.T) {
	g, loss, grads, _, _ := convNet(t, 1)
	var lossV G.Value
	gradV := make([]G.Value, len(grads))
	G.Read(loss, &lossV)
	for i, gr := range grads {
		G.Read(gr, &gradV[i])
	}
	vm := G.NewTapeMachine(g)
	require.NoError(t, vm.RunAll())
	wantLoss := lossV.Data().(float32)
	want := make([][]float32, len(grads))
	for i, v := range gradV {
		want[i] = append([]float32(nil), v.Data().([]float32)...)
	}
	vm.Close()

	dev := &countingDevice{Device: gpu.NewHost()}
	prog, err := gpu.Compile(g, gpu.NewStore(dev), append(G.Nodes{loss}, grads...))
	require.NoError(t, err)
	defer prog.Close()
	allocs := dev.allocs
	for run := 0; run < 3; run++ {
		require.NoError(t, prog.Run())
		got := make([]float32, 1)
		require.NoError(t, prog.Read(loss, got))
		require.InDelta(t, wantLoss, got[0], 1e-6*math.Abs(float64(wantLoss)), "loss, run %d", run)
		for i, gr := range grads {
			v := make([]float32, len(want[i]))
			require.NoError(t, prog.Read(gr, v))
			scale, diff := 0.0, 0.0
			for j := range v {
				scale = math.Max(scale, math.Abs(float64(want[i][j])))
				diff = math.Max(diff, math.Abs(float64(want[i][j]-v[j])))
			}
			require.LessOrEqual(t, diff, 1e-5*scale, "gradient %d, run %d", i, run)
		}
	}
	require.Equal(t, allocs, dev.allocs, "Run allocated device memory")
	planned, unplanned := prog.Memory()
	require.Less(t, planned, unplanned, "the plan reused no buffer")
	t.Logf("intermediate buffers: %d floats planned, %d without reuse; launches: %v", planned, unplanned, fmtLaunches(prog))
}

func fmtLaunches(p *gpu.Program) [2]int {
	k, m := p.Launches()
	return [2]int{k, m}
}

// TestProgramKeepsOnlyWhatItWasAsked: a value not kept at Compile cannot
// be read (its buffer is reused), and the error says so.
func TestProgramKeepsOnlyWhatItWasAsked(t *testing.T) {
	g, loss, grads, _, _ := convNet(t, 2)
	prog, err := gpu.Compile(g, gpu.NewStore(gpu.NewHost()), G.Nodes{loss})
	require.NoError(t, err)
	defer prog.Close()
	require.NoError(t, prog.Run())
	err = prog.Read(grads[0], make([]float32, 1))
	require.ErrorContains(t, err, "was not kept")
}

// TestProgramParametersLiveInTheStore: parameters bound in the store are
// read from it (an update on the device is seen by the next run, without
// an upload), and feeds are uploaded at every run.
func TestProgramParametersLiveInTheStore(t *testing.T) {
	g := G.NewGraph()
	w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	x := tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{1, 1}))
	wn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 2), G.WithName("w"), G.WithValue(w))
	xn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(1, 2), G.WithName("x"), G.WithValue(x))
	y, err := G.Mul(xn, wn)
	require.NoError(t, err)
	host := gpu.NewHost()
	store := gpu.NewStore(host)
	wb, err := store.Bind(w)
	require.NoError(t, err)
	prog, err := gpu.Compile(g, store, G.Nodes{y})
	require.NoError(t, err)
	out := make([]float32, 2)
	require.NoError(t, prog.Run())
	require.NoError(t, prog.Read(y, out))
	require.Equal(t, []float32{4, 6}, out)
	require.NoError(t, host.Upload(gpu.Ptr{Buf: wb}, []float32{10, 20, 30, 40}))
	x.Float32s()[1] = 2
	require.NoError(t, prog.Run())
	require.NoError(t, prog.Read(y, out))
	require.Equal(t, []float32{70, 100}, out)
	require.Equal(t, []float32{1, 2, 3, 4}, w.Float32s(), "the host tensor changed before Pull")
	require.NoError(t, store.Pull())
	require.Equal(t, []float32{10, 20, 30, 40}, w.Float32s())
}

// TestOptimizerMatchesOptim: the device optimizers reproduce package
// optim's updates and states bit for bit on the Host device, over several
// steps, and their state converts to and from optim.State.
func TestOptimizerMatchesOptim(t *testing.T) {
	cases := map[string]func() optim.Optimizer{
		"adam": func() optim.Optimizer {
			o, _ := optim.NewAdam(optim.AdamConfig{LR: 2e-4, Beta1: 0.5})
			return o
		},
		"sgd": func() optim.Optimizer {
			o, _ := optim.NewSGD(optim.SGDConfig{LR: 0.01})
			return o
		},
		"sgd-nesterov": func() optim.Optimizer {
			o, _ := optim.NewSGD(optim.SGDConfig{LR: 0.01, Momentum: 0.9, Nesterov: true})
			return o
		},
		"rmsprop": func() optim.Optimizer {
			o, _ := optim.NewRMSProp(optim.RMSPropConfig{LR: 5e-5})
			return o
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			params := []*tensor.Dense{randTensor(rng, 1, 7, 3), randTensor(rng, 1, 1000)}
			devParams := []*tensor.Dense{params[0].Clone().(*tensor.Dense), params[1].Clone().(*tensor.Dense)}
			host := gpu.NewHost()
			store := gpu.NewStore(host)
			var bufs []gpu.Buffer
			for _, p := range devParams {
				b, err := store.Bind(p)
				require.NoError(t, err)
				bufs = append(bufs, b)
			}
			ref := mk()
			dev, err := gpu.NewOptimizer(host, mk(), bufs)
			require.NoError(t, err)
			gradBufs := make([]gpu.Buffer, len(params))
			for i, p := range params {
				gradBufs[i], err = host.Alloc(p.Shape().TotalSize())
				require.NoError(t, err)
			}
			for step := 0; step < 4; step++ {
				grads := []*tensor.Dense{randTensor(rng, 0.1, 7, 3), randTensor(rng, 0.1, 1000)}
				grads[1].Float32s()[0] = 1e-30 // tiny gradients take Adam's full step
				require.NoError(t, ref.Step(params, grads))
				ptrs := make([]gpu.Ptr, len(grads))
				for i, g := range grads {
					require.NoError(t, host.Upload(gpu.Ptr{Buf: gradBufs[i]}, g.Float32s()))
					ptrs[i] = gpu.Ptr{Buf: gradBufs[i]}
				}
				require.NoError(t, dev.Step(ptrs))
				require.NoError(t, store.Pull())
				for i := range params {
					requireClose(t, name, params[i].Float32s(), devParams[i].Float32s(), "step %d parameter %d", step, i)
				}
			}
			want := ref.State()
			got, err := dev.State()
			require.NoError(t, err)
			require.Equal(t, want.Kind, got.Kind)
			require.Equal(t, want.Steps, got.Steps)
			require.Equal(t, len(want.Buffers), len(got.Buffers))
			for b := range want.Buffers {
				require.Equal(t, want.Buffers[b].Name, got.Buffers[b].Name)
				for i := range want.Buffers[b].Data {
					w, g := want.Buffers[b].Data[i], got.Buffers[b].Data[i]
					w32, g32 := make([]float32, len(w)), make([]float32, len(g))
					for j := range w {
						w32[j], g32[j] = float32(w[j]), float32(g[j])
					}
					requireClose(t, name, w32, g32, "state %s of parameter %d", want.Buffers[b].Name, i)
				}
			}
			// A state set on the device comes back unchanged.
			other := mk()
			require.NoError(t, other.SetState(want))
			dev2, err := gpu.NewOptimizer(host, other, bufs)
			require.NoError(t, err)
			got2, err := dev2.State()
			require.NoError(t, err)
			require.Equal(t, want, got2, "a state did not survive the round trip through the device")
		})
	}
}

// requireClose: Adam must match bit for bit (optim's Adam is float32
// arithmetic, as the kernel). SGD and RMSProp compute in float64 per
// element in both, but the kernel receives its hyper-parameters as
// float32 (lr 0.01 and momentum 0.9 are not float32 numbers; the
// relative change is below 3e-8), so they agree within 1e-6 of the
// tensor's largest value, not bit for bit.
func requireClose(t *testing.T, kind string, want, got []float32, msg string, args ...any) {
	t.Helper()
	if kind == "adam" {
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("%s: element %d: optim %v, device %v (want bit-identical): "+msg, append([]any{kind, i, want[i], got[i]}, args...)...)
			}
		}
		return
	}
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		a, b := float64(want[i]), float64(got[i])
		if math.Abs(a-b) > 1e-6*scale || math.IsNaN(a) != math.IsNaN(b) {
			t.Fatalf("%s: element %d: optim %v, device %v (more than 1e-6 of %v apart): "+msg, append([]any{kind, i, want[i], got[i], scale}, args...)...)
		}
	}
}
