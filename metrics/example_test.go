package metrics_test

import (
	"fmt"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/metrics"
)

// A generator on the 8-Gaussian ring that has collapsed onto two modes,
// with one sample stranded between them.
func ExampleMixtureCoverage() {
	ring := data.NewRing8()
	means := ring.Means()
	var samples [][2]float64
	for i := 0; i < 6; i++ {
		samples = append(samples, means[0], means[2])
	}
	samples = append(samples, [2]float64{0.5, 0.5})
	c, err := metrics.MixtureCoverage(samples, ring)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	fmt.Println("high-quality samples per mode:", c.PerMode)

	ratio, err := metrics.DiversityRatio(
		[]float32{1, 0, 1, 0, 0, 1, 0, 1},   // generated: two distinct points
		[]float32{1, 0, 0, 1, -1, 0, 0, -1}, // real: four modes
		4, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("diversity ratio %.3f\n", ratio)
	// Output:
	// covered 2/8 modes, 92.3% high quality, reverse KL 1.168
	// high-quality samples per mode: [6 0 6 0 0 0 0 0]
	// diversity ratio 0.586
}
