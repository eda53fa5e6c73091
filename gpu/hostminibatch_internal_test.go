package gpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGGExp: ggExp, the transcription of kernels.cu's gg_exp, is within
// 1.5 ulps of e^x over its range, with its cut-offs; the emulator's tests
// check that it is the CUDA C function bit for bit (through the minibatch
// kernels).
func TestGGExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 200000 {
		x := float32(rng.Float64()*188 - 100) // up to 88: no float32 overflow
		if i%4 == 0 {
			x = float32(rng.NormFloat64())
		}
		got, want := float64(ggExp(x)), math.Exp(float64(x))
		_, e := math.Frexp(math.Max(want, 0x1p-126))
		if ulps := math.Abs(got-want) / math.Ldexp(1, e-24); ulps > 1.5 {
			t.Fatalf("ggExp(%v) = %v, e^x = %v: %.2f ulps", x, got, want, ulps)
		}
	}
	for _, c := range []struct{ x, want float32 }{{0, 1}, {88.75, float32(math.Inf(1))}, {89.5, float32(math.Inf(1))}, {-105, 0}, {float32(math.Inf(-1)), 0}} {
		if got := ggExp(c.x); got != c.want {
			t.Errorf("ggExp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := ggExp(float32(math.NaN())); got == got {
		t.Errorf("ggExp(NaN) = %v", got)
	}
}
