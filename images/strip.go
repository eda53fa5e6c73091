package images

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// gridPad is the padding, in pixels before scaling, between the images of
// a sample timeline or an interpolation strip.
const gridPad = 2

// SampleTimeline tiles checkpoints of a fixed-noise sample grid into one
// image: row i holds rows[i], the samples generated from the same fixed
// noise at the i-th checkpoint (e.g. the first 8 images of each grid a
// run writes), so reading down a column shows one latent vector's sample
// evolve during training. Every row must have the same number of images,
// all of the same size; the result is tiled with Grid (2 pixels of black
// between images) and enlarged with Scale by scale (1 if less).
func SampleTimeline(rows [][]image.Image, scale int) (image.Image, error) {
	if len(rows) == 0 {
		return nil, errors.New("images: sample timeline: no checkpoints")
	}
	cols := len(rows[0])
	if cols == 0 {
		return nil, errors.New("images: sample timeline: checkpoint 0 has no images")
	}
	all := make([]image.Image, 0, len(rows)*cols)
	for i, r := range rows {
		if len(r) != cols {
			return nil, fmt.Errorf("images: sample timeline: checkpoint %d has %d images, checkpoint 0 has %d", i, len(r), cols)
		}
		all = append(all, r...)
	}
	g, err := grid(all, cols, gridPad)
	if err != nil {
		return nil, fmt.Errorf("images: sample timeline: %w", err)
	}
	return Scale(g, scale), nil
}

// WriteSampleTimeline writes SampleTimeline(rows, scale) as a PNG,
// atomically.
func WriteSampleTimeline(path string, rows [][]image.Image, scale int) error {
	img, err := SampleTimeline(rows, scale)
	if err != nil {
		return err
	}
	return WritePNG(path, img)
}

// Interpolation is a way to walk from one latent vector to another.
type Interpolation int

const (
	// Spherical interpolation (slerp) follows the great circle between
	// the two vectors, scaling the radius linearly between their norms:
	// for Gaussian latent vectors, whose mass lies near a sphere, the
	// points stay where the generator was trained, whereas the midpoint
	// of a straight line is atypically short (White 2016, "Sampling
	// generative networks"). It is the default.
	Spherical Interpolation = iota
	// Linear interpolation: z(t) = (1−t)·z0 + t·z1.
	Linear
)

// String returns "spherical" or "linear".
func (k Interpolation) String() string {
	switch k {
	case Spherical:
		return "spherical"
	case Linear:
		return "linear"
	}
	return fmt.Sprintf("Interpolation(%d)", int(k))
}

// DefaultInterpolationSteps is the number of images of an interpolation
// strip when InterpolationOptions.Steps is zero.
const DefaultInterpolationSteps = 10

// InterpolationOptions configure WriteInterpolation.
type InterpolationOptions struct {
	// Steps is the number of points, both ends included
	// (DefaultInterpolationSteps when zero; at least 2).
	Steps int
	// Method is Spherical (the zero value) or Linear.
	Method Interpolation
	// Scale enlarges the strip by this integer factor (1 if less).
	Scale int
}

// Interpolate returns n latent vectors from z0 to z1 (n ≥ 2, both ends
// included exactly), concatenated in one slice of n·len(z0) values, as
// Trainer.GenerateFrom takes them. Point i is at t = i/(n−1).
//
// Spherical: with r0 = |z0|, r1 = |z1|, u0 = z0/r0, u1 = z1/r1 and Ω
// the angle between them, the point is
//
//	((1−t)·r0 + t·r1) · (sin((1−t)Ω)·u0 + sin(tΩ)·u1) / sin Ω
//
// (the great-circle walk between the directions with the radius moving
// linearly between the norms). When a vector is zero or the two are
// (anti)parallel, where the great circle is undefined, it falls back to
// linear interpolation.
func Interpolate(z0, z1 []float64, n int, method Interpolation) ([]float64, error) {
	if len(z0) == 0 || len(z0) != len(z1) {
		return nil, fmt.Errorf("images: interpolate: latent vectors of sizes %d and %d", len(z0), len(z1))
	}
	if n < 2 {
		return nil, fmt.Errorf("images: interpolate: %d points, want at least 2", n)
	}
	if method != Spherical && method != Linear {
		return nil, fmt.Errorf("images: interpolate: unknown method %v", method)
	}
	for i := range z0 {
		if !finite(z0[i]) || !finite(z1[i]) {
			return nil, errors.New("images: interpolate: latent vectors must be finite")
		}
	}
	d := len(z0)
	out := make([]float64, n*d)
	r0, r1 := norm(z0), norm(z1)
	omega, sinOmega := 0.0, 0.0
	if method == Spherical && r0 > 0 && r1 > 0 {
		cos := 0.0
		for i := range z0 {
			cos += z0[i] * z1[i]
		}
		cos = math.Max(-1, math.Min(1, cos/(r0*r1)))
		omega = math.Acos(cos)
		sinOmega = math.Sin(omega)
	}
	slerp := sinOmega > 1e-6
	for k := range n {
		t := float64(k) / float64(n-1)
		p := out[k*d : (k+1)*d]
		switch {
		case k == 0:
			copy(p, z0)
		case k == n-1:
			copy(p, z1)
		case slerp:
			r := (1-t)*r0 + t*r1
			a, b := math.Sin((1-t)*omega)/sinOmega, math.Sin(t*omega)/sinOmega
			for i := range p {
				p[i] = r * (a*z0[i]/r0 + b*z1[i]/r1)
			}
		default:
			for i := range p {
				p[i] = (1-t)*z0[i] + t*z1[i]
			}
		}
	}
	return out, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func norm(z []float64) float64 {
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	return math.Sqrt(s)
}

// InterpolationStrip generates the images along the walk from z0 to z1
// (see Interpolate) with gen, which receives all the latent vectors in
// one slice (as Trainer.GenerateFrom does) and must return one image per
// point, and tiles them in one row, enlarged by opts.Scale. A gen for a
// trainer tr is
//
//	func(z []float64) ([]image.Image, error) {
//		batch, err := tr.GenerateFrom(z)
//		if err != nil {
//			return nil, err
//		}
//		return images.FromTensor(batch)
//	}
func InterpolationStrip(gen func(z []float64) ([]image.Image, error), z0, z1 []float64, opts InterpolationOptions) (image.Image, error) {
	if gen == nil {
		return nil, errors.New("images: interpolation: nil generator function")
	}
	n := opts.Steps
	if n == 0 {
		n = DefaultInterpolationSteps
	}
	z, err := Interpolate(z0, z1, n, opts.Method)
	if err != nil {
		return nil, err
	}
	imgs, err := gen(z)
	if err != nil {
		return nil, fmt.Errorf("images: interpolation: generate: %w", err)
	}
	if len(imgs) != n {
		return nil, fmt.Errorf("images: interpolation: generator returned %d images for %d latent vectors", len(imgs), n)
	}
	strip, err := grid(imgs, n, gridPad)
	if err != nil {
		return nil, fmt.Errorf("images: interpolation: %w", err)
	}
	return Scale(strip, opts.Scale), nil
}

// WriteInterpolation writes InterpolationStrip(gen, z0, z1, opts) as a
// PNG, atomically.
func WriteInterpolation(path string, gen func(z []float64) ([]image.Image, error), z0, z1 []float64, opts InterpolationOptions) error {
	img, err := InterpolationStrip(gen, z0, z1, opts)
	if err != nil {
		return err
	}
	return WritePNG(path, img)
}
