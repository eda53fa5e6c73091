package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/gogan/gogan/atomicfile"
)

// IDXType is the element type of an IDX file, the third byte of its magic
// number.
type IDXType byte

// The element types of the IDX format.
const (
	IDXUint8   IDXType = 0x08 // unsigned byte
	IDXInt8    IDXType = 0x09 // signed byte
	IDXInt16   IDXType = 0x0B // big-endian int16
	IDXInt32   IDXType = 0x0C // big-endian int32
	IDXFloat32 IDXType = 0x0D // big-endian IEEE 754 float32
	IDXFloat64 IDXType = 0x0E // big-endian IEEE 754 float64
)

// MaxIDXDims is the largest number of dimensions ReadIDX accepts. The format
// allows 255, but a header claiming more than this is taken to be garbage.
const MaxIDXDims = 16

// ElemSize returns the size in bytes of one element of type t, or 0 if t is
// not a known IDX type.
func (t IDXType) ElemSize() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// String returns the name of the type, for example "ubyte", or its code in
// hexadecimal if it is unknown.
func (t IDXType) String() string {
	switch t {
	case IDXUint8:
		return "ubyte"
	case IDXInt8:
		return "sbyte"
	case IDXInt16:
		return "int16"
	case IDXInt32:
		return "int32"
	case IDXFloat32:
		return "float32"
	case IDXFloat64:
		return "float64"
	}
	return fmt.Sprintf("0x%02X", byte(t))
}

// IDX is the content of an IDX file: an n-dimensional array of one element
// type. Data holds the elements exactly as stored in the file, row-major and
// big-endian, so its length is the product of Dims times Type.ElemSize().
type IDX struct {
	Type IDXType
	Dims []int
	Data []byte
}

// NumElements returns the number of elements, the product of Dims.
func (x *IDX) NumElements() int { return Size(x.Dims) }

// Uint8s returns the elements of an unsigned-byte IDX. The slice is Data
// itself, not a copy.
func (x *IDX) Uint8s() ([]uint8, error) {
	if x.Type != IDXUint8 {
		return nil, fmt.Errorf("data: IDX of type %v is not ubyte", x.Type)
	}
	return x.Data, nil
}

// Float64s converts the elements, of any type, to float64; the conversion
// is exact for every IDX type. The copy is checked against the memory limit
// (see MemoryLimit) first.
func (x *IDX) Float64s() ([]float64, error) {
	if err := x.validate(); err != nil {
		return nil, err
	}
	n := x.NumElements()
	if err := CheckCount(fmt.Sprintf("data: float64 copy of IDX %v %v", x.Type, x.Dims), int64(n), 8); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	d := x.Data
	switch x.Type {
	case IDXUint8:
		for i := range out {
			out[i] = float64(d[i])
		}
	case IDXInt8:
		for i := range out {
			out[i] = float64(int8(d[i]))
		}
	case IDXInt16:
		for i := range out {
			out[i] = float64(int16(binary.BigEndian.Uint16(d[2*i:])))
		}
	case IDXInt32:
		for i := range out {
			out[i] = float64(int32(binary.BigEndian.Uint32(d[4*i:])))
		}
	case IDXFloat32:
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(d[4*i:])))
		}
	case IDXFloat64:
		for i := range out {
			out[i] = math.Float64frombits(binary.BigEndian.Uint64(d[8*i:]))
		}
	}
	return out, nil
}

// NewIDXUint8 returns an unsigned-byte IDX with the given dims holding
// values (not copied).
func NewIDXUint8(values []uint8, dims ...int) (*IDX, error) {
	x := &IDX{Type: IDXUint8, Dims: append([]int(nil), dims...), Data: values}
	if err := x.validate(); err != nil {
		return nil, err
	}
	return x, nil
}

// idxIntRange holds the value ranges of the integer IDX types.
var idxIntRange = map[IDXType][2]float64{
	IDXUint8: {0, math.MaxUint8}, IDXInt8: {math.MinInt8, math.MaxInt8},
	IDXInt16: {math.MinInt16, math.MaxInt16}, IDXInt32: {math.MinInt32, math.MaxInt32},
}

// NewIDXFloat64 returns an IDX of type t with the given dims holding values
// converted to t: integer types are rounded to nearest and must be in range;
// IDXFloat32 rounds to float32.
func NewIDXFloat64(t IDXType, values []float64, dims ...int) (*IDX, error) {
	es := t.ElemSize()
	if es == 0 {
		return nil, fmt.Errorf("data: unknown IDX type %v", t)
	}
	x := &IDX{Type: t, Dims: append([]int(nil), dims...), Data: make([]byte, len(values)*es)}
	if r, ok := idxIntRange[t]; ok {
		for i, v := range values {
			if v := math.Round(v); !(v >= r[0] && v <= r[1]) {
				return nil, fmt.Errorf("data: value %v at %d out of range for IDX type %v", values[i], i, t)
			}
		}
	}
	d := x.Data
	for i, v := range values {
		switch t {
		case IDXUint8:
			d[i] = uint8(math.Round(v))
		case IDXInt8:
			d[i] = uint8(int8(math.Round(v)))
		case IDXInt16:
			binary.BigEndian.PutUint16(d[2*i:], uint16(int16(math.Round(v))))
		case IDXInt32:
			binary.BigEndian.PutUint32(d[4*i:], uint32(int32(math.Round(v))))
		case IDXFloat32:
			binary.BigEndian.PutUint32(d[4*i:], math.Float32bits(float32(v)))
		case IDXFloat64:
			binary.BigEndian.PutUint64(d[8*i:], math.Float64bits(v))
		}
	}
	if err := x.validate(); err != nil {
		return nil, err
	}
	return x, nil
}

// dataBytes returns the number of data bytes that dims of type t promise,
// or an error if the type is unknown or the product overflows int.
func dataBytes(t IDXType, dims []int) (int, error) {
	es := t.ElemSize()
	if es == 0 {
		return 0, fmt.Errorf("unknown IDX type code 0x%02X", byte(t))
	}
	n := es
	for _, d := range dims {
		if d < 0 || d > math.MaxUint32 {
			return 0, fmt.Errorf("dimension %d out of range", d)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("dimensions %v of %v overflow int", dims, t)
		}
		n *= d
	}
	return n, nil
}

func (x *IDX) validate() error {
	if x == nil {
		return errors.New("data: nil IDX")
	}
	if len(x.Dims) == 0 || len(x.Dims) > MaxIDXDims {
		return fmt.Errorf("data: IDX has %d dims, want 1 to %d", len(x.Dims), MaxIDXDims)
	}
	n, err := dataBytes(x.Type, x.Dims)
	if err != nil {
		return fmt.Errorf("data: IDX: %w", err)
	}
	if len(x.Data) != n {
		return fmt.Errorf("data: IDX %v %v needs %d bytes of data, has %d", x.Type, x.Dims, n, len(x.Data))
	}
	return nil
}

// WriteIDX writes x to w in the IDX format, uncompressed.
func WriteIDX(w io.Writer, x *IDX) error {
	if err := x.validate(); err != nil {
		return err
	}
	hdr := make([]byte, 4+4*len(x.Dims))
	hdr[2], hdr[3] = byte(x.Type), byte(len(x.Dims))
	for i, d := range x.Dims {
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("data: write IDX: %w", err)
	}
	if _, err := w.Write(x.Data); err != nil {
		return fmt.Errorf("data: write IDX: %w", err)
	}
	return nil
}

// WriteIDXFile atomically writes x to path in the IDX format, gzip-compressed
// if path ends in ".gz".
func WriteIDXFile(path string, x *IDX) error {
	if err := x.validate(); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		if !strings.HasSuffix(path, ".gz") {
			return WriteIDX(w, x)
		}
		zw := gzip.NewWriter(w)
		if err := WriteIDX(zw, x); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	return nil
}

// ReadIDX reads an IDX array from r, which may be gzip-compressed (detected
// by the gzip magic bytes) or raw. The whole of r must be one IDX array:
// trailing bytes are an error. If r is an io.Seeker, a raw header is
// checked against the remaining size before anything is allocated.
func ReadIDX(r io.Reader) (*IDX, error) {
	size := int64(-1)
	if s, ok := r.(io.Seeker); ok {
		if cur, err := s.Seek(0, io.SeekCurrent); err == nil {
			if end, err := s.Seek(0, io.SeekEnd); err == nil {
				if _, err := s.Seek(cur, io.SeekStart); err != nil {
					return nil, fmt.Errorf("data: read IDX: %w", err)
				}
				size = end - cur
			}
		}
	}
	x, err := readIDX(r, size)
	if err != nil {
		return nil, fmt.Errorf("data: read IDX: %w", err)
	}
	return x, nil
}

// ReadIDXFile reads an IDX file, gzip-compressed or raw, as ReadIDX does.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: read %s: %w", path, err)
	}
	size := int64(-1)
	if fi.Mode().IsRegular() {
		size = fi.Size()
	}
	x, err := readIDX(f, size)
	if err != nil {
		return nil, fmt.Errorf("data: read %s: %w", path, err)
	}
	return x, nil
}

// readIDX reads an IDX array from r, of which size bytes remain (-1 if
// unknown). Its errors do not name the source.
func readIDX(r io.Reader, size int64) (*IDX, error) {
	var magic [2]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("truncated: no IDX header: %w", err)
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		br := bufio.NewReader(io.MultiReader(bytes.NewReader(magic[:]), r))
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(false)
		x, err := readRawIDX(zr, [2]byte{}, false, -1)
		if err != nil {
			return nil, err
		}
		// Read to the end of the stream so that the gzip checksum is
		// verified, then make sure nothing follows it.
		switch n, err := io.Copy(io.Discard, zr); {
		case err != nil:
			return nil, fmt.Errorf("gzip: %w", err)
		case n > 0:
			return nil, fmt.Errorf("trailing garbage: %d bytes after the promised data", n)
		}
		if _, err := br.ReadByte(); err == nil {
			return nil, errors.New("trailing garbage after the gzip stream")
		}
		return x, nil
	}
	if size >= 0 {
		size -= 2
	}
	return readRawIDX(r, magic, true, size)
}

// readRawIDX reads an uncompressed IDX array. If haveMagic, the first two
// bytes have been read already and are magic. size is the number of bytes
// left in r, or -1 if unknown.
func readRawIDX(r io.Reader, magic [2]byte, haveMagic bool, size int64) (*IDX, error) {
	var hdr [4]byte
	if haveMagic {
		copy(hdr[:], magic[:])
		if _, err := io.ReadFull(r, hdr[2:]); err != nil {
			return nil, fmt.Errorf("truncated: IDX header: %w", err)
		}
	} else if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("truncated: IDX header: %w", err)
	}
	if size >= 0 {
		size -= 2
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("bad magic %02X %02X %02X %02X: not an IDX file (the first two bytes must be zero)", hdr[0], hdr[1], hdr[2], hdr[3])
	}
	t, nd := IDXType(hdr[2]), int(hdr[3])
	if t.ElemSize() == 0 {
		return nil, fmt.Errorf("unknown IDX type code 0x%02X", hdr[2])
	}
	if nd == 0 || nd > MaxIDXDims {
		return nil, fmt.Errorf("bad IDX header: %d dims, want 1 to %d", nd, MaxIDXDims)
	}
	var db [4 * MaxIDXDims]byte
	if _, err := io.ReadFull(r, db[:4*nd]); err != nil {
		return nil, fmt.Errorf("truncated: IDX header with %d dims: %w", nd, err)
	}
	if size >= 0 {
		size -= int64(4 * nd)
	}
	dims := make([]int, nd)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(db[4*i:]))
	}
	n, err := dataBytes(t, dims)
	if err != nil {
		return nil, fmt.Errorf("bad IDX header: %w", err)
	}
	if err := CheckBytes(fmt.Sprintf("IDX %v %v", t, dims), int64(n)); err != nil {
		return nil, err
	}
	var data []byte
	if size >= 0 {
		if int64(n) > size {
			return nil, fmt.Errorf("truncated: header promises %d bytes of data, file has %d", n, size)
		}
		if int64(n) < size {
			return nil, fmt.Errorf("trailing garbage: header promises %d bytes of data, file has %d", n, size)
		}
		data = make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("read %d bytes of data: %w", n, err)
		}
		return &IDX{Type: t, Dims: dims, Data: data}, nil
	}
	data, err = readCapped(r, n)
	if err != nil {
		return nil, err
	}
	if haveMagic {
		// Raw stream of unknown size: nothing may follow the data.
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return nil, fmt.Errorf("trailing garbage: more than the %d bytes of data the header promises", n)
		}
	}
	return &IDX{Type: t, Dims: dims, Data: data}, nil
}

// readChunkMin and readChunkMax bound the chunks readCapped reads at a time.
const (
	readChunkMin = 64 << 10
	readChunkMax = 16 << 20
)

// readCapped reads exactly n bytes from r, whose size is unknown, without
// trusting n: it reads into chunks that grow with the data actually read,
// and allocates the whole of n only once an eighth of it has arrived, so a
// lying n costs at most eight times the real data, and an honest one about
// 1.125 n at the peak.
func readCapped(r io.Reader, n int) ([]byte, error) {
	var chunks [][]byte
	got, next := 0, readChunkMin
	for got < n {
		if len(chunks) > 1 && got >= n/8 {
			// Enough of the promise is kept: read the rest in place.
			data := make([]byte, n)
			k := 0
			for _, c := range chunks {
				k += copy(data[k:], c)
			}
			chunks = nil
			m, err := io.ReadFull(r, data[k:])
			if err != nil {
				return nil, truncatedData(n, k+m, err)
			}
			return data, nil
		}
		c := min(next, n-got)
		buf := make([]byte, c)
		k, err := io.ReadFull(r, buf)
		got += k
		chunks = append(chunks, buf[:k])
		if err != nil {
			return nil, truncatedData(n, got, err)
		}
		next = min(2*next, readChunkMax)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	data := make([]byte, 0, n)
	for _, c := range chunks {
		data = append(data, c...)
	}
	return data, nil
}

// truncatedData is the error of a read of n bytes of data that ended after
// got bytes with err.
func truncatedData(n, got int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: header promises %d bytes of data, file has %d", n, got)
	}
	return fmt.Errorf("after %d of %d bytes of data: %w", got, n, err)
}
