package gan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/ops"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pgen is a linear generator z·W reshaped to the sample shape.
type pgen struct {
	ps     *nn.Params
	w      *nn.Param
	latent int
	shape  []int
}

func (g *pgen) LatentDim() int     { return g.latent }
func (g *pgen) SampleShape() []int { return g.shape }
func (g *pgen) Params() *nn.Params { return g.ps }
func (g *pgen) Generate(b *nn.Builder, z *G.Node) (*G.Node, error) {
	h, err := G.Mul(z, b.Node(g.w))
	if err != nil {
		return nil, err
	}
	return G.Reshape(h, append(tensor.Shape{z.Shape()[0]}, g.shape...))
}

// pdisc is a small discriminator of one of several kinds: "linear"
// (D(x) = w·x + b), "leaky" (two LeakyReLU layers), "tanh", "sigmoid"
// (the same with those activations), "conv" (a
// convolution, AddBias and LeakyReLU, then a dense layer), "skip" (a
// LeakyReLU layer plus a linear skip connection from the input, so that
// the input's gradient is a sum of two paths) and "bn" (with batch
// normalisation).
type pdisc struct {
	kind  string
	ps    *nn.Params
	in    []int
	w     []*nn.Param
	b     []*nn.Param
	bn    *nn.BatchNorm
	slope float64
}

func newPenaltyNets(t *testing.T, kind string, seed uint64) (*pgen, *pdisc) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 77))
	shape := []int{3}
	if kind == "conv" {
		shape = []int{1, 4, 4}
	}
	size := data.Size(shape)
	gp, err := nn.NewParams(tensor.Float64)
	require.NoError(t, err)
	g := &pgen{ps: gp, latent: 2, shape: shape}
	g.w, err = gp.New("w", []int{2, size}, nn.Normal(0, 1), rng)
	require.NoError(t, err)
	dp, err := nn.NewParams(tensor.Float64)
	require.NoError(t, err)
	d := &pdisc{kind: kind, ps: dp, in: shape, slope: 0.2}
	add := func(name string, shape ...int) {
		w, err := dp.New(name+"/w", shape, nn.Normal(0, 0.7), rng)
		require.NoError(t, err)
		out := shape[0]
		if len(shape) == 2 {
			out = shape[1]
		}
		b, err := dp.New(name+"/b", []int{out}, nn.Normal(0, 0.3), rng)
		require.NoError(t, err)
		d.w, d.b = append(d.w, w), append(d.b, b)
	}
	switch kind {
	case "linear":
		add("l1", size, 1)
	case "leaky", "tanh", "sigmoid", "bn":
		add("l1", size, 5)
		add("l2", 5, 4)
		add("l3", 4, 1)
		if kind == "bn" {
			d.bn, err = nn.NewBatchNorm(dp, "bn", 5, nil, rng)
			require.NoError(t, err)
		}
	case "conv":
		add("c1", 2, 1, 3, 3)
		add("l2", 2*4*4, 1)
	case "skip":
		add("l1", size, 5)
		add("l2", 5, 1)
		add("skip", size, 1)
	}
	return g, d
}

func (d *pdisc) InputShape() []int  { return d.in }
func (d *pdisc) Params() *nn.Params { return d.ps }
func (d *pdisc) Discriminate(b *nn.Builder, x *G.Node) (*G.Node, error) {
	n := x.Shape()[0]
	act := func(h *G.Node) (*G.Node, error) {
		switch d.kind {
		case "tanh":
			return G.Tanh(h)
		case "sigmoid":
			return G.Sigmoid(h)
		}
		return ops.LeakyReLU(h, d.slope)
	}
	h := x
	var err error
	if d.kind == "conv" {
		if h, err = ops.Conv2d(h, b.Node(d.w[0]), [2]int{1, 1}, [2]int{1, 1}); err != nil {
			return nil, err
		}
		if h, err = ops.AddBias(h, b.Node(d.b[0])); err != nil {
			return nil, err
		}
		if h, err = act(h); err != nil {
			return nil, err
		}
		if h, err = G.Reshape(h, tensor.Shape{n, 32}); err != nil {
			return nil, err
		}
		if h, err = nn.Dense(b, h, d.w[1], d.b[1]); err != nil {
			return nil, err
		}
		return G.Reshape(h, tensor.Shape{n})
	}
	if h, err = G.Reshape(h, tensor.Shape{n, data.Size(d.in)}); err != nil {
		return nil, err
	}
	if d.kind == "skip" {
		flat := h
		if h, err = nn.Dense(b, h, d.w[0], d.b[0]); err != nil {
			return nil, err
		}
		if h, err = act(h); err != nil {
			return nil, err
		}
		if h, err = nn.Dense(b, h, d.w[1], d.b[1]); err != nil {
			return nil, err
		}
		s, err := nn.Dense(b, flat, d.w[2], d.b[2])
		if err != nil {
			return nil, err
		}
		if h, err = G.Add(h, s); err != nil {
			return nil, err
		}
		return G.Reshape(h, tensor.Shape{n})
	}
	for k := range d.w {
		if h, err = nn.Dense(b, h, d.w[k], d.b[k]); err != nil {
			return nil, err
		}
		if k == 0 && d.bn != nil {
			if h, err = d.bn.Apply(b, h); err != nil {
				return nil, err
			}
		}
		if k < len(d.w)-1 {
			if h, err = act(h); err != nil {
				return nil, err
			}
		}
	}
	return G.Reshape(h, tensor.Shape{n})
}

// randomBatches is an endless stream of uniform random samples.
type randomBatches struct {
	shape []int
	rng   *rand.Rand
}

func (r *randomBatches) Shape() []int { return r.shape }
func (r *randomBatches) Epoch() int   { return 0 }
func (r *randomBatches) Next(dst []float32) error {
	for i := range dst {
		dst[i] = float32(2*r.rng.Float64() - 1)
	}
	return nil
}

// evalD returns D's logits on the batch x (rows of the sample size).
func evalD(t *testing.T, d *pdisc, x []float64) []float64 {
	t.Helper()
	size := data.Size(d.in)
	n := len(x) / size
	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	in := b.Input("x", tensor.Float64, append([]int{n}, d.in...)...)
	copy(in.Value().Data().([]float64), x)
	out, err := d.Discriminate(b, in)
	require.NoError(t, err)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	return append([]float64(nil), out.Value().Data().([]float64)...)
}

// inputGradFD returns the per-sample gradient of D at each sample of x by
// central differences.
func inputGradFD(t *testing.T, d *pdisc, x []float64) []float64 {
	t.Helper()
	const h = 1e-6
	size := data.Size(d.in)
	g := make([]float64, len(x))
	xs := append([]float64(nil), x...)
	for j := 0; j < size; j++ {
		for i := 0; i < len(x)/size; i++ {
			xs[i*size+j] = x[i*size+j] + h
		}
		fp := evalD(t, d, xs)
		for i := 0; i < len(x)/size; i++ {
			xs[i*size+j] = x[i*size+j] - h
		}
		fm := evalD(t, d, xs)
		for i := range fp {
			g[i*size+j] = (fp[i] - fm[i]) / (2 * h)
			xs[i*size+j] = x[i*size+j]
		}
	}
	return g
}

func f64s(v G.Value) []float64 {
	if f, ok := v.Data().(float64); ok {
		return []float64{f}
	}
	return v.Data().([]float64)
}

// runD fills the discriminator pass's inputs and runs it once, returning
// the loss, the real batch, generator 0's batch and the logits.
func runD(t *testing.T, tr *Trainer, batches data.Batches) (loss float64, real, fake, rl, fl []float64) {
	t.Helper()
	require.NoError(t, tr.feed(tr.d, batches))
	require.NoError(t, tr.run(tr.d))
	return f64s(tr.d.losses[0])[0], f64s(tr.d.real), f64s(tr.d.samples), f64s(tr.d.realOut[0]), f64s(tr.d.fakeOut[0][0])
}

func mean64(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// penaltyOf computes a penalty by hand from per-sample input gradients.
func penaltyOf(kind string, weight, target float64, grads []float64, size int) float64 {
	s := 0.0
	n := len(grads) / size
	for i := 0; i < n; i++ {
		sq := 0.0
		for _, g := range grads[i*size : (i+1)*size] {
			sq += g * g
		}
		if kind == "gp" {
			s += (math.Sqrt(sq) - target) * (math.Sqrt(sq) - target)
		} else {
			s += sq / 2
		}
	}
	return weight * s / float64(n)
}

var penalties = []Penalty{GradientPenalty{Weight: 3, Target: 1}, R1{Gamma: 2}, R2{Gamma: 5}, GradientPenalty{Weight: 2, Target: 0}}

// TestPenaltyLinearCritic: for D(x) = w·x + b, ∇D = w at every x, so
// the gradient penalty is λ(‖w‖ − t)² and R1 = R2 = γ/2·‖w‖².
func TestPenaltyLinearCritic(t *testing.T) {
	for _, pen := range penalties {
		t.Run(pen.String(), func(t *testing.T) {
			g, d := newPenaltyNets(t, "linear", 1)
			tr, err := NewTrainer(g, d, Config{BatchSize: 4, Loss: losses.Wasserstein{}, Penalty: pen, Seed: 3})
			require.NoError(t, err)
			loss, _, _, rl, fl := runD(t, tr, &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(1, 1))})
			w := d.w[0].Float64s()
			norm := math.Sqrt(w[0]*w[0] + w[1]*w[1] + w[2]*w[2])
			s := pen.spec()
			want := s.weight * (norm - s.target) * (norm - s.target)
			if s.kind != "gp" {
				want = s.weight / 2 * norm * norm
			}
			got := loss - (mean64(fl) - mean64(rl))
			require.InDelta(t, want, got, 1e-9*math.Max(1, want), "penalty")
			require.Greater(t, want, 0.01)
		})
	}
}

// TestPenaltyMatchesFiniteDifferencesOfD checks the penalty's value on
// small critics against D's input gradient by finite differences, at the
// points each penalty uses: the real batch (R1), the generated one (R2),
// the interpolates x̂ = f + ε(r − f) (WGAN-GP).
func TestPenaltyMatchesFiniteDifferencesOfD(t *testing.T) {
	for _, kind := range []string{"leaky", "tanh", "sigmoid", "conv", "skip"} {
		for _, pen := range penalties {
			t.Run(kind+"/"+pen.String(), func(t *testing.T) {
				g, d := newPenaltyNets(t, kind, 2)
				tr, err := NewTrainer(g, d, Config{BatchSize: 4, Loss: losses.Wasserstein{}, Penalty: pen, Seed: 4})
				require.NoError(t, err)
				loss, real, fake, rl, fl := runD(t, tr, &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(2, 1))})
				s := pen.spec()
				at := real
				switch s.kind {
				case "r2":
					at = fake
				case "gp":
					eps := tr.d.epsDrawn[0]
					size := data.Size(d.in)
					at = make([]float64, len(real))
					for i := range at {
						e := eps[i/size]
						at[i] = e*real[i] + (1-e)*fake[i]
					}
				}
				want := penaltyOf(s.kind, s.weight, s.target, inputGradFD(t, d, at), data.Size(d.in))
				got := loss - (mean64(fl) - mean64(rl))
				require.InDelta(t, want, got, 1e-6*math.Max(1, want))
				require.Greater(t, want, 1e-3)
			})
		}
	}
}

// TestPenaltyGradientMatchesFiniteDifferences is the double-backprop
// check: the gradient of the discriminator's loss, penalty included, with
// respect to every weight of D, against central differences of the loss
// (the pass rerun with the same inputs and one weight moved).
func TestPenaltyGradientMatchesFiniteDifferences(t *testing.T) {
	for _, kind := range []string{"linear", "leaky", "tanh", "sigmoid", "conv", "skip"} {
		for _, pen := range penalties {
			t.Run(kind+"/"+pen.String(), func(t *testing.T) {
				g, d := newPenaltyNets(t, kind, 3)
				tr, err := NewTrainer(g, d, Config{BatchSize: 4, Loss: losses.Wasserstein{}, Penalty: pen, Seed: 5})
				require.NoError(t, err)
				runD(t, tr, &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(3, 1))})
				var sym [][]float64
				for _, gr := range tr.d.grads[0] {
					sym = append(sym, append([]float64(nil), f64s(gr)...))
				}
				lossAt := func() float64 {
					require.NoError(t, tr.run(tr.d))
					return f64s(tr.d.losses[0])[0]
				}
				const h = 1e-6
				for k, p := range tr.dParams[0] {
					w := p.Data().([]float64)
					for j := range w {
						w0 := w[j]
						w[j] = w0 + h
						fp := lossAt()
						w[j] = w0 - h
						fm := lossAt()
						w[j] = w0
						fd := (fp - fm) / (2 * h)
						require.InDelta(t, fd, sym[k][j], 1e-6*math.Max(1, math.Abs(fd)), "param %d element %d", k, j)
					}
				}
			})
		}
	}
}

// TestPenaltyGradientIsNotFirstOrderOnly: the penalty's gradient through
// D's input gradient is not zero (a trainer that dropped the second-order
// path would still pass a value test).
func TestPenaltyGradientIsNotFirstOrderOnly(t *testing.T) {
	g, d := newPenaltyNets(t, "linear", 1)
	tr, err := NewTrainer(g, d, Config{BatchSize: 4, Loss: losses.Wasserstein{}, Penalty: R1{Gamma: 2}, Seed: 3})
	require.NoError(t, err)
	_, real, fake, _, _ := runD(t, tr, &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(1, 1))})
	// ∂/∂w [mean(w·f) − mean(w·r) + γ/2‖w‖²] = mean f − mean r + γw.
	w := d.w[0].Float64s()
	got := f64s(tr.d.grads[0][0])
	for j := 0; j < 3; j++ {
		mf, mr := 0.0, 0.0
		for i := 0; i < 4; i++ {
			mf += fake[i*3+j] / 4
			mr += real[i*3+j] / 4
		}
		require.InDelta(t, mf-mr+2*w[j], got[j], 1e-12, "w[%d]", j)
	}
}

func TestPenaltyRefusesBatchNorm(t *testing.T) {
	g, d := newPenaltyNets(t, "bn", 1)
	_, err := NewTrainer(g, d, Config{BatchSize: 4, Loss: losses.Wasserstein{}, Penalty: R1{Gamma: 1}})
	require.ErrorContains(t, err, "batch normalisation")
	_, err = NewTrainer(g, d, Config{BatchSize: 4, Loss: losses.Wasserstein{}})
	require.NoError(t, err)
}

func TestPenaltyValidation(t *testing.T) {
	g, d := newPenaltyNets(t, "linear", 1)
	for _, c := range []struct {
		pen  Penalty
		want string
	}{
		{R1{}, "weight must be positive"},
		{R2{Gamma: math.Inf(1)}, "weight must be positive and finite"},
		{GradientPenalty{Weight: 1, Target: -1}, "target norm must be finite and not negative"},
		{R1{Gamma: 1, Every: -2}, "Every must not be negative"},
	} {
		_, err := NewTrainer(g, d, Config{BatchSize: 4, Penalty: c.pen})
		require.ErrorContains(t, err, c.want, fmt.Sprint(c.pen))
	}
	_, err := NewTrainer(g, d, Config{BatchSize: 4, Penalty: R1{Gamma: 1, Every: 4}, Device: "host"})
	require.ErrorContains(t, err, "lazy penalty")
}

// TestLazyPenalty: with Every 3 the penalty pass runs on discriminator
// updates 0, 3, 6, … (counted over steps and their k updates) with weight
// 3γ, and the other updates use a pass without any penalty node.
func TestLazyPenalty(t *testing.T) {
	g, d := newPenaltyNets(t, "leaky", 1)
	tr, err := NewTrainer(g, d, Config{BatchSize: 4, DSteps: 2, Loss: losses.Wasserstein{}, Penalty: R1{Gamma: 2, Every: 3}, Seed: 1})
	require.NoError(t, err)
	require.NotNil(t, tr.dReg)
	require.Less(t, len(tr.dPlain.prog.AllNodes()), len(tr.dReg.prog.AllNodes()))
	batches := &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(5, 1))}
	used := 0
	for step := 0; step < 6; step++ {
		for i := 0; i < 2; i++ {
			tr.chooseDiscriminatorPass(i)
			u := step*2 + i
			require.Equal(t, u%3 == 0, tr.d == tr.dReg, "update %d", u)
			loss, real, _, rl, fl := runD(t, tr, batches)
			pen := loss - (mean64(fl) - mean64(rl))
			if u%3 != 0 {
				require.InDelta(t, 0, pen, 1e-12, "update %d: no penalty", u)
				continue
			}
			used++
			want := penaltyOf("r1", 3*2, 0, inputGradFD(t, d, real), 3)
			require.InDelta(t, want, pen, 1e-6*math.Max(1, want), "update %d", u)
		}
		tr.step++
	}
	require.Equal(t, 4, used)
}

// TestRelativisticGeneratorLoss checks the generator pass of RSGAN and
// RaGAN against the formulas, on D's logits of the pass's real batch and
// of its generated batch computed apart.
func TestRelativisticGeneratorLoss(t *testing.T) {
	g, d := newPenaltyNets(t, "leaky", 6)
	for _, l := range []losses.Loss{losses.RSGAN{}, losses.RaGAN{}} {
		tr, err := NewTrainer(g, d, Config{BatchSize: 4, Loss: l, Seed: 7})
		require.NoError(t, err)
		require.NoError(t, tr.feed(tr.g, &randomBatches{shape: d.in, rng: rand.New(rand.NewPCG(8, 1))}))
		require.NoError(t, tr.run(tr.g))
		z, w := f64s(tr.g.zs[0]), g.w.Float64s()
		fake := make([]float64, 4*3)
		for i := 0; i < 4; i++ {
			for j := 0; j < 3; j++ {
				for k := 0; k < 2; k++ {
					fake[i*3+j] += z[i*2+k] * w[k*3+j]
				}
			}
		}
		rl, fl := evalD(t, d, f64s(tr.g.real)), evalD(t, d, fake)
		want := 0.0
		for i := range rl {
			if l.Name() == "rsgan" {
				want += losses.Softplus(rl[i]-fl[i]) / 4
			} else {
				want += (losses.Softplus(mean64(rl)-fl[i]) + losses.Softplus(rl[i]-mean64(fl))) / 4
			}
		}
		require.InDelta(t, want, f64s(tr.g.losses[0])[0], 1e-12, l.Name())
	}
}

// TestPenaltyPacked: with Pack 2 one logit sees two samples, and its
// gradient is taken with respect to both: for a linear critic on the
// packed pair ‖∇D‖ = ‖w‖ over all six weights.
func TestPenaltyPacked(t *testing.T) {
	g, _ := newPenaltyNets(t, "linear", 4)
	_, d := newPenaltyNets(t, "linear", 5)
	rng := rand.New(rand.NewPCG(6, 6))
	var err error
	d.ps, err = nn.NewParams(tensor.Float64)
	require.NoError(t, err)
	d.in = []int{6}
	d.w[0], err = d.ps.New("w", []int{6, 1}, nn.Normal(0, 1), rng)
	require.NoError(t, err)
	d.b[0], err = d.ps.New("b", []int{1}, nn.Normal(0, 1), rng)
	require.NoError(t, err)
	for _, pen := range []Penalty{GradientPenalty{Weight: 3, Target: 1}, R2{Gamma: 2}} {
		tr, err := NewTrainer(g, d, Config{BatchSize: 4, Pack: 2, Loss: losses.Wasserstein{}, Penalty: pen, Seed: 3})
		require.NoError(t, err)
		loss, _, _, rl, fl := runD(t, tr, &randomBatches{shape: []int{3}, rng: rand.New(rand.NewPCG(1, 1))})
		require.Len(t, rl, 2)
		sq := 0.0
		for _, v := range d.w[0].Float64s() {
			sq += v * v
		}
		s := pen.spec()
		want := s.weight * (math.Sqrt(sq) - 1) * (math.Sqrt(sq) - 1)
		if s.kind == "r2" {
			want = s.weight / 2 * sq
		}
		require.InDelta(t, want, loss-(mean64(fl)-mean64(rl)), 1e-9*math.Max(1, want), "%v", pen)
	}
}
