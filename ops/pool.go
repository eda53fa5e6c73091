package ops

import (
	"math/bits"
	"sync"
)

// Scratch buffers of the convolution kernels (column matrices of up to
// tens of MB, several per training step) come from pools by size class,
// so a training step does not allocate and clear them anew.
var (
	pool32 [48]sync.Pool
	pool64 [48]sync.Pool
)

// sizeClass returns the smallest c with 1<<c ≥ n.
func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// getBuf returns a slice of length n with arbitrary contents.
func getBuf[T float](n int) []T {
	if n == 0 {
		return nil
	}
	c := sizeClass(n)
	var zero T
	switch any(zero).(type) {
	case float32:
		if b, ok := pool32[c].Get().(*[]float32); ok {
			return any((*b)[:n]).([]T)
		}
	case float64:
		if b, ok := pool64[c].Get().(*[]float64); ok {
			return any((*b)[:n]).([]T)
		}
	}
	return make([]T, n, 1<<c)
}

// putBuf returns a slice obtained from getBuf to its pool.
func putBuf[T float](b []T) {
	if cap(b) == 0 || cap(b)&(cap(b)-1) != 0 {
		return // not from getBuf
	}
	c := sizeClass(cap(b))
	switch s := any(b).(type) {
	case []float32:
		s = s[:cap(s)]
		pool32[c].Put(&s)
	case []float64:
		s = s[:cap(s)]
		pool64[c].Put(&s)
	}
}
