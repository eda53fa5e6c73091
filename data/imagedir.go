package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the JPEG decoder for image.Decode
	_ "image/png"  // register the PNG decoder for image.Decode
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MaxImagePixels is the largest number of pixels (width × height) of an
// image file LoadImageDir decodes; larger files are treated as unreadable,
// so that one oversized or malicious file cannot exhaust memory. The size
// is read from the file's header (image.DecodeConfig) before anything else
// is read or allocated, and a decoded image is resized a row at a time, so
// loading one file takes at most the memory of the decoded image (8 bytes
// a pixel at most, for 16-bit RGBA) plus a few rows.
const MaxImagePixels = 1 << 26

// ImageDirOptions configures LoadImageDir.
type ImageDirOptions struct {
	// Size is the height and width of the loaded images (required).
	Size int
	// Gray loads one luma channel (C = 1, ITU-R BT.601 weights, as
	// color.GrayModel); otherwise images have three channels R, G, B.
	Gray bool
	// Recursive also reads the directory's subdirectories.
	Recursive bool
	// Limit caps the number of images loaded (0: no limit). Files are read
	// in lexical order of their paths, so the same files are chosen every
	// time.
	Limit int
	// Strict makes an unreadable or corrupt image file an error naming
	// the file; otherwise such files are skipped and reported to OnSkip.
	Strict bool
	// OnSkip, if not nil, is called for every skipped file with its path
	// and the reason.
	OnSkip func(path string, err error)
}

// LoadImageDir reads the PNG and JPEG images in dir into a dataset of
// Size×Size images with values in [-1, 1], like the MNIST images.
//
// A file is read if its name ends in .png, .jpg or .jpeg (in any case) or
// its first bytes are those of a PNG or JPEG file; the format is decided
// by the content, never by the name. Other files and hidden files (whose
// name starts with a dot) are ignored, and subdirectories are too unless
// opt.Recursive. Files are read in lexical order of their paths.
//
// Each image is scaled so that its shorter side is Size pixels and then
// cropped to its centre Size×Size square (when the excess is odd, the
// crop keeps one more pixel on the right or bottom). Scaling is separable:
// downscaling averages the source pixels each output pixel covers,
// weighted by the covered area (a box filter, which does not alias);
// upscaling interpolates bilinearly between pixel centres. An image whose
// shorter side is already Size is only cropped, pixel for pixel.
// Transparent pixels are composited onto black. The result is rounded to
// the nearest byte and kept as bytes (Images.Bytes), which map to
// [-1, 1] as v/127.5 − 1.
//
// The headers of the files are read first, so the images are counted and
// their memory, which must fit in the data memory limit (see MemoryLimit),
// is allocated once, before any is decoded: a folder that holds more ends
// in an error wrapping ErrTooLarge that says how much it needs; load fewer
// with opt.Limit or raise the limit.
//
// A file that cannot be read or decoded is skipped and reported to
// opt.OnSkip, or, with opt.Strict, ends loading with an error naming it.
// If no image can be loaded, the error names the directory.
func LoadImageDir(dir string, opt ImageDirOptions) (*Images, error) {
	if opt.Size <= 0 {
		return nil, fmt.Errorf("data: load images from %s: size must be positive, got %d", dir, opt.Size)
	}
	if opt.Limit < 0 {
		return nil, fmt.Errorf("data: load images from %s: limit must not be negative, got %d", dir, opt.Limit)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("data: load images: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("data: load images: %s is not a directory", dir)
	}
	paths, err := imageCandidates(dir, opt.Recursive)
	if err != nil {
		return nil, fmt.Errorf("data: load images from %s: %w", dir, err)
	}
	c := 3
	if opt.Gray {
		c = 1
	}
	sample := c * opt.Size * opt.Size
	if err := CheckCount(fmt.Sprintf("one %d×%d×%d image", c, opt.Size, opt.Size), 1, int64(sample)); err != nil {
		return nil, fmt.Errorf("data: load images from %s: %w", dir, err)
	}
	// First read each file's header only, so that the images are counted,
	// and their memory checked against the limit, before any is decoded;
	// the pixels are then allocated once, to size.
	headers := make([]error, len(paths)) // nil: the header of an image to load
	good, examined := 0, 0
	for i, path := range paths {
		if opt.Limit > 0 && good == opt.Limit {
			break
		}
		headers[i] = checkImageFile(path)
		examined = i + 1
		if headers[i] == nil {
			good++
		}
	}
	tooMany := func(n int) error {
		err := CheckCount(fmt.Sprintf("loading %d images of %d×%d×%d", n, c, opt.Size, opt.Size), int64(n), int64(sample))
		if err != nil {
			return fmt.Errorf("data: load images from %s: %w; or load fewer images (ImageDirOptions.Limit)", dir, err)
		}
		return nil
	}
	if err := tooMany(good); err != nil {
		return nil, err
	}
	pixels := make([]uint8, 0, good*sample)
	n, skipped := 0, 0
	var firstSkip error
	for i, path := range paths {
		if opt.Limit > 0 && n == opt.Limit {
			break
		}
		err := headers[i]
		if i >= examined || err == nil {
			if len(pixels)+sample > cap(pixels) {
				// Only if files change while they are loaded: the
				// headers counted leave room for every image.
				if err := tooMany(n + 1); err != nil {
					return nil, err
				}
				pixels = slices.Grow(pixels, sample)
			}
			pixels = pixels[:len(pixels)+sample]
			if err = loadImageFile(path, opt.Size, opt.Gray, pixels[n*sample:]); err != nil {
				pixels = pixels[:n*sample]
			}
		}
		if err != nil {
			if errors.Is(err, errNotImage) {
				continue
			}
			if opt.Strict {
				return nil, fmt.Errorf("data: load images from %s: %s: %w", dir, path, err)
			}
			skipped++
			if firstSkip == nil {
				firstSkip = fmt.Errorf("%s: %w", path, err)
			}
			if opt.OnSkip != nil {
				opt.OnSkip(path, err)
			}
			continue
		}
		n++
	}
	if n == 0 {
		if skipped > 0 {
			return nil, fmt.Errorf("data: no readable PNG or JPEG images in %s (%d unreadable files skipped; first: %v)", dir, skipped, firstSkip)
		}
		return nil, fmt.Errorf("data: no PNG or JPEG images in %s", dir)
	}
	return &Images{N: n, C: c, H: opt.Size, W: opt.Size, Bytes: pixels}, nil
}

// errNotImage marks a file without an image extension whose content is
// not PNG or JPEG either: it is ignored, not skipped.
var errNotImage = errors.New("not a PNG or JPEG file")

// imageCandidates lists the regular, non-hidden files in dir (and its
// subdirectories if recursive), in lexical order.
func imageCandidates(dir string, recursive bool) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // an unreadable subdirectory: nothing to load from it
		}
		if path == dir {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !recursive {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			// A symbolic link or other special file: follow it only to
			// a regular file.
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		}
		paths = append(paths, path)
		return nil
	})
	return paths, err
}

// hasImageExt reports whether name ends in .png, .jpg or .jpeg, in any case.
func hasImageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// looksLikeImage reports whether head starts like a PNG or JPEG file.
func looksLikeImage(head []byte) bool {
	return bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff})
}

// maxImagePixels is MaxImagePixels, lowered by the fuzz test.
var maxImagePixels int64 = MaxImagePixels

// checkImageFile reads the header of the image file at path: see
// imageHeader.
func checkImageFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = imageHeader(bufio.NewReader(f), !hasImageExt(path))
	return err
}

// imageHeader reads the header of the image r holds, and checks its size
// against the pixel limit. If sniff, content that does not start like a
// PNG or JPEG file is errNotImage.
func imageHeader(r *bufio.Reader, sniff bool) (image.Config, string, error) {
	if sniff {
		head, _ := r.Peek(8)
		if !looksLikeImage(head) {
			return image.Config{}, "", errNotImage
		}
	}
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return cfg, format, fmt.Errorf("not a readable PNG or JPEG image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return cfg, format, fmt.Errorf("%s image of %d×%d pixels: want 1 to %d pixels", format, cfg.Width, cfg.Height, maxImagePixels)
	}
	return cfg, format, nil
}

// loadImageFile decodes the image at path and writes it, resized and
// cropped to size×size with c channels, as bytes into dst; see loadImage.
func loadImageFile(path string, size int, gray bool, dst []uint8) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return loadImage(f, !hasImageExt(path), size, gray, dst)
}

// loadImage decodes the image r holds and writes it, resized and cropped
// to size×size with c channels, as bytes into dst. If sniff, content that
// does not start like a PNG or JPEG file is errNotImage. It reads the
// image's size from its header before it decodes it, and never holds the
// file's bytes whole.
func loadImage(r io.ReadSeeker, sniff bool, size int, gray bool, dst []uint8) error {
	br := bufio.NewReader(r)
	cfg, format, err := imageHeader(br, sniff)
	if err != nil {
		return err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br.Reset(r)
	img, _, err := image.Decode(br)
	if err != nil {
		return fmt.Errorf("corrupt %s image: %w", format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return fmt.Errorf("corrupt %s image: header says %d×%d pixels, image has %d×%d", format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	resizeInto(img, size, gray, dst)
	return nil
}

// sourceRow writes row y (0-based) of img into rows as float64 values
// 0..255: one luma row if gray, else R, G and B rows.
func sourceRow(img image.Image, y int, gray bool, rows [][]float64) {
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok {
		// What the general case computes, without an interface call a
		// pixel: color.Gray's RGBA is Y·0x101 in each channel.
		pix := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):]
		for _, row := range rows {
			for x := range row {
				row[x] = float64(pix[x])
			}
		}
		return
	}
	for x := range rows[0] {
		c := img.At(b.Min.X+x, b.Min.Y+y)
		if gray {
			if gc, ok := c.(color.Gray); ok {
				rows[0][x] = float64(gc.Y)
				continue
			}
			// The weights of color.GrayModel, on the 16-bit values and
			// without its rounding to 8 bits.
			r, g, bb, _ := c.RGBA()
			rows[0][x] = (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bb)) / 257
			continue
		}
		r, g, bb, _ := c.RGBA() // alpha-premultiplied: composited onto black
		rows[0][x] = float64(r) / 257
		rows[1][x] = float64(g) / 257
		rows[2][x] = float64(bb) / 257
	}
}

// tap is one source index and its weight in an output pixel.
type tap struct {
	i int
	w float64
}

// axisTaps returns, for each of the size output pixels along an axis of n
// source pixels, the source pixels and weights that make it: the output
// covers source coordinates [(off+o)·s, (off+o+1)·s) with s = scale.
// For s ≥ 1 (downscaling or identity) each source pixel is weighted by the
// length of its overlap with that interval (box filter); for s < 1
// (upscaling) the output's centre is interpolated linearly between the
// two nearest source pixel centres.
func axisTaps(n, size int, off, s float64) [][]tap {
	out := make([][]tap, size)
	for o := range out {
		lo, hi := (off+float64(o))*s, (off+float64(o)+1)*s
		if s >= 1 {
			var taps []tap
			for i := max(0, int(math.Floor(lo))); i < n && float64(i) < hi; i++ {
				w := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
				if w > 1e-12 {
					taps = append(taps, tap{i, w / s})
				}
			}
			out[o] = taps
			continue
		}
		c := (lo+hi)/2 - 0.5
		c = math.Max(0, math.Min(float64(n-1), c))
		i0 := int(math.Floor(c))
		f := c - float64(i0)
		if i0+1 >= n || f == 0 {
			out[o] = []tap{{i0, 1}}
			continue
		}
		out[o] = []tap{{i0, 1 - f}, {i0 + 1, f}}
	}
	return out
}

// resizeInto scales img so that its shorter side is size, crops the
// centre size×size square and writes it, channel-major and rounded to
// bytes 0..255, into dst. It converts the source a row at a time, so it
// needs memory for a few rows, not for a float copy of the image.
func resizeInto(img image.Image, size int, gray bool, dst []uint8) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	nc := 3
	if gray {
		nc = 1
	}
	s := float64(min(w, h)) / float64(size) // source pixels per output pixel
	// The crop's offset, in output pixels, within the scaled image of
	// w/s × h/s pixels.
	offX := math.Floor((float64(w)/s - float64(size)) / 2)
	offY := math.Floor((float64(h)/s - float64(size)) / 2)
	xt := axisTaps(w, size, math.Max(0, offX), s)
	yt := axisTaps(h, size, math.Max(0, offY), s)
	src := make([][]float64, nc) // one source row
	acc := make([][]float64, nc) // the weighted sum of source rows
	for c := range src {
		src[c], acc[c] = make([]float64, w), make([]float64, w)
	}
	for oy, ys := range yt {
		for c := range acc {
			clear(acc[c])
		}
		for _, t := range ys {
			sourceRow(img, t.i, gray, src)
			for c := range acc {
				row := acc[c]
				for x, v := range src[c] {
					row[x] += t.w * v
				}
			}
		}
		for c, row := range acc {
			out := dst[c*size*size : (c+1)*size*size]
			for ox, xs := range xt {
				var v float64
				for _, t := range xs {
					v += t.w * row[t.i]
				}
				v = math.Max(0, math.Min(255, v))
				out[oy*size+ox] = uint8(math.Round(v))
			}
		}
	}
}
