// Package images is gogan's one place for pictures of samples: it turns
// generated samples (a tensor, or float32 values in NCHW layout, with
// values in [-1, 1]) into images, tiles images into grids, enlarges them,
// builds the sample timeline and the latent interpolation strip, and
// writes PNG files atomically.
//
// What belongs elsewhere: charts of numbers (loss curves, histograms,
// scatter plots, drawn with gonum/plot) and report.html are package
// monitor's; reading image files into training tensors (the other
// direction, pixels to [-1, 1]) is package data's (LoadImageDir,
// Images). Package training's Grids callback writes these pictures during
// a run.
//
// Conversions produce *image.Gray for one channel and *image.NRGBA
// (opaque) for three. The value v of a sample becomes the byte
// round((v+1)·127.5), clamped to 0..255, rounding halves away from zero:
// −1 → 0, 0 → 128, 1 → 255 (see ToByte).
package images

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/data"
	"gorgonia.org/tensor"
)

// MaxPixels is the largest number of pixels that Grid and Scale create
// in one image.
const MaxPixels = 1 << 28

// background is the colour of Grid's padding and empty cells.
var background = color.NRGBA{A: 255}

// ToByte maps a sample value in [-1, 1] to a pixel intensity:
// round((v+1)·127.5) with halves rounded away from zero, clamped to
// 0..255. So −1 → 0, 0 → 128 (127.5 rounds up), 1 → 255; values outside
// [-1, 1] saturate (1.5 → 255, −3 → 0), and NaN gives 0. It is
// data.ToByte, the inverse of the [-1, 1] scaling data applies to images.
func ToByte(v float32) uint8 { return data.ToByte(v) }

// FromFloats converts one sample in CHW layout (data[ch·h·w + y·w + x])
// to an image: *image.Gray for c = 1, an opaque *image.NRGBA for c = 3
// (channels red, green, blue). Values are mapped with ToByte. It is an
// error if c is neither 1 nor 3, h or w is not positive, or len(data) is
// not c·h·w.
func FromFloats(data []float32, c, h, w int) (image.Image, error) {
	n, err := sampleSize(c, h, w)
	if err != nil {
		return nil, fmt.Errorf("images: FromFloats: %w", err)
	}
	if len(data) != n {
		return nil, fmt.Errorf("images: FromFloats: got %d values, want c·h·w = %d·%d·%d = %d", len(data), c, h, w, n)
	}
	return fromFloats(data, c, h, w), nil
}

// BatchToImages converts n samples stored one after the other in NCHW
// layout, as FromFloats does for each. It is an error if len(data) is
// not n·c·h·w; n = 0 with empty data gives an empty slice.
func BatchToImages(data []float32, n, c, h, w int) ([]image.Image, error) {
	imgs, err := batchToImages(data, n, c, h, w)
	if err != nil {
		return nil, fmt.Errorf("images: BatchToImages: %w", err)
	}
	return imgs, nil
}

// batchToImages is BatchToImages with errors that do not name it.
func batchToImages(data []float32, n, c, h, w int) ([]image.Image, error) {
	per, err := sampleSize(c, h, w)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("negative batch size %d", n)
	}
	if n > 0 && per > math.MaxInt/n || len(data) != n*per {
		return nil, fmt.Errorf("got %d values, want n·c·h·w = %d·%d·%d·%d", len(data), n, c, h, w)
	}
	imgs := make([]image.Image, n)
	for i := range imgs {
		imgs[i] = fromFloats(data[i*per:(i+1)*per], c, h, w)
	}
	return imgs, nil
}

// FromTensor converts a batch of image samples, a tensor of shape
// [n C H W] or [n H W] (one channel) with float32 or float64 values in
// [-1, 1], such as Trainer.Sample and Trainer.GenerateFrom of package gan
// return, into n images, as BatchToImages does.
func FromTensor(batch tensor.Tensor) ([]image.Image, error) {
	if batch == nil {
		return nil, errors.New("images: FromTensor: nil tensor")
	}
	shape := batch.Shape()
	var n, c, h, w int
	switch len(shape) {
	case 3:
		n, c, h, w = shape[0], 1, shape[1], shape[2]
	case 4:
		n, c, h, w = shape[0], shape[1], shape[2], shape[3]
	default:
		return nil, fmt.Errorf("images: FromTensor: samples of shape %v are not images (want [n C H W] or [n H W])", shape)
	}
	var f []float32
	switch d := batch.Data().(type) {
	case []float32:
		f = d
	case []float64:
		f = make([]float32, len(d))
		for i, v := range d {
			f[i] = float32(v)
		}
	default:
		return nil, fmt.Errorf("images: FromTensor: values of type %v, want float32 or float64", batch.Dtype())
	}
	if len(f) > shape.TotalSize() {
		f = f[:shape.TotalSize()] // a tensor's backing array may be longer
	}
	imgs, err := batchToImages(f, n, c, h, w)
	if err != nil {
		return nil, fmt.Errorf("images: FromTensor: %w", err)
	}
	return imgs, nil
}

// sampleSize validates c, h and w and returns c·h·w.
func sampleSize(c, h, w int) (int, error) {
	if c != 1 && c != 3 {
		return 0, fmt.Errorf("%d channels: only 1 (gray) and 3 (RGB) can be shown", c)
	}
	if h <= 0 || w <= 0 {
		return 0, fmt.Errorf("image size %d×%d is not positive", w, h)
	}
	if int64(h)*int64(w) > MaxPixels {
		return 0, fmt.Errorf("image size %d×%d exceeds %d pixels", w, h, MaxPixels)
	}
	return c * h * w, nil
}

func fromFloats(data []float32, c, h, w int) image.Image {
	r := image.Rect(0, 0, w, h)
	if c == 1 {
		img := image.NewGray(r)
		for i, v := range data {
			img.Pix[i] = ToByte(v)
		}
		return img
	}
	img := image.NewNRGBA(r)
	plane := h * w
	for i := 0; i < plane; i++ {
		p := img.Pix[4*i : 4*i+4 : 4*i+4]
		p[0], p[1], p[2], p[3] = ToByte(data[i]), ToByte(data[plane+i]), ToByte(data[2*plane+i]), 255
	}
	return img
}

// Grid tiles images, which must all have the same size, into a grid of
// cols columns (fewer if there are fewer images) and as many rows as
// needed, filled row by row, with pad pixels of opaque black between the
// images and around the edge. For n images of w×h pixels and
// k = min(cols, n) columns the grid is
//
//	width  = k·w + (k+1)·pad
//	height = r·h + (r+1)·pad,  r = ceil(n / k)
//
// and image i has its top-left corner at
// (pad + (i mod k)·(w+pad), pad + (i div k)·(h+pad)); cells after the last
// image are black too. The grid is an *image.Gray if every image is an
// *image.Gray, and an *image.NRGBA otherwise. It is an error if there are
// no images, an image is nil or empty or differs in size from the first,
// cols < 1, pad < 0, or the grid would exceed MaxPixels.
func Grid(images []image.Image, cols, pad int) (image.Image, error) {
	g, err := grid(images, cols, pad)
	if err != nil {
		return nil, fmt.Errorf("images: Grid: %w", err)
	}
	return g, nil
}

// grid is Grid with errors that do not name it.
func grid(images []image.Image, cols, pad int) (image.Image, error) {
	if len(images) == 0 {
		return nil, errors.New("no images")
	}
	if cols < 1 {
		return nil, fmt.Errorf("%d columns", cols)
	}
	if pad < 0 {
		return nil, fmt.Errorf("negative padding %d", pad)
	}
	allGray := true
	var size image.Point
	for i, img := range images {
		if img == nil {
			return nil, fmt.Errorf("image %d is nil", i)
		}
		s := img.Bounds().Size()
		if i == 0 {
			size = s
			if s.X <= 0 || s.Y <= 0 {
				return nil, fmt.Errorf("image 0 is empty (%d×%d)", s.X, s.Y)
			}
		} else if s != size {
			return nil, fmt.Errorf("image %d is %d×%d, image 0 is %d×%d", i, s.X, s.Y, size.X, size.Y)
		}
		if _, ok := img.(*image.Gray); !ok {
			allGray = false
		}
	}
	k := min(cols, len(images))
	rows := (len(images) + k - 1) / k
	gw := int64(k)*int64(size.X) + int64(k+1)*int64(pad)
	gh := int64(rows)*int64(size.Y) + int64(rows+1)*int64(pad)
	if gw > MaxPixels || gh > MaxPixels || gw*gh > MaxPixels {
		return nil, fmt.Errorf("a %d×%d grid exceeds %d pixels", gw, gh, MaxPixels)
	}
	r := image.Rect(0, 0, int(gw), int(gh))
	at := func(i int) image.Point {
		return image.Pt(pad+(i%k)*(size.X+pad), pad+(i/k)*(size.Y+pad))
	}
	if allGray {
		dst := image.NewGray(r) // zero: black
		for i, img := range images {
			copyGray(dst, at(i), img.(*image.Gray))
		}
		return dst, nil
	}
	dst := image.NewNRGBA(r)
	for i := 0; i < len(dst.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = background.R, background.G, background.B, background.A
	}
	for i, img := range images {
		copyNRGBA(dst, at(i), img)
	}
	return dst, nil
}

// copyGray copies src into dst with src's top-left corner at p.
func copyGray(dst *image.Gray, p image.Point, src *image.Gray) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		s := src.PixOffset(b.Min.X, y)
		d := dst.PixOffset(p.X, p.Y+y-b.Min.Y)
		copy(dst.Pix[d:d+b.Dx()], src.Pix[s:s+b.Dx()])
	}
}

// copyNRGBA copies src into dst with src's top-left corner at p,
// converting colours to NRGBA.
func copyNRGBA(dst *image.NRGBA, p image.Point, src image.Image) {
	b := src.Bounds()
	if s, ok := src.(*image.NRGBA); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			so := s.PixOffset(b.Min.X, y)
			do := dst.PixOffset(p.X, p.Y+y-b.Min.Y)
			copy(dst.Pix[do:do+4*b.Dx()], s.Pix[so:so+4*b.Dx()])
		}
		return
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
			dst.SetNRGBA(p.X+x-b.Min.X, p.Y+y-b.Min.Y, c)
		}
	}
}

// Scale enlarges img by an integer factor with nearest-neighbour
// sampling, so that every pixel becomes a factor×factor block (e.g. to
// make 28×28 digits visible). The result starts at (0, 0) and is an
// *image.Gray if img is one, an *image.NRGBA otherwise. A factor below 1
// is taken as 1, which gives a copy. If the result would exceed
// MaxPixels, or img is nil, Scale returns img unchanged.
func Scale(img image.Image, factor int) image.Image {
	if img == nil {
		return nil
	}
	factor = max(factor, 1)
	b := img.Bounds()
	w, h := int64(b.Dx())*int64(factor), int64(b.Dy())*int64(factor)
	if w > MaxPixels || h > MaxPixels || w*h > MaxPixels {
		return img
	}
	r := image.Rect(0, 0, int(w), int(h))
	// Each source pixel is read once and its block filled.
	if g, ok := img.(*image.Gray); ok {
		dst := image.NewGray(r)
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				v := g.GrayAt(b.Min.X+x, b.Min.Y+y).Y
				for dy := 0; dy < factor; dy++ {
					o := dst.PixOffset(x*factor, y*factor+dy)
					for dx := 0; dx < factor; dx++ {
						dst.Pix[o+dx] = v
					}
				}
			}
		}
		return dst
	}
	dst := image.NewNRGBA(r)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			for dy := 0; dy < factor; dy++ {
				o := dst.PixOffset(x*factor, y*factor+dy)
				for dx := 0; dx < factor; dx++ {
					px := dst.Pix[o+4*dx : o+4*dx+4 : o+4*dx+4]
					px[0], px[1], px[2], px[3] = c.R, c.G, c.B, c.A
				}
			}
		}
	}
	return dst
}

// WritePNG encodes img as PNG into the file path, replacing it
// atomically: if encoding or writing fails, path keeps its previous
// content (or stays absent).
func WritePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("images: write %s: nil image", path)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return fmt.Errorf("images: %w", err) // atomicfile names the path
	}
	return nil
}
