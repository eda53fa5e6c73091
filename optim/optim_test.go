package optim_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gogan/gogan/optim"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"
)

// ---- helpers ----

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

// dense returns a tensor of dtype dt, the given shape and values.
func dense(dt tensor.Dtype, shape []int, vals ...float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(vals))
		for i, v := range vals {
			f[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), vals...)))
}

func vec(dt tensor.Dtype, vals ...float64) *tensor.Dense { return dense(dt, []int{len(vals)}, vals...) }

func values(d *tensor.Dense) []float64 {
	if d.Dtype() == tensor.Float32 {
		out := make([]float64, 0, d.Size())
		for _, v := range d.Float32s() {
			out = append(out, float64(v))
		}
		return out
	}
	return append([]float64(nil), d.Float64s()...)
}

func set(d *tensor.Dense, vals []float64) {
	if d.Dtype() == tensor.Float32 {
		for i, v := range vals {
			d.Float32s()[i] = float32(v)
		}
		return
	}
	copy(d.Float64s(), vals)
}

// tol is the tolerance of comparisons with float64 reference values.
func tol(dt tensor.Dtype, f64 float64) float64 {
	if dt == tensor.Float32 {
		return 1e-6
	}
	return f64
}

// factories builds every optimizer configuration the generic tests run.
var factories = []struct {
	name string
	make func() (optim.Optimizer, error)
}{
	{"adam", func() (optim.Optimizer, error) { return optim.NewAdam(optim.AdamConfig{LR: 0.01}) }},
	{"adam-dcgan", func() (optim.Optimizer, error) {
		return optim.NewAdam(optim.AdamConfig{LR: 2e-4, Beta1: 0.5, Beta2: 0.999})
	}},
	{"sgd", func() (optim.Optimizer, error) { return optim.NewSGD(optim.SGDConfig{LR: 0.1}) }},
	{"sgd-momentum", func() (optim.Optimizer, error) {
		return optim.NewSGD(optim.SGDConfig{LR: 0.05, Momentum: 0.9})
	}},
	{"sgd-nesterov", func() (optim.Optimizer, error) {
		return optim.NewSGD(optim.SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true})
	}},
	{"rmsprop", func() (optim.Optimizer, error) { return optim.NewRMSProp(optim.RMSPropConfig{LR: 0.01}) }},
}

// problem is a set of parameters of several shapes with gradients that
// depend on the parameters and on a seeded noise stream.
type problem struct {
	params, grads []*tensor.Dense
	pcg           *rand.PCG // the noise's state, copied to replay it
	rng           *rand.Rand
}

func newProblem(dt tensor.Dtype) *problem {
	shapes := [][]int{{3, 2}, {4}, {1}, {2, 1, 2}}
	pr := &problem{pcg: rand.NewPCG(7, 8)}
	pr.rng = rand.New(pr.pcg)
	for _, s := range shapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = 2*pr.rng.Float64() - 1
		}
		pr.params = append(pr.params, dense(dt, s, vals...))
		pr.grads = append(pr.grads, dense(dt, s, make([]float64, n)...))
	}
	return pr
}

// fill sets the gradients of a noisy quadratic, g = 3p − 1 + noise.
func (pr *problem) fill() {
	for i, p := range pr.params {
		pv := values(p)
		g := make([]float64, len(pv))
		for j, v := range pv {
			g[j] = 3*v - 1 + 0.3*pr.rng.NormFloat64()
		}
		set(pr.grads[i], g)
	}
}

func (pr *problem) steps(t *testing.T, o optim.Optimizer, n int) {
	t.Helper()
	for range n {
		pr.fill()
		require.NoError(t, o.Step(pr.params, pr.grads))
	}
}

func bits(ps []*tensor.Dense) [][]uint64 {
	var out [][]uint64
	for _, p := range ps {
		var b []uint64
		for _, v := range values(p) {
			b = append(b, math.Float64bits(v))
		}
		out = append(out, b)
	}
	return out
}

// ---- known values ----

// TestAdamFirstStepIsLRSign: with bias correction m̂ = g and v̂ = g² after
// one step, so every parameter moves by lr·g/(|g| + ε), which is lr·sign(g)
// to within lr·ε/|g|.
func TestAdamFirstStepIsLRSign(t *testing.T) {
	for _, dt := range dtypes {
		for _, lr := range []float64{1e-3, 0.1} {
			for _, b1 := range []float64{0.5, 0.9} {
				a, err := optim.NewAdam(optim.AdamConfig{LR: lr, Beta1: b1})
				require.NoError(t, err)
				p0 := []float64{0.5, -0.25, 0.75, 0, -1, 0.125, 0.3}
				g := []float64{0.05, -2, 1e3, 0.37, -0.1, 5, 0}
				p := vec(dt, p0...)
				require.NoError(t, a.Step([]*tensor.Dense{p}, []*tensor.Dense{vec(dt, g...)}))
				for i, v := range values(p) {
					want := p0[i] - lr*sign(g[i])
					require.InDelta(t, want, v, 1e-7, "%v lr %v β1 %v element %d (g = %v)", dt, lr, b1, i, g[i])
					if dt == tensor.Float64 { // the ε term, exactly
						exact := p0[i] - lr*g[i]/(math.Abs(g[i])+1e-8)
						require.InDelta(t, exact, v, 1e-15, "element %d", i)
					}
				}
			}
		}
	}
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// runScalar applies o to a scalar parameter with the given gradients and
// returns the parameter after each step.
func runScalar(t *testing.T, o optim.Optimizer, dt tensor.Dtype, p0 float64, grads ...float64) []float64 {
	t.Helper()
	p := vec(dt, p0)
	var out []float64
	for _, g := range grads {
		require.NoError(t, o.Step([]*tensor.Dense{p}, []*tensor.Dense{vec(dt, g)}))
		out = append(out, values(p)[0])
	}
	return out
}

func requireSeq(t *testing.T, want, got []float64, tol float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.InDelta(t, want[i], got[i], tol, "%s: step %d: got %v", msg, i+1, got)
	}
}

// TestAdamScalarSequence: p0 = 1, gradients 0.5, −0.2, 0.1, α = 0.1,
// β = (0.9, 0.999), ε = 1e-8.
//
//	t=1: m = 0.05,   v = 0.00025,       m̂ = 0.5,        v̂ = 0.25,         p = 1 − 0.1·0.5/(0.5+ε)             = 0.900000002
//	t=2: m = 0.025,  v = 0.00028975,    m̂ = 0.025/0.19, v̂ = v/0.001999,   p = 0.900000002 − 0.1·m̂/(√v̂+ε)      = 0.8654394181165108
//	t=3: m = 0.0325, v = 0.00029946025, m̂ = m/0.271,    v̂ = v/0.002997001, p = 0.8654394181165108 − 0.1·m̂/(√v̂+ε) = 0.8275002408356956
func TestAdamScalarSequence(t *testing.T) {
	for _, dt := range dtypes {
		a, err := optim.NewAdam(optim.AdamConfig{LR: 0.1})
		require.NoError(t, err)
		got := runScalar(t, a, dt, 1, 0.5, -0.2, 0.1)
		requireSeq(t, []float64{0.900000002, 0.8654394181165108, 0.8275002408356956}, got, tol(dt, 1e-14), "adam "+dt.String())
		require.Equal(t, 3, a.State().Steps)
	}
}

// TestSGDScalarSequence: p0 = 1, gradients 1, −2, 0.5, η = 0.1.
func TestSGDScalarSequence(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range []struct {
			cfg  optim.SGDConfig
			want []float64
		}{
			// p ← p − η·g: 0.9, 1.1, 1.05.
			{optim.SGDConfig{LR: 0.1}, []float64{0.9, 1.1, 1.05}},
			// v = 1, −1.1, −0.49; p ← p − η·v: 0.9, 1.01, 1.059.
			{optim.SGDConfig{LR: 0.1, Momentum: 0.9}, []float64{0.9, 1.01, 1.059}},
			// v as above; d = g + μ·v = 1.9, −2.99, 0.059: 0.81, 1.109, 1.1031.
			{optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true}, []float64{0.81, 1.109, 1.1031}},
		} {
			s, err := optim.NewSGD(c.cfg)
			require.NoError(t, err)
			got := runScalar(t, s, dt, 1, 1, -2, 0.5)
			requireSeq(t, c.want, got, tol(dt, 1e-15), "sgd "+dt.String())
		}
	}
}

// TestRMSPropScalarSequence: p0 = 1, gradients 1, −2, 0.5, η = 0.01,
// α = 0.99: s = 0.01, 0.0499, 0.051901 and p ← p − η·g/(√s + ε).
func TestRMSPropScalarSequence(t *testing.T) {
	for _, dt := range dtypes {
		r, err := optim.NewRMSProp(optim.RMSPropConfig{LR: 0.01})
		require.NoError(t, err)
		got := runScalar(t, r, dt, 1, 1, -2, 0.5)
		want := []float64{1 - 0.01/(0.1+1e-8)}
		want = append(want, want[0]+0.02/(math.Sqrt(0.0499)+1e-8))
		want = append(want, want[1]-0.005/(math.Sqrt(0.051901)+1e-8))
		requireSeq(t, want, got, tol(dt, 1e-15), "rmsprop "+dt.String())
		requireSeq(t, []float64{0.9000000099999991, 0.9895323021991522, 0.9675849505350489}, want, 1e-15, "hand values")
	}
}

// TestSGDMomentumClosedForm: on f(x) = x²/2 (g = x), v ← μv + x and
// x ← x − ηv give x_{k+1} = (1 + μ − η)·x_k − μ·x_{k−1}, whose solution
// is x_k = c1·λ1ᵏ + c2·λ2ᵏ with λ the roots of λ² − (1 + μ − η)λ + μ = 0,
// x_0 = x0 and x_1 = (1 − η)·x0.
func TestSGDMomentumClosedForm(t *testing.T) {
	const eta, mu = 0.1, 0.2
	tr := 1 + mu - eta
	disc := math.Sqrt(tr*tr - 4*mu)
	l1, l2 := (tr+disc)/2, (tr-disc)/2
	closed := func(x0 float64, k int) float64 {
		// c1 + c2 = x0, c1·λ1 + c2·λ2 = (1 − η)·x0.
		c1 := x0 * ((1 - eta) - l2) / (l1 - l2)
		c2 := x0 - c1
		return c1*math.Pow(l1, float64(k)) + c2*math.Pow(l2, float64(k))
	}
	for _, dt := range dtypes {
		s, err := optim.NewSGD(optim.SGDConfig{LR: eta, Momentum: mu})
		require.NoError(t, err)
		x0 := []float64{1, -2.5, 0.3}
		x := vec(dt, x0...)
		g := vec(dt, 0, 0, 0)
		for k := 1; k <= 60; k++ {
			set(g, values(x)) // ∇(x²/2) = x
			require.NoError(t, s.Step([]*tensor.Dense{x}, []*tensor.Dense{g}))
			for i, v := range values(x) {
				require.InDelta(t, closed(x0[i], k), v, tol(dt, 1e-13), "%v step %d element %d", dt, k, i)
			}
		}
		require.Less(t, math.Abs(values(x)[1]), 1e-2) // and it converges
	}
}

// TestMinimiseQuadraticBowl: every optimizer takes an ill-conditioned
// quadratic f(x) = ½·Σ aᵢ(xᵢ − cᵢ)² to its minimum.
func TestMinimiseQuadraticBowl(t *testing.T) {
	a := []float64{1, 4, 0.25, 2}
	c := []float64{0.5, -1, 2, 0}
	configs := []struct {
		name  string
		make  func() (optim.Optimizer, error)
		steps int
	}{
		{"adam", func() (optim.Optimizer, error) { return optim.NewAdam(optim.AdamConfig{LR: 0.05}) }, 3000},
		{"sgd", func() (optim.Optimizer, error) { return optim.NewSGD(optim.SGDConfig{LR: 0.2}) }, 500},
		{"sgd-momentum", func() (optim.Optimizer, error) {
			return optim.NewSGD(optim.SGDConfig{LR: 0.1, Momentum: 0.9})
		}, 500},
		{"sgd-nesterov", func() (optim.Optimizer, error) {
			return optim.NewSGD(optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
		}, 500},
		{"rmsprop", func() (optim.Optimizer, error) {
			return optim.NewRMSProp(optim.RMSPropConfig{LR: 1e-2})
		}, 3000},
	}
	for _, cfg := range configs {
		for _, dt := range dtypes {
			t.Run(cfg.name+"/"+dt.String(), func(t *testing.T) {
				o, err := cfg.make()
				require.NoError(t, err)
				x, g := vec(dt, 3, 3, -3, 1), vec(dt, 0, 0, 0, 0)
				grad := make([]float64, len(a))
				f := func() float64 {
					s := 0.0
					for i, v := range values(x) {
						s += 0.5 * a[i] * (v - c[i]) * (v - c[i])
					}
					return s
				}
				f0 := f()
				for range cfg.steps {
					for i, v := range values(x) {
						grad[i] = a[i] * (v - c[i])
					}
					set(g, grad)
					require.NoError(t, o.Step([]*tensor.Dense{x}, []*tensor.Dense{g}))
				}
				t.Logf("f: %.3g → %.3g", f0, f())
				require.Greater(t, f0, 1.0)
				require.Less(t, f(), 1e-4, "f(x) at %v", values(x))
				for i, v := range values(x) {
					require.InDelta(t, c[i], v, 1e-2, "element %d", i)
				}
			})
		}
	}
}

// ---- state ----

// TestResumeIsBitIdentical: 10 steps straight give the same parameters,
// bit for bit, as 5 steps, State (through JSON, as a checkpoint would
// store it), a new optimizer, SetState and 5 more steps.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, f := range factories {
		for _, dt := range dtypes {
			t.Run(f.name+"/"+dt.String(), func(t *testing.T) {
				straight := newProblem(dt)
				o, err := f.make()
				require.NoError(t, err)
				straight.steps(t, o, 10)

				resumed := newProblem(dt)
				o1, err := f.make()
				require.NoError(t, err)
				resumed.steps(t, o1, 5)
				blob, err := json.Marshal(o1.State())
				require.NoError(t, err)
				var st optim.State
				require.NoError(t, json.Unmarshal(blob, &st))
				require.Equal(t, o1.State(), st)
				require.Equal(t, 5, st.Steps)

				// Into a fresh optimizer, before its first Step...
				o2, err := f.make()
				require.NoError(t, err)
				require.NoError(t, o2.SetState(st))
				require.Equal(t, st, o2.State())
				// ... and into one that has run on other values.
				other := newProblem(dt)
				o3, err := f.make()
				require.NoError(t, err)
				other.steps(t, o3, 3)
				require.NoError(t, o3.SetState(st))
				require.Equal(t, st, o3.State())

				params5 := bits(resumed.params)
				noise := *resumed.pcg
				resumed.steps(t, o2, 5)
				require.Equal(t, bits(straight.params), bits(resumed.params))
				require.Equal(t, o.State(), o2.State())

				// o3 from the same parameters and noise.
				for i, p := range resumed.params {
					restore := make([]float64, len(params5[i]))
					for j, b := range params5[i] {
						restore[j] = math.Float64frombits(b)
					}
					set(p, restore)
				}
				*resumed.pcg = noise
				resumed.steps(t, o3, 5)
				require.Equal(t, bits(straight.params), bits(resumed.params))
				require.Equal(t, o.State(), o3.State())
			})
		}
	}
}

func TestStateIsACopy(t *testing.T) {
	a, err := optim.NewAdam(optim.AdamConfig{LR: 0.1})
	require.NoError(t, err)
	require.Equal(t, optim.State{Kind: "adam"}, a.State())
	pr := newProblem(tensor.Float64)
	pr.steps(t, a, 2)
	st := a.State()
	require.Equal(t, []string{"exp_avg", "exp_avg_sq"}, []string{st.Buffers[0].Name, st.Buffers[1].Name})
	require.Len(t, st.Buffers[0].Data, len(pr.params))
	for i, p := range pr.params {
		require.Len(t, st.Buffers[1].Data[i], p.Size())
	}
	st.Buffers[0].Data[0][0] = 12345
	require.NotEqual(t, 12345.0, a.State().Buffers[0].Data[0][0])
	require.NoError(t, a.SetState(st))
	st.Buffers[0].Data[0][0] = 54321
	require.Equal(t, 12345.0, a.State().Buffers[0].Data[0][0])

	// Restoring the initial state resets the optimizer.
	require.NoError(t, a.SetState(optim.State{Kind: "adam"}))
	require.Equal(t, 0, a.State().Steps)
	for _, b := range a.State().Buffers {
		for _, d := range b.Data {
			for _, v := range d {
				require.Zero(t, v)
			}
		}
	}
}

func TestSetStateErrors(t *testing.T) {
	adam, err := optim.NewAdam(optim.AdamConfig{LR: 0.1})
	require.NoError(t, err)
	sgd, err := optim.NewSGD(optim.SGDConfig{LR: 0.1})
	require.NoError(t, err)
	mom, err := optim.NewSGD(optim.SGDConfig{LR: 0.1, Momentum: 0.5})
	require.NoError(t, err)
	pr := newProblem(tensor.Float64)
	pr.steps(t, mom, 1)
	momState := mom.State()

	err = adam.SetState(momState)
	require.ErrorIs(t, err, optim.ErrState)
	require.ErrorContains(t, err, `kind "sgd"`)
	// Plain SGD has no momentum buffer.
	require.ErrorIs(t, sgd.SetState(momState), optim.ErrState)
	require.ErrorIs(t, mom.SetState(optim.State{Kind: "sgd", Steps: -1}), optim.ErrState)

	// Sizes are checked at once after the first Step...
	bad := momState
	bad.Buffers = []optim.Buffer{{Name: "momentum_buffer", Data: momState.Buffers[0].Data[:2]}}
	err = mom.SetState(bad)
	require.ErrorIs(t, err, optim.ErrState)
	require.ErrorContains(t, err, "has 2 parameters, want 4")
	require.Equal(t, momState, mom.State(), "a rejected state changes nothing")

	// ... and by the first Step before it.
	fresh, err := optim.NewSGD(optim.SGDConfig{LR: 0.1, Momentum: 0.5})
	require.NoError(t, err)
	short := optim.State{Kind: "sgd", Steps: 1, Buffers: []optim.Buffer{{Name: "momentum_buffer",
		Data: [][]float64{{1, 2, 3, 4, 5, 6}, {1, 2, 3}, {1}, {1, 2, 3, 4}}}}}
	require.NoError(t, fresh.SetState(short))
	before := bits(pr.params)
	pr.fill()
	err = fresh.Step(pr.params, pr.grads)
	require.ErrorIs(t, err, optim.ErrState)
	require.ErrorContains(t, err, "parameter 1 has 3 elements, want 4")
	require.Equal(t, before, bits(pr.params))
}

// ---- steady state ----

func TestStepDoesNotAllocate(t *testing.T) {
	for _, f := range factories {
		for _, dt := range dtypes {
			o, err := f.make()
			require.NoError(t, err)
			pr := newProblem(dt)
			pr.steps(t, o, 1)
			allocs := testing.AllocsPerRun(100, func() {
				if err := o.Step(pr.params, pr.grads); err != nil {
					t.Fatal(err)
				}
			})
			require.Zero(t, allocs, "%s %v", f.name, dt)
		}
	}
}

// ---- validation ----

func TestConfigErrors(t *testing.T) {
	for name, mk := range map[string]func() error{
		"adam lr 0":          func() error { _, err := optim.NewAdam(optim.AdamConfig{}); return err },
		"adam lr <0":         func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: -1}); return err },
		"adam lr NaN":        func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: math.NaN()}); return err },
		"adam lr Inf":        func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: math.Inf(1)}); return err },
		"adam beta1 1":       func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: 1, Beta1: 1}); return err },
		"adam beta1 <0":      func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: 1, Beta1: -0.1}); return err },
		"adam beta2 1.5":     func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: 1, Beta2: 1.5}); return err },
		"adam beta2 NaN":     func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: 1, Beta2: math.NaN()}); return err },
		"adam eps <0":        func() error { _, err := optim.NewAdam(optim.AdamConfig{LR: 1, Eps: -1}); return err },
		"sgd lr 0":           func() error { _, err := optim.NewSGD(optim.SGDConfig{}); return err },
		"sgd momentum 1":     func() error { _, err := optim.NewSGD(optim.SGDConfig{LR: 1, Momentum: 1}); return err },
		"sgd momentum <0":    func() error { _, err := optim.NewSGD(optim.SGDConfig{LR: 1, Momentum: -0.5}); return err },
		"sgd nesterov no μ":  func() error { _, err := optim.NewSGD(optim.SGDConfig{LR: 1, Nesterov: true}); return err },
		"rmsprop lr <0":      func() error { _, err := optim.NewRMSProp(optim.RMSPropConfig{LR: -1e-3}); return err },
		"rmsprop alpha 1":    func() error { _, err := optim.NewRMSProp(optim.RMSPropConfig{LR: 1, Alpha: 1}); return err },
		"rmsprop eps <0":     func() error { _, err := optim.NewRMSProp(optim.RMSPropConfig{LR: 1, Eps: -1e-8}); return err },
		"byname adam lr 0":   func() error { _, err := optim.ByName("adam", 0); return err },
		"byname sgd lr <0":   func() error { _, err := optim.ByName("sgd", -1); return err },
		"byname rmsprop NaN": func() error { _, err := optim.ByName("rmsprop", math.NaN()); return err },
	} {
		err := mk()
		require.ErrorIs(t, err, optim.ErrConfig, name)
	}
	a, err := optim.NewAdam(optim.AdamConfig{LR: 2e-4})
	require.NoError(t, err)
	require.Equal(t, optim.AdamConfig{LR: 2e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, a.Config())
	r, err := optim.NewRMSProp(optim.RMSPropConfig{LR: 5e-5})
	require.NoError(t, err)
	require.Equal(t, optim.RMSPropConfig{LR: 5e-5, Alpha: 0.99, Eps: 1e-8}, r.Config())
}

func TestStepErrors(t *testing.T) {
	f64, f32 := tensor.Float64, tensor.Float32
	p := func(dt tensor.Dtype, shape ...int) *tensor.Dense {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return dense(dt, shape, make([]float64, n)...)
	}
	type L = []*tensor.Dense
	for _, f := range factories {
		o, err := f.make()
		require.NoError(t, err)
		// Errors on the first call.
		for _, c := range []struct {
			params, grads L
			msg           string
		}{
			{L{p(f64, 2)}, L{}, "got 1 parameters but 0 gradients"},
			{L{p(f64, 2), p(f64, 3)}, L{p(f64, 2), p(f32, 3)}, "parameter 1 is float64 but its gradient is float32"},
			{L{p(f64, 2), p(f64, 3)}, L{p(f64, 2), p(f64, 4)}, "parameter 1 has shape (3) but its gradient has shape (4)"},
			{L{p(f64, 2), p(f64, 2, 3)}, L{p(f64, 2), p(f64, 3, 2)}, "parameter 1 has shape (2, 3) but its gradient has shape (3, 2)"},
			{L{p(f64, 2), nil}, L{p(f64, 2), p(f64, 2)}, "parameter 1: nil"},
			{L{tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))},
				L{tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))}, "parameter 0 has dtype int"},
		} {
			err := o.Step(c.params, c.grads)
			require.ErrorIs(t, err, optim.ErrMismatch, f.name)
			require.ErrorContains(t, err, c.msg, f.name)
		}
		require.Equal(t, 0, o.State().Steps, f.name)

		// The first successful call fixes the parameters.
		params := L{p(f32, 2), p(f32, 2, 2)}
		grads := L{dense(f32, []int{2}, 1, 1), dense(f32, []int{2, 2}, 1, 1, 1, 1)}
		require.NoError(t, o.Step(params, grads))
		before := bits(params)
		for _, c := range []struct {
			params, grads L
			msg           string
		}{
			{L{params[0]}, L{grads[0]}, "got 1 parameters, want 2 as on the first call"},
			{L{params[0], params[1], p(f32, 1)}, L{grads[0], grads[1], p(f32, 1)}, "got 3 parameters, want 2"},
			{L{params[0], p(f32, 4)}, L{grads[0], p(f32, 4)}, "parameter 1 is float32 of shape (4), want float32 of shape (2, 2)"},
			{L{params[0], p(f64, 2, 2)}, L{grads[0], p(f64, 2, 2)}, "parameter 1 is float64 of shape (2, 2), want float32"},
		} {
			err := o.Step(c.params, c.grads)
			require.ErrorIs(t, err, optim.ErrMismatch, f.name)
			require.ErrorContains(t, err, c.msg, f.name)
			require.Equal(t, before, bits(params), "a rejected step changes nothing")
		}
		require.Equal(t, 1, o.State().Steps, f.name)
	}
}

func TestByName(t *testing.T) {
	for _, name := range optim.Names() {
		o, err := optim.ByName(name, 0.125)
		require.NoError(t, err)
		require.Equal(t, name, o.State().Kind)
		switch o := o.(type) {
		case *optim.Adam:
			require.Equal(t, 0.125, o.Config().LR)
		case *optim.SGD:
			require.Equal(t, optim.SGDConfig{LR: 0.125}, o.Config())
		case *optim.RMSProp:
			require.Equal(t, 0.125, o.Config().LR)
		default:
			t.Fatalf("%s: unexpected type %T", name, o)
		}
	}
	o, err := optim.ByName(" Adam ", 1e-3)
	require.NoError(t, err)
	require.IsType(t, &optim.Adam{}, o)
	_, err = optim.ByName("adagrad", 1e-3)
	require.Error(t, err)
	require.False(t, errors.Is(err, optim.ErrConfig))
	require.ErrorContains(t, err, `"adagrad" (valid: adam, sgd, rmsprop)`)
}

// TestAdamFloat32LargeTensor checks the float32 update of a tensor large
// enough to be split among goroutines against Adam's definition computed
// in float64, and that the result does not depend on GOMAXPROCS.
func TestAdamFloat32LargeTensor(t *testing.T) {
	const n = 200_003
	rng := rand.New(rand.NewPCG(1, 2))
	p0, grads := make([]float64, n), make([][]float64, 3)
	for i := range p0 {
		p0[i] = rng.NormFloat64()
	}
	for s := range grads {
		grads[s] = make([]float64, n)
		for i := range grads[s] {
			grads[s][i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-4))
		}
	}
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		a, err := optim.NewAdam(optim.AdamConfig{LR: 2e-4, Beta1: 0.5})
		require.NoError(t, err)
		p := vec(tensor.Float32, p0...)
		for _, g := range grads {
			require.NoError(t, a.Step([]*tensor.Dense{p}, []*tensor.Dense{vec(tensor.Float32, g...)}))
		}
		return p.Float32s()
	}
	one, two, three := run(1), run(2), run(3)
	require.Equal(t, one, two)
	require.Equal(t, one, three)
	// The definition, in float64 from the float32-rounded inputs.
	m, v := make([]float64, n), make([]float64, n)
	for i := range p0 {
		p := float64(float32(p0[i]))
		for s, g := range grads {
			gi := float64(float32(g[i]))
			m[i] = 0.5*m[i] + 0.5*gi
			v[i] = 0.999*v[i] + 0.001*gi*gi
			tt := float64(s + 1)
			mh, vh := m[i]/(1-math.Pow(0.5, tt)), v[i]/(1-math.Pow(0.999, tt))
			p -= 2e-4 * mh / (math.Sqrt(vh) + 1e-8)
		}
		require.InDelta(t, p, float64(one[i]), 2e-7*math.Max(1, math.Abs(p)), "element %d", i)
	}
}
