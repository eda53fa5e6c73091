package losses_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gogan/gogan/losses"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ---- reference formulas, written out by hand on float64 slices ----

func sp(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

func meanOf(xs []float64, f func(float64) float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += f(x)
	}
	return s / float64(len(xs))
}

func id(x float64) float64 { return x }

type lossCase struct {
	loss losses.Loss
	refD func(real, fake []float64) float64
	refG func(fake []float64) float64
}

func bceD(r, f []float64) float64 {
	return meanOf(r, func(x float64) float64 { return sp(-x) }) + meanOf(f, sp)
}

var cases = []lossCase{
	{losses.Minimax{}, bceD, func(f []float64) float64 { return -meanOf(f, sp) }},
	{losses.NonSaturating{}, bceD, func(f []float64) float64 {
		return meanOf(f, func(x float64) float64 { return sp(-x) })
	}},
	{losses.LeastSquares{},
		func(r, f []float64) float64 {
			return 0.5*meanOf(r, func(x float64) float64 { return (x - 1) * (x - 1) }) +
				0.5*meanOf(f, func(x float64) float64 { return x * x })
		},
		func(f []float64) float64 {
			return 0.5 * meanOf(f, func(x float64) float64 { return (x - 1) * (x - 1) })
		}},
	{losses.Hinge{},
		func(r, f []float64) float64 {
			return meanOf(r, func(x float64) float64 { return math.Max(0, 1-x) }) +
				meanOf(f, func(x float64) float64 { return math.Max(0, 1+x) })
		},
		func(f []float64) float64 { return -meanOf(f, id) }},
	{losses.NewWasserstein(),
		func(r, f []float64) float64 { return meanOf(f, id) - meanOf(r, id) },
		func(f []float64) float64 { return -meanOf(f, id) }},
}

// ---- evaluating a loss graph ----

// graphLoss is a loss built on fresh input vectors, with its gradient
// with respect to every input, compiled into a tape machine.
type graphLoss struct {
	vm     G.VM
	cost   *G.Node
	inputs []*G.Node
	grads  G.Nodes
}

func newGraphLoss(t *testing.T, dt tensor.Dtype, build func(in ...*G.Node) (*G.Node, error), vals ...[]float64) *graphLoss {
	t.Helper()
	g := G.NewGraph()
	gl := &graphLoss{}
	for i, v := range vals {
		var backing any
		if dt == tensor.Float32 {
			f := make([]float32, len(v))
			for j, x := range v {
				f[j] = float32(x)
			}
			backing = f
		} else {
			backing = append([]float64(nil), v...)
		}
		val := tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(backing))
		gl.inputs = append(gl.inputs, G.NewVector(g, dt, G.WithShape(len(v)),
			G.WithName([]string{"a", "b"}[i]), G.WithValue(val)))
	}
	var err error
	gl.cost, err = build(gl.inputs...)
	require.NoError(t, err)
	require.True(t, gl.cost.IsScalar(), "loss shape %v", gl.cost.Shape())
	require.Equal(t, dt, gl.cost.Dtype())
	gl.grads, err = G.Grad(gl.cost, gl.inputs...)
	require.NoError(t, err)
	gl.vm = G.NewTapeMachine(g)
	t.Cleanup(func() { gl.vm.Close() })
	return gl
}

// run evaluates the graph and returns the loss and its gradients.
func (gl *graphLoss) run(t *testing.T) (float64, [][]float64) {
	t.Helper()
	require.NoError(t, gl.vm.RunAll())
	defer gl.vm.Reset()
	cost := toFloat64s(gl.cost.Value().Data())[0]
	grads := make([][]float64, len(gl.grads))
	for i, g := range gl.grads {
		grads[i] = toFloat64s(g.Value().Data())
	}
	return cost, grads
}

// input returns the backing slice of input i (float64 graphs only).
func (gl *graphLoss) input(i int) []float64 { return gl.inputs[i].Value().Data().([]float64) }

func toFloat64s(v any) []float64 {
	switch d := v.(type) {
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	panic("unexpected value type")
}

func discriminatorOf(l losses.Loss) func(in ...*G.Node) (*G.Node, error) {
	return func(in ...*G.Node) (*G.Node, error) { return l.Discriminator(in[0], in[1]) }
}

func generatorOf(l losses.Loss) func(in ...*G.Node) (*G.Node, error) {
	return func(in ...*G.Node) (*G.Node, error) { return l.Generator(in[0]) }
}

// evalD and evalG return a loss's value and gradients on the given logits.
func evalD(t *testing.T, dt tensor.Dtype, l losses.Loss, real, fake []float64) (float64, [][]float64) {
	t.Helper()
	return newGraphLoss(t, dt, discriminatorOf(l), real, fake).run(t)
}

func evalG(t *testing.T, dt tensor.Dtype, l losses.Loss, fake []float64) (float64, []float64) {
	t.Helper()
	v, g := newGraphLoss(t, dt, generatorOf(l), fake).run(t)
	return v, g[0]
}

// near asserts |got − want| ≤ tol·max(1, |want|).
func near(t *testing.T, want, got, tol float64, msgAndArgs ...any) {
	t.Helper()
	require.False(t, math.IsNaN(got) || math.IsInf(got, 0), "got %v, want %v %v", got, want, msgAndArgs)
	require.LessOrEqual(t, math.Abs(got-want), tol*math.Max(1, math.Abs(want)),
		"got %.10g, want %.10g %v", got, want, msgAndArgs)
}

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

func tolFor(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 2e-6
	}
	return 1e-13
}

// ---- tests ----

// TestClosedForm checks every loss against values worked out by hand.
func TestClosedForm(t *testing.T) {
	// real = [1, 3], fake = [−1, 2]; see each loss's formula.
	sp1, sp3, sp2 := math.Log1p(math.Exp(-1)), math.Log1p(math.Exp(-3)), 2+math.Log1p(math.Exp(-2))
	real, fake := []float64{1, 3}, []float64{-1, 2}
	want := map[string][2]float64{ // name: {D loss, G loss}
		"minimax":       {(sp1+sp3)/2 + (sp1+sp2)/2, -(sp1 + sp2) / 2},
		"nonsaturating": {(sp1+sp3)/2 + (sp1+sp2)/2, (1 + sp1 + sp2 - 2) / 2}, // softplus(1) = 1 + softplus(−1), softplus(−2) = softplus(2) − 2
		"lsgan":         {0.5*(0+4)/2 + 0.5*(1+4)/2, 0.5 * (4 + 1) / 2},       // 2.25, 1.25
		"hinge":         {(0+0)/2.0 + (0+3)/2.0, -(-1 + 2) / 2.0},             // 1.5, −0.5
		"wasserstein":   {(-1+2)/2.0 - (1+3)/2.0, -(-1 + 2) / 2.0},            // −1.5, −0.5
	}
	for _, c := range cases {
		for _, dt := range dtypes {
			t.Run(c.loss.Name()+"/"+dt.String(), func(t *testing.T) {
				w := want[c.loss.Name()]
				d, _ := evalD(t, dt, c.loss, real, fake)
				g, _ := evalG(t, dt, c.loss, fake)
				near(t, w[0], d, tolFor(dt), "D loss")
				near(t, w[1], g, tolFor(dt), "G loss")
				// The reference formulas agree with the hand values.
				near(t, w[0], c.refD(real, fake), 1e-15)
				near(t, w[1], c.refG(fake), 1e-15)
			})
		}
	}
}

// TestMatchesFormula checks every loss against its formula on random
// logits, with batches of different sizes for real and fake.
func TestMatchesFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		for _, dt := range dtypes {
			t.Run(c.loss.Name()+"/"+dt.String(), func(t *testing.T) {
				for trial := 0; trial < 5; trial++ {
					real, fake := randLogits(rng, 3+trial, 4), randLogits(rng, 7, 4)
					if dt == tensor.Float32 { // compare with the rounded inputs
						roundF32(real)
						roundF32(fake)
					}
					d, _ := evalD(t, dt, c.loss, real, fake)
					g, _ := evalG(t, dt, c.loss, fake)
					near(t, c.refD(real, fake), d, 10*tolFor(dt), "D loss")
					near(t, c.refG(fake), g, 10*tolFor(dt), "G loss")
				}
			})
		}
	}
}

func randLogits(rng *rand.Rand, n int, scale float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = scale * (2*rng.Float64() - 1)
	}
	return out
}

func roundF32(xs []float64) {
	for i, x := range xs {
		xs[i] = float64(float32(x))
	}
}

// TestWorkedExamples checks the numbers of the issue: D(x) = 0.7032 and
// D(G(z)) = 0.5022 give V ≈ −1.0497 nats (−0.45587 in base 10), and
// D = ½ everywhere gives V = −log 4.
func TestWorkedExamples(t *testing.T) {
	real, fake := []float64{losses.Logit(0.7032)}, []float64{losses.Logit(0.5022)}
	near(t, 0.7032, losses.MeanProb(real), 1e-15)
	near(t, 0.5022, losses.MeanProb(fake), 1e-15)

	v := losses.Value(real, fake)
	require.InDelta(t, math.Log(0.7032)+math.Log(1-0.5022), v, 1e-14)
	require.InDelta(t, -1.0497, v, 5e-5)
	require.InDelta(t, -0.45587, v/math.Ln10, 5e-6)
	require.InDelta(t, math.Log10(0.7032)+math.Log10(1-0.5022), v/math.Ln10, 1e-14)

	for _, dt := range dtypes {
		// Minimax's D loss is −V; its G loss is log(1 − D(G(z))).
		d, _ := evalD(t, dt, losses.Minimax{}, real, fake)
		near(t, -v, d, tolFor(dt))
		g, _ := evalG(t, dt, losses.Minimax{}, fake)
		near(t, math.Log(1-0.5022), g, 10*tolFor(dt))
	}

	// The equilibrium D = ½: logits 0.
	zeros := []float64{0, 0, 0}
	require.InDelta(t, -math.Log(4), losses.Value(zeros, zeros), 1e-15)
	require.Equal(t, 0.5, losses.MeanProb(zeros))
	for _, dt := range dtypes {
		d, _ := evalD(t, dt, losses.Minimax{}, zeros, zeros)
		near(t, math.Log(4), d, tolFor(dt))
		d, _ = evalD(t, dt, losses.NonSaturating{}, zeros, zeros)
		near(t, math.Log(4), d, tolFor(dt))
		g, _ := evalG(t, dt, losses.NonSaturating{}, zeros)
		near(t, math.Log(2), g, tolFor(dt))
	}
}

// TestExtremeLogits checks that values and gradients stay finite and
// asymptotically right where naive log(sigmoid(.)) overflows.
func TestExtremeLogits(t *testing.T) {
	type extreme struct {
		dt tensor.Dtype
		l  float64
	}
	for _, e := range []extreme{{tensor.Float64, 100}, {tensor.Float64, 1000}, {tensor.Float32, 100}} {
		L := e.l
		mixed := []float64{L, -L, L, -L}
		for _, c := range cases {
			t.Run(c.loss.Name()+"/"+e.dt.String(), func(t *testing.T) {
				for _, real := range [][]float64{mixed, {L, L}, {-L, -L}} {
					for _, fake := range [][]float64{mixed, {L, L}, {-L, -L}} {
						d, dg := evalD(t, e.dt, c.loss, real, fake)
						g, gg := evalG(t, e.dt, c.loss, fake)
						near(t, c.refD(real, fake), d, 1e-6, "D loss", real, fake)
						near(t, c.refG(fake), g, 1e-6, "G loss", fake)
						requireFinite(t, dg[0], dg[1], gg)
					}
				}
			})
		}

		// Asymptotics, with the exact gradients of the formulas.
		n := 4.0
		down, up := []float64{-L, -L, -L, -L}, []float64{L, L, L, L}
		// NonSaturating G at a confidently rejected fake: softplus(L) ≈ L, gradient −σ(L)/n ≈ −1/n.
		g, gg := evalG(t, e.dt, losses.NonSaturating{}, down)
		near(t, L, g, 1e-7)
		requireAll(t, gg, -1/n, 1e-7)
		// Minimax G there saturates: value ≈ 0 and gradient −σ(−L)/n ≈ 0.
		g, gg = evalG(t, e.dt, losses.Minimax{}, down)
		near(t, 0, g, 1e-30)
		requireAll(t, gg, 0, 1e-30)
		// Minimax G at a fooled D: −softplus(L) ≈ −L, gradient −1/n.
		g, gg = evalG(t, e.dt, losses.Minimax{}, up)
		near(t, -L, g, 1e-7)
		requireAll(t, gg, -1/n, 1e-7)
		// The BCE discriminator loss: perfect D ≈ 0, perfectly wrong D ≈ 2L
		// with gradients −1/n on real and +1/n on fake.
		d, dg := evalD(t, e.dt, losses.NonSaturating{}, up, down)
		near(t, 0, d, 1e-30)
		requireAll(t, dg[0], 0, 1e-30)
		requireAll(t, dg[1], 0, 1e-30)
		d, dg = evalD(t, e.dt, losses.Minimax{}, down, up)
		near(t, 2*L, d, 1e-7)
		requireAll(t, dg[0], -1/n, 1e-7)
		requireAll(t, dg[1], 1/n, 1e-7)
		// The host-side statistics.
		near(t, 0, losses.Value(up, down), 1e-30)
		near(t, -2*L, losses.Value(down, up), 1e-15)
		require.InDelta(t, 1, losses.MeanProb(up), 1e-40)
		require.InDelta(t, 0, losses.MeanProb(down), 1e-40)
	}
}

func requireFinite(t *testing.T, xss ...[]float64) {
	t.Helper()
	for _, xs := range xss {
		for i, x := range xs {
			require.False(t, math.IsNaN(x) || math.IsInf(x, 0), "element %d of %v is not finite", i, xs)
		}
	}
}

func requireAll(t *testing.T, xs []float64, want, tol float64) {
	t.Helper()
	for i, x := range xs {
		require.InDelta(t, want, x, tol, "element %d of %v", i, xs)
	}
}

// TestGradientsMatchFiniteDifferences compares G.Grad with central
// differences of the evaluated graph, for every loss and every input.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const h = 1e-5
	for _, c := range cases {
		t.Run(c.loss.Name(), func(t *testing.T) {
			check := func(gl *graphLoss) {
				t.Helper()
				_, grads := gl.run(t)
				for i := range gl.inputs {
					x := gl.input(i)
					for j := range x {
						x0 := x[j]
						x[j] = x0 + h
						fp, _ := gl.run(t)
						x[j] = x0 - h
						fm, _ := gl.run(t)
						x[j] = x0
						fd := (fp - fm) / (2 * h)
						require.Less(t, relErr(grads[i][j], fd), 1e-6,
							"input %d element %d: autodiff %.12g, finite difference %.12g", i, j, grads[i][j], fd)
					}
				}
			}
			for trial := 0; trial < 3; trial++ {
				real, fake := awayFromKinks(rng, 5), awayFromKinks(rng, 6)
				check(newGraphLoss(t, tensor.Float64, discriminatorOf(c.loss), real, fake))
				check(newGraphLoss(t, tensor.Float64, generatorOf(c.loss), fake))
			}
		})
	}
}

// awayFromKinks returns logits in (−3, 3) at least 0.01 away from ±1,
// where the hinge loss has its kinks.
func awayFromKinks(rng *rand.Rand, n int) []float64 {
	out := randLogits(rng, n, 3)
	for i := range out {
		for math.Abs(math.Abs(out[i])-1) < 0.01 {
			out[i] = 3 * (2*rng.Float64() - 1)
		}
	}
	return out
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

func TestByName(t *testing.T) {
	names := losses.Names()
	want := []losses.Loss{losses.WGANGP{}, losses.RSGAN{}, losses.RaGAN{}}
	for i := len(cases) - 1; i >= 0; i-- {
		want = append([]losses.Loss{cases[i].loss}, want...)
	}
	require.Len(t, names, len(want))
	for i, name := range names {
		l, err := losses.ByName(name)
		require.NoError(t, err)
		require.Equal(t, name, l.Name())
		require.Equal(t, want[i], l, "%s is the zero value, or NewWasserstein()", name)
	}
	for alias, name := range map[string]string{
		"ns": "nonsaturating", "leastsquares": "lsgan", "wgan": "wasserstein",
		"Non-Saturating": "nonsaturating", " least_squares ": "lsgan", "WGAN": "wasserstein",
		"wgangp": "wgan-gp", "WGAN_GP": "wgan-gp", "RaGAN": "ragan",
	} {
		l, err := losses.ByName(alias)
		require.NoError(t, err, alias)
		require.Equal(t, name, l.Name(), alias)
	}
	_, err := losses.ByName("bce")
	require.Error(t, err)
	require.Contains(t, err.Error(), `"bce"`)
	for _, name := range names {
		require.Contains(t, err.Error(), name)
	}
}

func TestWeightClipper(t *testing.T) {
	for _, c := range cases {
		_, isClipper := c.loss.(losses.WeightClipper)
		require.Equal(t, c.loss.Name() == "wasserstein", isClipper, c.loss.Name())
	}
	require.Equal(t, 0.01, losses.NewWasserstein().ClipValue())
	require.Equal(t, 0.0, losses.Wasserstein{}.ClipValue())
	require.Equal(t, 0.05, losses.Wasserstein{Clip: 0.05}.ClipValue())
}

func TestInvalidLogits(t *testing.T) {
	g := G.NewGraph()
	v64 := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v64"))
	v32 := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("v32"))
	m64 := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 1), G.WithName("m64"))
	i64 := G.NewVector(g, tensor.Int, G.WithShape(3), G.WithName("i64"))
	other := G.NewVector(G.NewGraph(), tensor.Float64, G.WithShape(3), G.WithName("other"))
	for _, c := range cases {
		l := c.loss
		for _, bad := range []struct {
			real, fake *G.Node
			msg        string
		}{
			{nil, v64, "real logits are nil"},
			{v64, nil, "fake logits are nil"},
			{v64, v32, "real logits are float64 but fake logits are float32"},
			{m64, v64, "want [batch]"},
			{i64, i64, "want float32 or float64"},
			{v64, other, "different graphs"},
		} {
			_, err := l.Discriminator(bad.real, bad.fake)
			require.ErrorContains(t, err, bad.msg, l.Name())
			require.True(t, strings.HasPrefix(err.Error(), "losses: "), err.Error())
		}
		_, err := l.Generator(nil)
		require.ErrorContains(t, err, "fake logits are nil")
		_, err = l.Generator(m64)
		require.ErrorContains(t, err, "want [batch]")
	}
}

func TestHostHelpers(t *testing.T) {
	for _, x := range []float64{-1000, -100, -20, -1, -1e-9, 0, 1e-9, 0.5, 1, 20, 100, 1000} {
		want := math.Log1p(math.Exp(x)) // accurate wherever it does not overflow
		if x > 30 {
			want = x
		}
		near(t, want, losses.Softplus(x), 1e-15, x)
		near(t, 1/(1+math.Exp(-x)), losses.Sigmoid(x), 1e-15, x)
		near(t, losses.Softplus(x)-losses.Softplus(-x), x, 1e-15, x) // softplus(x) − softplus(−x) = x
		require.Equal(t, -losses.Softplus(-x), losses.LogSigmoid(x))
	}
	require.Equal(t, math.Inf(1), losses.Softplus(math.Inf(1)))
	require.Equal(t, 0.0, losses.Softplus(math.Inf(-1)))
	for _, p := range []float64{1e-6, 0.1, 0.5, 0.7032, 0.999} {
		near(t, p, losses.Sigmoid(losses.Logit(p)), 1e-15, p)
	}
	require.True(t, math.IsNaN(losses.MeanProb(nil)))
	require.True(t, math.IsNaN(losses.Value(nil, []float64{0})))
}
