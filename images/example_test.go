package images_test

import (
	"fmt"
	"image"
	"log"

	"github.com/gogan/gogan/images"
)

func Example() {
	// Four 1×2 gray samples in NCHW layout, values in [-1, 1].
	batch := []float32{-1, 1, 0, 0, 1, -1, 0.5, -0.5}
	imgs, err := images.BatchToImages(batch, 4, 1, 1, 2)
	if err != nil {
		log.Fatal(err)
	}
	grid, err := images.Grid(imgs, 2, 1) // 2 columns, 1 pixel of black padding
	if err != nil {
		log.Fatal(err)
	}
	big := images.Scale(grid, 3)
	fmt.Println(grid.Bounds().Size(), big.Bounds().Size())
	g := grid.(*image.Gray)
	for y := 0; y < g.Bounds().Dy(); y++ {
		fmt.Println(g.Pix[g.PixOffset(0, y) : g.PixOffset(0, y)+g.Bounds().Dx()])
	}
	// Output:
	// (7,5) (21,15)
	// [0 0 0 0 0 0 0]
	// [0 0 255 0 128 128 0]
	// [0 0 0 0 0 0 0]
	// [0 255 0 0 191 64 0]
	// [0 0 0 0 0 0 0]
}

// Interpolate walks through latent space; spherical interpolation keeps
// the radius between the end points' norms.
func ExampleInterpolate() {
	z, err := images.Interpolate([]float64{3, 0}, []float64{0, 3}, 3, images.Spherical)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < len(z); i += 2 {
		fmt.Printf("%.4f %.4f\n", z[i], z[i+1])
	}
	// Output:
	// 3.0000 0.0000
	// 2.1213 2.1213
	// 0.0000 3.0000
}
