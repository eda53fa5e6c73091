//go:build amd64 && !purego

package ops

// leakyScaleAVX2 sets out[i] = dy[i]·(x[i] ≥ 0 ? 1 : slope) for i < n, n
// a multiple of 8 (leakyrelu_amd64.s).
//
//go:noescape
func leakyScaleAVX2(x, dy, out *float32, n int, slope float32)

// leakyScale32 sets out[i] = dy[i]·(x[i] ≥ 0 ? 1 : slope) over x: eight
// at a time in AVX2 where the CPU has it (the forward and backward
// LeakyReLU of a dcgan step were 8 % of its time in the scalar loop), the
// rest in leakyScaleGo32. Same values either way.
func leakyScale32(x, dy, out []float32, slope float32) {
	dy, out = dy[:len(x)], out[:len(x)]
	n := len(x) &^ 7
	if n == 0 || !hasAVX2FMA {
		leakyScaleGo32(x, dy, out, slope)
		return
	}
	leakyScaleAVX2(&x[0], &dy[0], &out[0], n, slope)
	leakyScaleGo32(x[n:], dy[n:], out[n:], slope)
}
