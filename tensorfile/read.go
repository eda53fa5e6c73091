package tensorfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
)

// Read reads one tensor file from r, consuming exactly its bytes. The
// whole content is read and its checksum verified before it is decoded,
// so an error leaves nothing half loaded. As r's size is unknown, memory
// is allocated as bytes arrive, never from a length in the file alone.
func Read(r io.Reader) (*File, error) {
	f, err := read(r, -1)
	if err != nil {
		return nil, fmt.Errorf("tensorfile: read: %w", err)
	}
	return f, nil
}

// ReadFile reads the tensor file path, like Read, and also rejects a
// file with bytes after the end of the tensor file.
func ReadFile(path string) (*File, error) {
	f, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("tensorfile: read %s: %w", path, err)
	}
	return f, nil
}

func readFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the caller names the path
		}
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return read(fh, size)
}

// read reads a tensor file from r whose total size is size, or unknown if
// size is negative.
func read(r io.Reader, size int64) (*File, error) {
	var prefix [prefixSize]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("%w (empty input)", ErrTruncated)
		}
		if m := min(n, len(magic)); !bytes.Equal(prefix[:m], []byte(magic[:m])) {
			return nil, ErrBadMagic
		}
		return nil, fmt.Errorf("%w (%d bytes, shorter than the %d-byte fixed header)", ErrTruncated, n, prefixSize)
	}
	if string(prefix[:8]) != magic {
		return nil, ErrBadMagic
	}
	if v := binary.LittleEndian.Uint32(prefix[8:]); v != Version {
		return nil, &VersionError{Version: v}
	}
	hlen := int64(binary.LittleEndian.Uint32(prefix[12:]))
	if hlen > MaxHeaderSize {
		return nil, fmt.Errorf("%w: header length %d exceeds the maximum of %d", ErrCorrupt, hlen, MaxHeaderSize)
	}
	dlen64 := binary.LittleEndian.Uint64(prefix[16:])
	if dlen64 > maxDataSize {
		return nil, fmt.Errorf("%w: data length %d is implausibly large", ErrCorrupt, dlen64)
	}
	dlen := int64(dlen64)
	total := prefixSize + hlen + dlen + trailerSize // no overflow: both terms are bounded
	if total > math.MaxInt {
		return nil, fmt.Errorf("%w: file size %d is too large for this platform", ErrCorrupt, total)
	}

	var buf []byte
	if size >= 0 {
		// The size is known: check the declared length against it before
		// allocating anything.
		if size < total {
			return nil, fmt.Errorf("%w (file has %d bytes, its header declares %d)", ErrTruncated, size, total)
		}
		if size > total {
			return nil, fmt.Errorf("%w: file has %d bytes, its header declares %d", ErrCorrupt, size, total)
		}
		buf = make([]byte, total)
		copy(buf, prefix[:])
		if n, err := io.ReadFull(r, buf[prefixSize:]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("%w (read %d bytes, its header declares %d)", ErrTruncated, prefixSize+int64(n), total)
			}
			return nil, err
		}
	} else {
		// Unknown size: let the buffer grow with the bytes that actually
		// arrive, so a false length cannot make us allocate.
		var b bytes.Buffer
		b.Write(prefix[:])
		n, err := io.CopyN(&b, r, total-prefixSize)
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("%w (got %d bytes, its header declares %d)", ErrTruncated, prefixSize+n, total)
			}
			return nil, err
		}
		buf = b.Bytes()
	}

	body, trailer := buf[:total-trailerSize], buf[total-trailerSize:]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], trailer[:32]) {
		return nil, ErrChecksum
	}
	if string(trailer[32:]) != endMagic {
		return nil, fmt.Errorf("%w: bad end magic", ErrCorrupt)
	}
	return decode(buf[prefixSize:prefixSize+hlen], buf[prefixSize+hlen:prefixSize+hlen+dlen])
}

// decode decodes and validates the header and the data section.
func decode(hdrJSON, data []byte) (*File, error) {
	var hdr header
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if err := checkTable(hdr.Tensors, int64(len(data))); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	f := &File{Tensors: make([]Tensor, len(hdr.Tensors))}
	if len(hdr.Meta) > 0 {
		var meta bytes.Buffer
		if err := json.Compact(&meta, hdr.Meta); err != nil {
			return nil, fmt.Errorf("%w: metadata: %v", ErrCorrupt, err)
		}
		f.Meta = json.RawMessage(meta.Bytes())
	}
	for i, e := range hdr.Tensors {
		shape := e.Shape
		if shape == nil {
			shape = []int{}
		}
		f.Tensors[i] = Tensor{Name: e.Name, Shape: shape, Data: decodeData(e.DType, data[e.Offset:e.Offset+e.Length])}
	}
	return f, nil
}

// checkTable validates the tensor table against a data section of dlen
// bytes: names, dtypes, shapes, lengths, ranges and overlaps.
func checkTable(entries []entry, dlen int64) error {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if e.Name == "" {
			return errors.New("tensor with an empty name")
		}
		if seen[e.Name] {
			return fmt.Errorf("duplicate tensor name %q", e.Name)
		}
		seen[e.Name] = true
		size := elemSize(e.DType)
		if size == 0 {
			return fmt.Errorf("tensor %q: unknown dtype %q", e.Name, e.DType)
		}
		n, err := numElements(e.Shape)
		if err != nil {
			return fmt.Errorf("tensor %q: %v", e.Name, err)
		}
		if n > math.MaxInt64/size || n*size != e.Length {
			return fmt.Errorf("tensor %q: length %d does not match %s shape %v", e.Name, e.Length, e.DType, e.Shape)
		}
		if e.Offset < 0 || e.Length < 0 || e.Offset > dlen || e.Length > dlen-e.Offset {
			return fmt.Errorf("tensor %q: bytes [%d, %d+%d) outside the %d-byte data section", e.Name, e.Offset, e.Offset, e.Length, dlen)
		}
	}
	// No byte may belong to two tensors; empty tensors own no bytes.
	idx := make([]int, 0, len(entries))
	for i, e := range entries {
		if e.Length > 0 {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return entries[idx[a]].Offset < entries[idx[b]].Offset })
	for k := 1; k < len(idx); k++ {
		p, q := entries[idx[k-1]], entries[idx[k]]
		if p.Offset+p.Length > q.Offset {
			return fmt.Errorf("tensors %q and %q overlap", p.Name, q.Name)
		}
	}
	return nil
}

// decodeData decodes little-endian elements of a validated dtype.
func decodeData(dtype string, b []byte) any {
	switch dtype {
	case DTypeFloat32:
		d := make([]float32, len(b)/4)
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return d
	case DTypeFloat64:
		d := make([]float64, len(b)/8)
		for i := range d {
			d[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return d
	case DTypeInt64:
		d := make([]int64, len(b)/8)
		for i := range d {
			d[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return d
	default: // DTypeUint8
		return bytes.Clone(b)
	}
}
