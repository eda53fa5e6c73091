package tensorfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Version is the format version this package writes and the newest one
// it reads.
const Version = 1

// MaxHeaderSize is the largest JSON header, in bytes, that is written or
// accepted.
const MaxHeaderSize = 16 << 20

// The dtype names of the tensor table, one per supported element type.
const (
	DTypeFloat32 = "float32" // Data is []float32
	DTypeFloat64 = "float64" // Data is []float64
	DTypeInt64   = "int64"   // Data is []int64
	DTypeUint8   = "uint8"   // Data is []uint8 (or []byte, the same type)
)

const (
	magic       = "GOGANCK\x00"
	endMagic    = "GOGANEND"
	prefixSize  = 24                // magic, version, header length, data length
	trailerSize = 32 + 8            // SHA-256, end magic
	maxDataSize = math.MaxInt64 / 2 // bound on the declared data length, so sums cannot overflow
	dataAlign   = 8
)

// Errors that reading returns, wrapped with the file name and details;
// test for them with errors.Is. A file with a version other than Version
// gives a *VersionError instead.
var (
	// ErrBadMagic: the input does not start with the tensor file magic.
	ErrBadMagic = errors.New("not a gogan tensor file (bad magic)")
	// ErrTruncated: the input ends before the length its header declares.
	ErrTruncated = errors.New("truncated")
	// ErrChecksum: the SHA-256 in the trailer does not match the content.
	ErrChecksum = errors.New("checksum mismatch: file is corrupt")
	// ErrCorrupt: the layout or the header is malformed.
	ErrCorrupt = errors.New("corrupt")
	// ErrNotFound: File has no tensor of the requested name.
	ErrNotFound = errors.New("no such tensor")
)

// VersionError reports a file whose format version this package cannot
// read.
type VersionError struct {
	Version uint32 // the version in the file
}

// Error implements error.
func (e *VersionError) Error() string {
	if e.Version == 0 {
		return "format version 0 is not valid"
	}
	return fmt.Sprintf("format version %d is newer than this library supports (%d)", e.Version, Version)
}

// File is the content of a tensor file: metadata and named tensors.
type File struct {
	// Meta is the caller's metadata: empty, or one valid JSON value. It is
	// stored in compact form (insignificant white space removed), which is
	// what Read returns.
	Meta json.RawMessage
	// Tensors are the tensors in the order they are stored.
	Tensors []Tensor
}

// Tensor is a named array of numbers.
type Tensor struct {
	// Name identifies the tensor: non-empty, valid UTF-8 and unique in its
	// File.
	Name string
	// Shape is the size of each dimension; nil or empty for a scalar, which
	// has one element. Read returns a non-nil slice.
	Shape []int
	// Data holds the elements in row-major order: a []float32, []float64,
	// []int64 or []uint8 whose length is the product of Shape.
	Data any
}

// DType returns the dtype name of t's Data (DTypeFloat32 etc.), or "" if
// Data is not of a supported type.
func (t Tensor) DType() string {
	switch t.Data.(type) {
	case []float32:
		return DTypeFloat32
	case []float64:
		return DTypeFloat64
	case []int64:
		return DTypeInt64
	case []uint8:
		return DTypeUint8
	}
	return ""
}

// dataLen returns len(t.Data), or -1 if Data is not of a supported type.
func (t Tensor) dataLen() int {
	switch d := t.Data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	}
	return -1
}

// elemSize returns the size in bytes of one element of dtype, or 0 for an
// unknown dtype.
func elemSize(dtype string) int64 {
	switch dtype {
	case DTypeFloat32:
		return 4
	case DTypeFloat64, DTypeInt64:
		return 8
	case DTypeUint8:
		return 1
	}
	return 0
}

// numElements returns the product of shape, or an error if a dimension is
// negative or the product overflows.
func numElements(shape []int) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// Get returns the tensor called name, and whether there is one.
func (f *File) Get(name string) (Tensor, bool) {
	if f == nil {
		return Tensor{}, false
	}
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// Float32s returns the data of the float32 tensor called name (the slice
// itself, not a copy). It is an error if there is no such tensor or it
// has another dtype.
func (f *File) Float32s(name string) ([]float32, error) { return get[float32](f, name, DTypeFloat32) }

// Float64s returns the data of the float64 tensor called name (the slice
// itself, not a copy). It is an error if there is no such tensor or it
// has another dtype.
func (f *File) Float64s(name string) ([]float64, error) { return get[float64](f, name, DTypeFloat64) }

// Int64s returns the data of the int64 tensor called name (the slice
// itself, not a copy). It is an error if there is no such tensor or it
// has another dtype.
func (f *File) Int64s(name string) ([]int64, error) { return get[int64](f, name, DTypeInt64) }

// Uint8s returns the data of the uint8 tensor called name (the slice
// itself, not a copy). It is an error if there is no such tensor or it
// has another dtype.
func (f *File) Uint8s(name string) ([]uint8, error) { return get[uint8](f, name, DTypeUint8) }

func get[T float32 | float64 | int64 | uint8](f *File, name, dtype string) ([]T, error) {
	t, ok := f.Get(name)
	if !ok {
		return nil, fmt.Errorf("tensorfile: tensor %q: %w", name, ErrNotFound)
	}
	d, ok := t.Data.([]T)
	if !ok {
		have := t.DType()
		if have == "" {
			have = fmt.Sprintf("unsupported type %T", t.Data)
		}
		return nil, fmt.Errorf("tensorfile: tensor %q has dtype %s, not %s", name, have, dtype)
	}
	return d, nil
}
