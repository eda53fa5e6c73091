package data_test

import (
	"fmt"

	"github.com/gogan/gogan/data"
)

// A Loader turns a Dataset into shuffled batches; the epoch ends when too
// few samples remain for a batch.
func Example() {
	// Five 2×2 grey images; pixel bytes map to [-1, 1].
	images, err := data.NewImages(1, 2, 2, []uint8{
		0, 255, 0, 255,
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sample shape:", images.Shape(), "range:", data.ByteValue(images.Bytes[0]), data.ByteValue(images.Bytes[1]))

	loader := data.NewLoader(images, 1)
	const batchSize = 2
	batch := make([]float32, batchSize*data.Size(loader.Shape()))
	for step := 0; step < 3; step++ {
		if err := loader.Next(batch); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("step %d: batch of %d values, epoch %d\n", step, len(batch), loader.Epoch())
	}
	fmt.Println(loader.Next(make([]float32, 3)))

	ring := data.NewRing8()
	fmt.Printf("ring: %d modes, std %g, first mean %v\n", len(ring.Means()), ring.Std(), ring.Means()[0])
	// Output:
	// sample shape: [1 2 2] range: -1 1
	// step 0: batch of 8 values, epoch 0
	// step 1: batch of 8 values, epoch 1
	// step 2: batch of 8 values, epoch 1
	// data: batch buffer of 3 values is not a positive multiple of the sample size 4
	// ring: 8 modes, std 0.01, first mean [1 0]
}

// A Loader over a labelled dataset gives each batch with its classes.
func ExampleLoader_NextLabeled() {
	points, err := data.NewSlices([]int{1}, []float32{10, 11, 12, 13})
	if err != nil {
		panic(err)
	}
	ds, err := data.NewLabeled(points, []int{0, 1, 1, 0}, 2)
	if err != nil {
		panic(err)
	}
	l := data.NewLoader(ds, 3)
	batch, labels := make([]float32, 2), make([]int, 2)
	for i := 0; i < 2; i++ {
		if err := l.NextLabeled(batch, labels); err != nil {
			panic(err)
		}
		fmt.Println(batch, labels)
	}
	// Output:
	// [11 13] [1 0]
	// [10 12] [0 1]
}
