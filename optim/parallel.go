package optim

import (
	"runtime"
	"sync"
)

// minChunk is the smallest number of elements worth a goroutine of its own
// (an update costs ~1–2 ns per element; starting a goroutine ~1 µs).
const minChunk = 1 << 15

// workers is the number of goroutines parallelChunks uses for n elements.
func workers(n int) int { return min(runtime.GOMAXPROCS(0), n/minChunk) }

// parallelChunks calls fn on contiguous chunks covering [0, n), using up
// to GOMAXPROCS goroutines when n is large enough to pay for them.
func parallelChunks(n int, fn func(lo, hi int)) {
	workers := workers(n)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(w*n/workers, (w+1)*n/workers)
	}
	fn(0, n/workers)
	wg.Wait()
}
