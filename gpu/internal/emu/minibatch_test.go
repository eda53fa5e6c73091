package emu_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/gpu"
)

// TestMinibatch: the four minibatch discrimination kernels, emulated CUDA
// C against the Go references bit for bit, on odd sizes (a batch of one,
// one kernel, kernels of dimension one, more outputs than a block), with
// and without NaN, ±Inf and ±0 among the inputs, and with close samples
// (scale 0.2) so that the exponentials are not all tiny.
func TestMinibatch(t *testing.T) {
	skipWithoutCgo(t)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, d := range [][3]int{{1, 1, 1}, {2, 3, 1}, {7, 3, 5}, {5, 1, 5}, {9, 31, 2}} {
		N, B, C := d[0], d[1], d[2]
		nm, ng := N*B*C, N*B
		ints := func(n int) []int32 { return []int32{int32(n), int32(N), int32(B), int32(C)} }
		for _, specials := range []bool{false, true} {
			m, g, h := data(rng, nm, 0.2, specials), data(rng, ng, 1, specials), data(rng, nm, 1, specials)
			if N > 1 {
				m[B*C] = m[0] // a tie: sign(0)
			}
			name := fmt.Sprintf("N=%d B=%d C=%d specials %v", N, B, C, specials)
			th := nm <= 1000
			check(t, "mbd "+name, &launch{k: gpu.KMBD, ints: ints(ng), bufs: [][]float32{padded(make([]float32, ng)), m}}, th, nil)
			check(t, "mbd grad "+name, &launch{k: gpu.KMBDGrad, ints: ints(nm), bufs: [][]float32{padded(make([]float32, nm)), m, g}}, th, nil)
			check(t, "mbd grad g "+name, &launch{k: gpu.KMBDGradG, ints: ints(ng), bufs: [][]float32{padded(make([]float32, ng)), m, h}}, th, nil)
			check(t, "mbd grad m "+name, &launch{k: gpu.KMBDGradM, ints: ints(nm), bufs: [][]float32{padded(make([]float32, nm)), m, g, h}}, th, nil)
			// A grid of one block: every thread loops.
			check(t, "mbd grad grid 1 "+name, &launch{k: gpu.KMBDGrad, ints: ints(nm), grid: 1, bufs: [][]float32{padded(make([]float32, nm)), m, g}}, false, nil)
		}
	}
}
