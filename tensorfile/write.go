package tensorfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/gogan/gogan/atomicfile"
)

// header is the JSON header of a file.
type header struct {
	Meta    json.RawMessage `json:"meta,omitempty"`
	Tensors []entry         `json:"tensors"`
}

// entry is one row of the tensor table.
type entry struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// Write writes f to w in the tensor file format. f is validated first: if
// it is invalid (see File and Tensor), nothing is written.
func Write(w io.Writer, f *File) error {
	p, err := newPlan(f)
	if err != nil {
		return fmt.Errorf("tensorfile: write: %w", err)
	}
	if err := p.writeTo(w); err != nil {
		return fmt.Errorf("tensorfile: write: %w", err)
	}
	return nil
}

// WriteFile writes f to the file path, replacing it atomically: if
// writing fails, path keeps its previous content (or stays absent).
func WriteFile(path string, f *File) error {
	return writeFile(path, f, nil)
}

// writeFile is WriteFile with an optional wrapper around the destination
// writer, with which tests inject failures.
func writeFile(path string, f *File, wrap func(io.Writer) io.Writer) error {
	p, err := newPlan(f)
	if err != nil {
		return fmt.Errorf("tensorfile: write %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		if wrap != nil {
			w = wrap(w)
		}
		return p.writeTo(w)
	})
	if err != nil {
		return fmt.Errorf("tensorfile: %w", err) // atomicfile names the path
	}
	return nil
}

// plan is a validated File with its encoded header.
type plan struct {
	f       *File
	header  []byte // padded to a multiple of dataAlign
	entries []entry
	dataLen int64
}

func newPlan(f *File) (*plan, error) {
	if f == nil {
		return nil, errors.New("nil *File")
	}
	if len(f.Meta) > 0 && !json.Valid(f.Meta) {
		return nil, errors.New("metadata is not valid JSON")
	}
	entries := make([]entry, 0, len(f.Tensors))
	seen := make(map[string]bool, len(f.Tensors))
	var off int64
	for i, t := range f.Tensors {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("tensor %d has an empty name", i)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("tensor %d: name %q is not valid UTF-8", i, t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		dtype := t.DType()
		if dtype == "" {
			return nil, fmt.Errorf("tensor %q: data of type %T is not supported (want []float32, []float64, []int64 or []uint8)", t.Name, t.Data)
		}
		n, err := numElements(t.Shape)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if int64(t.dataLen()) != n {
			return nil, fmt.Errorf("tensor %q: data has %d elements, shape %v needs %d", t.Name, t.dataLen(), t.Shape, n)
		}
		length := n * elemSize(dtype) // cannot overflow: the data exists in memory
		if off > maxDataSize-length-dataAlign {
			return nil, errors.New("tensors too large")
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{} // a scalar: "shape":[] rather than null
		}
		entries = append(entries, entry{Name: t.Name, DType: dtype, Shape: shape, Offset: off, Length: length})
		off = alignUp(off + length)
	}
	dataLen := int64(0)
	if len(entries) > 0 {
		last := entries[len(entries)-1]
		dataLen = last.Offset + last.Length
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header{Meta: f.Meta, Tensors: entries}); err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	hdr := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	for len(hdr)%dataAlign != 0 {
		hdr = append(hdr, ' ')
	}
	if len(hdr) > MaxHeaderSize {
		return nil, fmt.Errorf("header of %d bytes exceeds the maximum of %d (metadata too large or too many tensors)", len(hdr), MaxHeaderSize)
	}
	return &plan{f: f, header: hdr, entries: entries, dataLen: dataLen}, nil
}

func alignUp(n int64) int64 { return (n + dataAlign - 1) / dataAlign * dataAlign }

// writeTo writes the file: prefix, header, data, trailer.
func (p *plan) writeTo(dst io.Writer) error {
	bw := bufio.NewWriterSize(dst, 64<<10)
	h := sha256.New()
	w := io.MultiWriter(bw, h)

	var prefix [prefixSize]byte
	copy(prefix[:8], magic)
	binary.LittleEndian.PutUint32(prefix[8:], Version)
	binary.LittleEndian.PutUint32(prefix[12:], uint32(len(p.header)))
	binary.LittleEndian.PutUint64(prefix[16:], uint64(p.dataLen))
	if _, err := w.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := w.Write(p.header); err != nil {
		return err
	}
	var zeros [dataAlign]byte
	chunk := make([]byte, 32<<10)
	var pos int64
	for i, e := range p.entries {
		if _, err := w.Write(zeros[:e.Offset-pos]); err != nil {
			return err
		}
		if err := writeData(w, p.f.Tensors[i].Data, chunk); err != nil {
			return err
		}
		pos = e.Offset + e.Length
	}
	var trailer [trailerSize]byte
	h.Sum(trailer[:0])
	copy(trailer[32:], endMagic)
	if _, err := bw.Write(trailer[:]); err != nil {
		return err
	}
	return bw.Flush()
}

// writeData writes the elements of data little-endian, encoding them
// chunk by chunk in buf.
func writeData(w io.Writer, data any, buf []byte) error {
	switch d := data.(type) {
	case []uint8:
		_, err := w.Write(d)
		return err
	case []float32:
		return writeChunks(w, d, buf, 4, func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) })
	case []float64:
		return writeChunks(w, d, buf, 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) })
	case []int64:
		return writeChunks(w, d, buf, 8, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
	}
	return fmt.Errorf("unsupported data type %T", data) // unreachable after newPlan
}

func writeChunks[T any](w io.Writer, d []T, buf []byte, size int, put func([]byte, T)) error {
	per := len(buf) / size
	for len(d) > 0 {
		n := min(per, len(d))
		for i, v := range d[:n] {
			put(buf[i*size:], v)
		}
		if _, err := w.Write(buf[:n*size]); err != nil {
			return err
		}
		d = d[n:]
	}
	return nil
}
