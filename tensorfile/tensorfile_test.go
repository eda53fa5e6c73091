package tensorfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample returns a File with every dtype and the awkward values: NaNs with
// payloads (quiet and signalling), both zeros, infinities, subnormals,
// extreme integers, a scalar and an empty tensor.
func sample() *File {
	f32 := []float32{
		math.Float32frombits(0x7fc00001), // quiet NaN with payload
		math.Float32frombits(0xffc12345), // negative NaN with payload
		math.Float32frombits(0x7f800001), // signalling NaN
		float32(math.Copysign(0, -1)), 0,
		float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, math.MaxFloat32, -1.5,
	}
	f64 := []float64{
		math.Float64frombits(0x7ff8000000000abc),
		math.Float64frombits(0xfff0000000000001),
		math.Copysign(0, -1), math.SmallestNonzeroFloat64, math.MaxFloat64, math.Pi,
	}
	u8 := make([]uint8, 256)
	for i := range u8 {
		u8[i] = uint8(i)
	}
	return &File{
		Meta: json.RawMessage(`{"kind": "mlp-generator", "config": {"latent": 64, "hidden": [256, 512]}, "html": "<&>"}`),
		Tensors: []Tensor{
			{Name: "generator/w1", Shape: []int{2, 5}, Data: f32},
			{Name: "generator/b1", Shape: []int{6}, Data: f64},
			{Name: "step", Shape: nil, Data: []int64{math.MinInt64}},
			{Name: "rng", Shape: []int{3}, Data: []int64{math.MaxInt64, -1, 0}},
			{Name: "bytes", Shape: []int{16, 16}, Data: u8},
			{Name: "empty", Shape: []int{0, 3}, Data: []float32{}},
			{Name: "odd", Shape: []int{3}, Data: []uint8{7, 8, 9}},
			{Name: "after-odd", Shape: []int{1}, Data: []float64{2}},
		},
	}
}

func encode(t testing.TB, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, f))
	return buf.Bytes()
}

// requireSameFile asserts that got equals want bit for bit: names, shapes
// (nil and empty being the same), dtypes and element bit patterns.
func requireSameFile(t *testing.T, want, got *File) {
	t.Helper()
	if len(want.Meta) == 0 {
		require.Empty(t, got.Meta)
	} else {
		var c bytes.Buffer
		require.NoError(t, json.Compact(&c, want.Meta))
		require.Equal(t, c.String(), string(got.Meta))
	}
	require.Len(t, got.Tensors, len(want.Tensors))
	for i, w := range want.Tensors {
		g := got.Tensors[i]
		require.Equal(t, w.Name, g.Name)
		require.NotNil(t, g.Shape)
		require.Equal(t, append([]int{}, w.Shape...), g.Shape, w.Name)
		require.Equal(t, w.DType(), g.DType(), w.Name)
		require.Equal(t, bitsOf(w.Data), bitsOf(g.Data), w.Name)
	}
}

func bitsOf(data any) []uint64 {
	var out []uint64
	switch d := data.(type) {
	case []float32:
		for _, v := range d {
			out = append(out, uint64(math.Float32bits(v)))
		}
	case []float64:
		for _, v := range d {
			out = append(out, math.Float64bits(v))
		}
	case []int64:
		for _, v := range d {
			out = append(out, uint64(v))
		}
	case []uint8:
		for _, v := range d {
			out = append(out, uint64(v))
		}
	}
	return out
}

func TestRoundTripAllDTypes(t *testing.T) {
	want := sample()
	b := encode(t, want)
	got, err := Read(bytes.NewReader(b))
	require.NoError(t, err)
	requireSameFile(t, want, got)
	assert.Equal(t, `{"kind":"mlp-generator","config":{"latent":64,"hidden":[256,512]},"html":"<&>"}`, string(got.Meta),
		"metadata is stored compact, without HTML escaping")

	path := filepath.Join(t.TempDir(), "model.gogan")
	require.NoError(t, WriteFile(path, want))
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, b, onDisk, "Write and WriteFile produce the same bytes")
	got, err = ReadFile(path)
	require.NoError(t, err)
	requireSameFile(t, want, got)

	// Writing what was read gives the same bytes: the encoding is canonical.
	require.Equal(t, b, encode(t, got))
}

func TestRoundTripEmptyFile(t *testing.T) {
	for _, f := range []*File{{}, {Meta: json.RawMessage(`null`)}, {Meta: json.RawMessage(`"just a string"`)}} {
		got, err := Read(bytes.NewReader(encode(t, f)))
		require.NoError(t, err)
		requireSameFile(t, f, got)
		require.Empty(t, got.Tensors)
	}
}

// TestLayoutMatchesDoc builds a file byte by byte as the package
// documentation describes it, and checks that Write produces exactly that.
func TestLayoutMatchesDoc(t *testing.T) {
	f := &File{
		Meta: json.RawMessage(`{"steps": 10}`),
		Tensors: []Tensor{
			{Name: "b", Shape: []int{3}, Data: []uint8{1, 2, 3}},
			{Name: "w", Shape: []int{2}, Data: []float32{1, -2}},
		},
	}
	hdr := `{"meta":{"steps":10},"tensors":[` +
		`{"name":"b","dtype":"uint8","shape":[3],"offset":0,"length":3},` +
		`{"name":"w","dtype":"float32","shape":[2],"offset":8,"length":8}]}`
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	data := []byte{1, 2, 3, 0, 0, 0, 0, 0, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}
	var want []byte
	want = append(want, "GOGANCK\x00"...)
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint32(want, uint32(len(hdr)))
	want = binary.LittleEndian.AppendUint64(want, uint64(len(data)))
	want = append(want, hdr...)
	want = append(want, data...)
	sum := sha256.Sum256(want)
	want = append(want, sum[:]...)
	want = append(want, "GOGANEND"...)

	require.Equal(t, want, encode(t, f))
	require.Len(t, want, 64+len(hdr)+len(data))
}

func TestReadConsumesExactlyOneFile(t *testing.T) {
	a, b := sample(), &File{Meta: json.RawMessage(`1`)}
	r := io.MultiReader(bytes.NewReader(encode(t, a)), bytes.NewReader(encode(t, b)), strings.NewReader("rest"))
	got, err := Read(r)
	require.NoError(t, err)
	requireSameFile(t, a, got)
	got, err = Read(r)
	require.NoError(t, err)
	requireSameFile(t, b, got)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "rest", string(rest))
}

// small is a small valid file for the exhaustive corruption loops.
func small(t testing.TB) []byte {
	return encode(t, &File{
		Meta: json.RawMessage(`{"a":1}`),
		Tensors: []Tensor{
			{Name: "x", Shape: []int{2}, Data: []float32{1, math.Float32frombits(0x7fc00001)}},
			{Name: "n", Data: []int64{-3}},
			{Name: "u", Shape: []int{3}, Data: []uint8{1, 2, 3}},
		},
	})
}

func TestEveryTruncationIsRejected(t *testing.T) {
	b := small(t)
	dir := t.TempDir()
	for n := 0; n < len(b); n++ {
		f, err := Read(bytes.NewReader(b[:n]))
		require.Nil(t, f, "length %d", n)
		require.ErrorIs(t, err, ErrTruncated, "Read, length %d", n)

		path := filepath.Join(dir, fmt.Sprintf("t%d.gogan", n))
		require.NoError(t, os.WriteFile(path, b[:n], 0o644))
		f, err = ReadFile(path)
		require.Nil(t, f, "length %d", n)
		require.ErrorIs(t, err, ErrTruncated, "ReadFile, length %d", n)
		require.True(t, strings.HasPrefix(err.Error(), "tensorfile: read "+path+": truncated"), err.Error())
	}
	_, err := Read(bytes.NewReader(b))
	require.NoError(t, err)
}

func TestEveryByteFlipIsRejected(t *testing.T) {
	b := small(t)
	path := filepath.Join(t.TempDir(), "flip.gogan")
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= mask
			f, err := Read(bytes.NewReader(c))
			require.Error(t, err, "Read, byte %d ^ %#x", i, mask)
			require.Nil(t, f)

			require.NoError(t, os.WriteFile(path, c, 0o644))
			f, err = ReadFile(path)
			require.Error(t, err, "ReadFile, byte %d ^ %#x", i, mask)
			require.Nil(t, f)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gogan")
	b := small(t)
	try := func(c []byte) error {
		require.NoError(t, os.WriteFile(path, c, 0o644))
		f, err := ReadFile(path)
		require.Nil(t, f)
		require.Error(t, err)
		return err
	}

	c := bytes.Clone(b)
	c[len(c)-50] ^= 1 // a data byte
	err := try(c)
	require.ErrorIs(t, err, ErrChecksum)
	require.EqualError(t, err, "tensorfile: read "+path+": checksum mismatch: file is corrupt")

	err = try([]byte("PK\x03\x04 this is a zip file, not a tensor file......"))
	require.ErrorIs(t, err, ErrBadMagic)
	require.EqualError(t, err, "tensorfile: read "+path+": not a gogan tensor file (bad magic)")
	require.ErrorIs(t, try([]byte("PK")), ErrBadMagic)

	c = bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[8:], 7)
	err = try(c)
	var ve *VersionError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, uint32(7), ve.Version)
	require.EqualError(t, err, "tensorfile: read "+path+": format version 7 is newer than this library supports (1)")

	binary.LittleEndian.PutUint32(c[8:], 0)
	require.EqualError(t, try(c), "tensorfile: read "+path+": format version 0 is not valid")

	err = try(b[:len(b)-1])
	require.EqualError(t, err, fmt.Sprintf("tensorfile: read %s: truncated (file has %d bytes, its header declares %d)", path, len(b)-1, len(b)))
	_, err = Read(bytes.NewReader(b[:len(b)-1]))
	require.EqualError(t, err, fmt.Sprintf("tensorfile: read: truncated (got %d bytes, its header declares %d)", len(b)-1, len(b)))

	err = try(append(bytes.Clone(b), 0))
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "header declares")

	_, err = ReadFile(filepath.Join(dir, "missing.gogan"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.EqualError(t, err, "tensorfile: read "+filepath.Join(dir, "missing.gogan")+": no such file or directory")
}

// build assembles a file with the given header and data and a correct
// checksum, for tests of what the checksum cannot catch.
func build(hdr string, data []byte) []byte {
	var b []byte
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	b = append(b, hdr...)
	b = append(b, data...)
	sum := sha256.Sum256(b)
	b = append(b, sum[:]...)
	return append(b, endMagic...)
}

func table(rows ...string) string { return `{"tensors":[` + strings.Join(rows, ",") + `]}` }

func TestMalformedTablesAreRejected(t *testing.T) {
	data := make([]byte, 16)
	cases := map[string]struct {
		hdr  string
		want string
	}{
		"bad json":        {`{"tensors":[`, "header"},
		"not an object":   {`[1,2]`, "header"},
		"unknown dtype":   {table(`{"name":"a","dtype":"int32","shape":[1],"offset":0,"length":4}`), `unknown dtype "int32"`},
		"empty name":      {table(`{"name":"","dtype":"uint8","shape":[1],"offset":0,"length":1}`), "empty name"},
		"duplicate name":  {table(`{"name":"a","dtype":"uint8","shape":[1],"offset":0,"length":1}`, `{"name":"a","dtype":"uint8","shape":[1],"offset":1,"length":1}`), `duplicate tensor name "a"`},
		"length mismatch": {table(`{"name":"a","dtype":"float32","shape":[3],"offset":0,"length":8}`), "does not match"},
		"negative dim":    {table(`{"name":"a","dtype":"uint8","shape":[-1],"offset":0,"length":0}`), "negative dimension"},
		"shape overflow":  {table(`{"name":"a","dtype":"float64","shape":[4294967296,4294967296],"offset":0,"length":0}`), "too many elements"},
		"size overflow":   {table(`{"name":"a","dtype":"float64","shape":[2305843009213693952],"offset":0,"length":0}`), "does not match"},
		"past the end":    {table(`{"name":"a","dtype":"uint8","shape":[8],"offset":9,"length":8}`), "outside"},
		"negative offset": {table(`{"name":"a","dtype":"uint8","shape":[8],"offset":-1,"length":8}`), "outside"},
		"huge offset":     {table(`{"name":"a","dtype":"uint8","shape":[8],"offset":9223372036854775807,"length":8}`), "outside"},
		"overlap": {table(`{"name":"a","dtype":"float64","shape":[1],"offset":0,"length":8}`,
			`{"name":"b","dtype":"float32","shape":[2],"offset":4,"length":8}`), `tensors "a" and "b" overlap`},
		"overlap unordered": {table(`{"name":"b","dtype":"float32","shape":[2],"offset":4,"length":8}`,
			`{"name":"a","dtype":"float64","shape":[1],"offset":0,"length":8}`), "overlap"},
		"int overflow in json": {table(`{"name":"a","dtype":"uint8","shape":[1],"offset":1e30,"length":1}`), "header"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := Read(bytes.NewReader(build(c.hdr, data)))
			require.Nil(t, f)
			require.ErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), c.want)
		})
	}

	// A bad end magic under a correct checksum.
	b := build(table(), nil)
	b[len(b)-1] = 'X'
	_, err := Read(bytes.NewReader(b))
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "end magic")
}

func TestReaderAcceptsNonCanonicalLayout(t *testing.T) {
	// Unaligned, out of table order, with a gap, unknown keys and an empty
	// tensor sitting inside another's bytes: all allowed.
	data := []byte{9, 0, 0, 0x80, 0x3f, 0xff}
	hdr := `{"extra":true,"tensors":[` +
		`{"name":"f","dtype":"float32","shape":[1],"offset":1,"length":4},` +
		`{"name":"u","dtype":"uint8","shape":[],"offset":0,"length":1},` +
		`{"name":"e","dtype":"int64","shape":[2,0],"offset":2,"length":0}]}`
	f, err := Read(bytes.NewReader(build(hdr, data)))
	require.NoError(t, err)
	require.Nil(t, f.Meta)
	v, err := f.Float32s("f")
	require.NoError(t, err)
	require.Equal(t, []float32{1}, v)
	u, err := f.Uint8s("u")
	require.NoError(t, err)
	require.Equal(t, []uint8{9}, u)
	e, _ := f.Get("e")
	require.Equal(t, []int64{}, e.Data)
	require.Equal(t, []int{2, 0}, e.Shape)
}

func TestHugeDeclaredLengthsDoNotAllocate(t *testing.T) {
	var b []byte
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, Version)
	b = binary.LittleEndian.AppendUint32(b, MaxHeaderSize)
	b = binary.LittleEndian.AppendUint64(b, 1<<61)
	b = append(b, "{}"...)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(b))
	require.ErrorIs(t, err, ErrTruncated)
	path := filepath.Join(t.TempDir(), "huge.gogan")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	_, err = ReadFile(path)
	require.ErrorIs(t, err, ErrTruncated)
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")

	binary.LittleEndian.PutUint32(b[12:], MaxHeaderSize+1)
	_, err = Read(bytes.NewReader(b))
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "header length")

	binary.LittleEndian.PutUint32(b[12:], 2)
	binary.LittleEndian.PutUint64(b[16:], math.MaxUint64)
	_, err = Read(bytes.NewReader(b))
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "data length")
}

func TestWriteValidation(t *testing.T) {
	cases := map[string]struct {
		f    *File
		want string
	}{
		"nil file":       {nil, "nil *File"},
		"bad meta":       {&File{Meta: json.RawMessage(`{"a":`)}, "metadata is not valid JSON"},
		"empty name":     {&File{Tensors: []Tensor{{Name: "", Data: []uint8{1}}}}, "tensor 0 has an empty name"},
		"bad utf8 name":  {&File{Tensors: []Tensor{{Name: "a\xff", Data: []uint8{1}}}}, "not valid UTF-8"},
		"duplicate name": {&File{Tensors: []Tensor{{Name: "w", Data: []uint8{1}}, {Name: "w", Data: []int64{1}}}}, `duplicate tensor name "w"`},
		"wrong length":   {&File{Tensors: []Tensor{{Name: "w", Shape: []int{2, 3}, Data: make([]float32, 5)}}}, `tensor "w": data has 5 elements, shape [2 3] needs 6`},
		"bad type":       {&File{Tensors: []Tensor{{Name: "w", Shape: []int{1}, Data: []int32{1}}}}, `tensor "w": data of type []int32 is not supported`},
		"nil data":       {&File{Tensors: []Tensor{{Name: "w", Shape: []int{1}}}}, `data of type <nil> is not supported`},
		"negative dim":   {&File{Tensors: []Tensor{{Name: "w", Shape: []int{-1}, Data: []uint8{}}}}, "negative dimension"},
		"huge meta":      {&File{Meta: json.RawMessage(`"` + strings.Repeat("x", MaxHeaderSize) + `"`)}, "exceeds the maximum"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, c.f)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.True(t, strings.HasPrefix(err.Error(), "tensorfile: write: "), err.Error())
			require.Zero(t, buf.Len(), "nothing is written for an invalid File")

			path := filepath.Join(t.TempDir(), "m.gogan")
			err = WriteFile(path, c.f)
			require.ErrorContains(t, err, "tensorfile: write "+path+": ")
			_, statErr := os.Stat(path)
			require.ErrorIs(t, statErr, os.ErrNotExist)
		})
	}
}

// failAfter is a writer that accepts n bytes, then fails.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestFailedWriteFileKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gogan")
	old := &File{Meta: json.RawMessage(`{"v":1}`), Tensors: []Tensor{{Name: "w", Shape: []int{2}, Data: []float64{1, 2}}}}
	require.NoError(t, WriteFile(path, old))
	oldBytes, err := os.ReadFile(path)
	require.NoError(t, err)

	big := sample()
	big.Tensors = append(big.Tensors, Tensor{Name: "big", Shape: []int{100000}, Data: make([]float32, 100000)})
	for _, n := range []int{0, 10, 100, 70000, 300000} {
		err := writeFile(path, big, func(w io.Writer) io.Writer { return &failAfter{w: w, n: n} })
		require.ErrorIs(t, err, errDiskFull, "fail after %d bytes", n)
		require.True(t, strings.HasPrefix(err.Error(), "tensorfile: "), err.Error())

		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, oldBytes, got, "fail after %d bytes", n)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "no temporary file is left behind")
	}
	f, err := ReadFile(path)
	require.NoError(t, err)
	requireSameFile(t, old, f)

	var buf bytes.Buffer
	err = Write(&failAfter{w: &buf, n: 50}, big)
	require.ErrorIs(t, err, errDiskFull)
	require.True(t, strings.HasPrefix(err.Error(), "tensorfile: write: "), err.Error())
}

func TestAccessors(t *testing.T) {
	f := sample()
	tt, ok := f.Get("generator/b1")
	require.True(t, ok)
	require.Equal(t, DTypeFloat64, tt.DType())
	_, ok = f.Get("nope")
	require.False(t, ok)
	_, ok = (*File)(nil).Get("x")
	require.False(t, ok)

	v32, err := f.Float32s("generator/w1")
	require.NoError(t, err)
	require.Len(t, v32, 10)
	v64, err := f.Float64s("generator/b1")
	require.NoError(t, err)
	require.Len(t, v64, 6)
	i64, err := f.Int64s("step")
	require.NoError(t, err)
	require.Equal(t, []int64{math.MinInt64}, i64)
	u8, err := f.Uint8s("bytes")
	require.NoError(t, err)
	require.Len(t, u8, 256)

	_, err = f.Float32s("generator/b1")
	require.EqualError(t, err, `tensorfile: tensor "generator/b1" has dtype float64, not float32`)
	_, err = f.Int64s("bytes")
	require.EqualError(t, err, `tensorfile: tensor "bytes" has dtype uint8, not int64`)
	_, err = f.Float64s("nope")
	require.ErrorIs(t, err, ErrNotFound)
	require.EqualError(t, err, `tensorfile: tensor "nope": no such tensor`)

	bad := &File{Tensors: []Tensor{{Name: "x", Data: []int32{1}}}}
	_, err = bad.Uint8s("x")
	require.EqualError(t, err, `tensorfile: tensor "x" has dtype unsupported type []int32, not uint8`)
	require.Equal(t, "", bad.Tensors[0].DType())
}
