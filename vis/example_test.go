package vis_test

import (
	"fmt"
	"image"
	"log"

	"github.com/gogan/gogan/vis"
)

func Example() {
	// Four 1×2 gray samples in NCHW layout, values in [-1, 1].
	batch := []float32{-1, 1, 0, 0, 1, -1, 0.5, -0.5}
	imgs, err := vis.BatchToImages(batch, 4, 1, 1, 2)
	if err != nil {
		log.Fatal(err)
	}
	grid, err := vis.Grid(imgs, 2, 1) // 2 columns, 1 pixel of black padding
	if err != nil {
		log.Fatal(err)
	}
	big := vis.Scale(grid, 3)
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
