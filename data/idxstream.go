package data

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/gogan/gogan/atomicfile"
)

// WriteIDXFileFrom atomically writes to path an IDX array of type t with
// the given dims, gzip-compressed if path ends in ".gz", whose data write
// supplies: it must write exactly the product of dims times t.ElemSize()
// bytes, big-endian, to w, in as many calls as it likes. So an array can be
// written a chunk at a time without ever being in memory whole. If write
// fails or writes another number of bytes, path is left as it was.
func WriteIDXFileFrom(path string, t IDXType, dims []int, write func(w io.Writer) error) error {
	if len(dims) == 0 || len(dims) > MaxIDXDims {
		return fmt.Errorf("data: write %s: IDX has %d dims, want 1 to %d", path, len(dims), MaxIDXDims)
	}
	n, err := dataBytes(t, dims)
	if err != nil {
		return fmt.Errorf("data: write %s: IDX: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		var zw *gzip.Writer
		if strings.HasSuffix(path, ".gz") {
			zw = gzip.NewWriter(w)
			w = zw
		}
		hdr := make([]byte, 4+4*len(dims))
		hdr[2], hdr[3] = byte(t), byte(len(dims))
		for i, d := range dims {
			binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		cw := &countingWriter{w: w, max: int64(n)}
		if err := write(cw); err != nil {
			return err
		}
		if cw.n != int64(n) {
			return fmt.Errorf("IDX %v %v needs %d bytes of data, %d were written", t, dims, n, cw.n)
		}
		if zw != nil {
			return zw.Close()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	return nil
}

// countingWriter counts the bytes written to w and refuses more than max.
type countingWriter struct {
	w   io.Writer
	n   int64
	max int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p)) > c.max {
		return 0, fmt.Errorf("more than the %d bytes of data the IDX header promises", c.max)
	}
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// WriteImagesIDXFrom atomically writes n images of h×w pixels to path as
// an IDX3 ubyte file (MNIST's format), mapping [-1, 1] to bytes with
// ToByte. next(from, k) returns images from..from+k-1 as k·h·w values; it
// is called with k at most chunk, in order, so the images are never in
// memory whole.
func WriteImagesIDXFrom(path string, n, h, w, chunk int, next func(from, k int) ([]float32, error)) error {
	if chunk < 1 {
		return fmt.Errorf("data: write %s: chunk %d must be positive", path, chunk)
	}
	return WriteIDXFileFrom(path, IDXUint8, []int{n, h, w}, func(out io.Writer) error {
		var pix []byte
		for from := 0; from < n; {
			k := min(chunk, n-from)
			vals, err := next(from, k)
			if err != nil {
				return err
			}
			if len(vals) != k*h*w {
				return fmt.Errorf("images %d..%d: %d values, want %d", from, from+k-1, len(vals), k*h*w)
			}
			pix = pix[:0]
			for _, v := range vals {
				pix = append(pix, ToByte(v))
			}
			if _, err := out.Write(pix); err != nil {
				return err
			}
			from += k
		}
		return nil
	})
}
