package monitor_test

import (
	"fmt"
	"os"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/monitor"
)

// A run logged to a file or CI log gets plain lines; here a fake clock,
// 10 ms per step, makes the rates and ETAs reproducible.
func ExampleProgress_plain() {
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	p := monitor.NewProgress(os.Stdout, 300, monitor.ProgressOptions{Mode: monitor.ModePlain, Every: 100, Now: now})
	for step := 1; step <= 300; step++ {
		clock = clock.Add(10 * time.Millisecond) // one training step
		p.Update(gan.Stats{Step: step, DLoss: 1.3863, GLoss: 0.6931, DReal: 0.5, DFake: 0.5, V: -1.3863, Diversity: 0.97, DGradNorm: 0.25, GGradNorm: 1.5})
	}
	if err := p.Finish(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// step 100/300  100.0 steps/s  ETA 2s  D loss 1.3863  G loss 0.6931  D(x) 0.500  D(G(z)) 0.500  V -1.3863  diversity 0.970  ‖∇D‖ 0.2500  ‖∇G‖ 1.5000
	// step 200/300  100.0 steps/s  ETA 1s  D loss 1.3863  G loss 0.6931  D(x) 0.500  D(G(z)) 0.500  V -1.3863  diversity 0.970  ‖∇D‖ 0.2500  ‖∇G‖ 1.5000
	// step 300/300  100.0 steps/s  ETA 0s  D loss 1.3863  G loss 0.6931  D(x) 0.500  D(G(z)) 0.500  V -1.3863  diversity 0.970  ‖∇D‖ 0.2500  ‖∇G‖ 1.5000
	// done: 300 steps in 3s (100.0 steps/s)
}
