//go:build amd64 && !purego

package ops

// leakyAVX sets out[i] = m[i]·(x[i] ≥ 0 ? pos : neg) for i < n, a
// multiple of 8 (leakyrelu_amd64.s; AVX).
//
//go:noescape
func leakyAVX(x, m, out *float32, n int, pos, neg float32)

func init() {
	if hasAVX2FMA {
		leakyAsm = leakyAVX
	}
}
