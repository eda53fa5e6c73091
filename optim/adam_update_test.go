package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// adamK builds adamConst32 for step t of c as adamUpdate32 does.
func adamK(c AdamConfig, t int) adamConst32 {
	bc1 := 1 - math.Pow(c.Beta1, float64(t))
	bc2 := 1 - math.Pow(c.Beta2, float64(t))
	return adamConst32{
		b1: float32(c.Beta1), c1: float32(1 - c.Beta1),
		b2: float32(c.Beta2), c2: float32(1 - c.Beta2),
		step: float32(c.LR / bc1), isb2: float32(1 / math.Sqrt(bc2)), eps: float32(c.Eps),
	}
}

// randMag returns a value of random sign and of magnitude spread
// log-uniformly over [1e-8, 1e3], or now and then 0 or a magnitude near
// 1e-20 (whose square is subnormal).
func randMag(r *rand.Rand) float32 {
	var x float64
	switch u := r.IntN(100); {
	case u < 5:
		return 0
	case u < 8:
		x = 1e-20 * (1 + r.Float64())
	default:
		x = math.Pow(10, -8+11*r.Float64())
	}
	if r.IntN(2) == 0 {
		x = -x
	}
	return float32(x)
}

// sameBits reports whether a and b are the same float32, bit for bit, or
// both NaN (a NaN's payload, when both operands of an operation are NaN,
// depends on their order, which the Go compiler is free to change).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// checkSame fails t at the first element where got and want differ.
func checkSame(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if !sameBits(got[i], want[i]) {
			t.Fatalf("%s[%d] = %g (%#08x), updateGo gives %g (%#08x)", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// adamPair holds the same p, m and v twice: a for update, b for updateGo.
type adamPair struct{ pa, ma, va, pb, mb, vb []float32 }

// newAdamPair copies p, m and v, into buffers offset by off elements from
// their allocation so that the vector code also sees unaligned data.
func newAdamPair(p, m, v []float32, off int) *adamPair {
	cp := func(x []float32) []float32 {
		y := make([]float32, len(x)+off)[off:]
		copy(y, x)
		return y
	}
	return &adamPair{cp(p), cp(m), cp(v), cp(p), cp(m), cp(v)}
}

// step runs update and updateGo with k and g and compares the results.
func (a *adamPair) step(t *testing.T, k adamConst32, g []float32) {
	t.Helper()
	k.update(a.pa, g, a.ma, a.va)
	k.updateGo(a.pb, g, a.mb, a.vb)
	checkSame(t, "m", a.ma, a.mb)
	checkSame(t, "v", a.va, a.vb)
	checkSame(t, "p", a.pa, a.pb)
}

// TestAdamUpdate32MatchesGo checks that update (the AVX kernel on amd64)
// gives exactly the results of the Go loop updateGo, over many lengths,
// magnitudes, configurations and steps.
func TestAdamUpdate32MatchesGo(t *testing.T) {
	t.Logf("useAVX = %v", useAVX)
	cfgs := []AdamConfig{
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8},
		{LR: 0.1, Beta1: 0.3, Beta2: 0.7, Eps: 1e-3},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 100003} {
		for ci, c := range cfgs {
			p, m, v := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], m[i] = randMag(r), randMag(r)
				v[i] = float32(math.Abs(float64(randMag(r))))
			}
			if ci == 0 {
				clear(m)
				clear(v) // a fresh optimizer
			}
			a := newAdamPair(p, m, v, n%4)
			g := make([]float32, n)
			for _, step := range []int{1, 2, 3, 10, 1000, 100000} {
				for i := range g {
					g[i] = randMag(r)
				}
				a.step(t, adamK(c, step), g)
			}
		}
	}
}

// TestAdamUpdate32Special checks update against updateGo on special
// values: zero gradient and second moment (0/(0+ε)), NaN and infinite
// gradients, moments and parameters, and a negative second moment.
func TestAdamUpdate32Special(t *testing.T) {
	nan := float32(math.NaN())
	nan2 := math.Float32frombits(0xffc12345) // another quiet NaN payload
	inf := float32(math.Inf(1))
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 1e-8, -3e-20, 1e3, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, nan, nan2, inf, -inf}
	// every combination of g, m, v and p from vals, in some order
	var p, g, m, v []float32
	for _, gi := range vals {
		for _, mi := range vals {
			for _, vi := range vals {
				for _, pi := range []float32{0, 1, -2, nan, inf} {
					p, g, m, v = append(p, pi), append(g, gi), append(m, mi), append(v, vi)
				}
			}
		}
	}
	a := newAdamPair(p, m, v, 1)
	for _, step := range []int{1, 2, 50} {
		a.step(t, adamK(AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, step), g)
	}
	// g = 0, v = 0 on a fresh state: p must not move
	z := make([]float32, 24)
	a = newAdamPair(z, z, z, 0)
	a.step(t, adamK(AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 1), z)
	for i, x := range a.pa {
		if math.Float32bits(x) != 0 {
			t.Fatalf("p[%d] = %g after a zero gradient, want 0", i, x)
		}
	}
}

// TestAdamBulkLength checks how much of a slice adamBulk takes on.
func TestAdamBulkLength(t *testing.T) {
	k := adamK(AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 1)
	for _, n := range []int{0, 1, 7, 8, 9, 17} {
		x := make([]float32, n)
		want := 0
		if useAVX {
			want = n &^ 7
		}
		if got := adamBulk(&k, x, x, x, x); got != want {
			t.Errorf("adamBulk on %d elements = %d, want %d", n, got, want)
		}
	}
}

// BenchmarkAdamUpdate32 times one float32 Adam update, on one goroutine, of
// the 1,093,137 parameters of the reference MLP: the Go loop and the
// dispatching update (the AVX kernel where there is one).
func BenchmarkAdamUpdate32(b *testing.B) {
	const n = 1_093_137
	r := rand.New(rand.NewPCG(3, 4))
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i] = float32(r.NormFloat64())
		g[i] = float32(r.NormFloat64() * 1e-2)
	}
	k := adamK(AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 10)
	for _, bc := range []struct {
		name string
		fn   func(p, g, m, v []float32)
		skip bool
	}{
		{"go", k.updateGo, false},
		{"avx", k.update, !useAVX},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.skip {
				b.Skip("no AVX kernel")
			}
			b.SetBytes(n * 4 * 4)
			for b.Loop() {
				bc.fn(p, g, m, v)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/param")
		})
	}
}
