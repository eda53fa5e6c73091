package monitor

import "image"

// grayImage returns a w×h image of one grey level.
func grayImage(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}
