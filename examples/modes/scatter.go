package main

import (
	"image"
	"image/color"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/images"
)

// writeScatter plots points (blue) over the mixture's mode centres (red
// crosses) in a 480×480 PNG whose square view fits the modes with a margin.
func writeScatter(path string, points [][2]float64, mix *data.Mixture) error {
	const size = 480
	lo, hi := 0.0, 0.0
	for _, m := range mix.Means() {
		for _, v := range m {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	pad := 0.25 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	toPixel := func(p [2]float64) (int, int) {
		x := int((p[0] - lo) / (hi - lo) * (size - 1))
		y := int((hi - p[1]) / (hi - lo) * (size - 1))
		return x, y
	}
	blue := color.NRGBA{30, 80, 200, 255}
	for _, p := range points {
		x, y := toPixel(p)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				img.SetNRGBA(x+dx, y+dy, blue)
			}
		}
	}
	red := color.NRGBA{220, 30, 30, 255}
	for _, m := range mix.Means() {
		x, y := toPixel(m)
		for d := -6; d <= 6; d++ {
			img.SetNRGBA(x+d, y, red)
			img.SetNRGBA(x, y+d, red)
		}
	}
	return images.WritePNG(path, img)
}
