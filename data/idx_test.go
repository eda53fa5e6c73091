package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawIDX builds IDX bytes by hand: header for type t and dims, then data.
func rawIDX(t IDXType, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, byte(t), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// onlyReader hides io.Seeker, so that the size of the input is unknown.
type onlyReader struct{ io.Reader }

func TestWriteIDXExactBytes(t *testing.T) {
	x, err := NewIDXUint8([]uint8{1, 2, 3, 4, 5, 255}, 2, 3)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteIDX(&buf, x))
	require.Equal(t, []byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255}, buf.Bytes())

	dir := t.TempDir()
	raw, gzPath := filepath.Join(dir, "x-idx2-ubyte"), filepath.Join(dir, "x-idx2-ubyte.gz")
	require.NoError(t, WriteIDXFile(raw, x))
	require.NoError(t, WriteIDXFile(gzPath, x))
	b, err := os.ReadFile(raw)
	require.NoError(t, err)
	require.Equal(t, buf.Bytes(), b)
	b, err = os.ReadFile(gzPath)
	require.NoError(t, err)
	require.Equal(t, []byte{0x1f, 0x8b}, b[:2], "a .gz path is gzip-compressed")
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	un, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, buf.Bytes(), un)
}

func TestIDXRoundTripAllTypes(t *testing.T) {
	values := []float64{0, 1, -2, 100, -128, 127}
	cases := []struct {
		typ  IDXType
		vals []float64
	}{
		{IDXUint8, []float64{0, 1, 2, 100, 128, 255}},
		{IDXInt8, values},
		{IDXInt16, []float64{-32768, 32767, -300, 0, 1, 2}},
		{IDXInt32, []float64{math.MinInt32, math.MaxInt32, -70000, 0, 1, 2}},
		{IDXFloat32, []float64{1.5, -0.25, math.MaxFloat32, -math.SmallestNonzeroFloat32, 0, 7}},
		{IDXFloat64, []float64{math.Pi, -math.E, 1e300, -1e-300, 0, math.MaxFloat64}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.typ.String(), func(t *testing.T) {
			x, err := NewIDXFloat64(c.typ, c.vals, 3, 2)
			require.NoError(t, err)
			require.Len(t, x.Data, 6*c.typ.ElemSize())
			for _, name := range []string{"a.idx", "a.idx.gz"} {
				p := filepath.Join(dir, c.typ.String()+name)
				require.NoError(t, WriteIDXFile(p, x))
				y, err := ReadIDXFile(p)
				require.NoError(t, err)
				require.Equal(t, c.typ, y.Type)
				require.Equal(t, []int{3, 2}, y.Dims)
				require.Equal(t, x.Data, y.Data)
				got, err := y.Float64s()
				require.NoError(t, err)
				require.Equal(t, c.vals, got)
			}
		})
	}
}

func TestIDXBigEndianLayout(t *testing.T) {
	x, err := NewIDXFloat64(IDXInt16, []float64{-2, 258}, 2)
	require.NoError(t, err)
	require.Equal(t, []byte{0xff, 0xfe, 0x01, 0x02}, x.Data)
	_, err = NewIDXFloat64(IDXUint8, []float64{256}, 1)
	require.ErrorContains(t, err, "out of range for IDX type ubyte")
	_, err = NewIDXFloat64(IDXInt8, []float64{math.NaN()}, 1)
	require.ErrorContains(t, err, "out of range")
	_, err = NewIDXUint8([]uint8{1, 2, 3}, 2, 2)
	require.EqualError(t, err, "data: IDX ubyte [2 2] needs 4 bytes of data, has 3")
	u, err := x.Uint8s()
	require.Nil(t, u)
	require.EqualError(t, err, "data: IDX of type int16 is not ubyte")
}

func TestReadIDXDetectsGzipByContent(t *testing.T) {
	want := rawIDX(IDXUint8, []uint32{3}, []byte{7, 8, 9})
	dir := t.TempDir()
	// Compressed content under a raw name, raw content under a .gz name.
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b.gz")
	require.NoError(t, os.WriteFile(a, gz(t, want), 0o644))
	require.NoError(t, os.WriteFile(b, want, 0o644))
	for _, p := range []string{a, b} {
		x, err := ReadIDXFile(p)
		require.NoError(t, err, p)
		require.Equal(t, []byte{7, 8, 9}, x.Data)
		require.Equal(t, []int{3}, x.Dims)
	}
	// The same through a plain reader of unknown size.
	for _, in := range [][]byte{want, gz(t, want)} {
		x, err := ReadIDX(onlyReader{bytes.NewReader(in)})
		require.NoError(t, err)
		require.Equal(t, []byte{7, 8, 9}, x.Data)
	}
}

func TestReadIDXMalformed(t *testing.T) {
	huge := []uint32{60000, 28, 28}
	cases := []struct {
		name string
		in   []byte
		msg  string // exact message after "data: read <path>: "
	}{
		{"empty", nil, "truncated: no IDX header: EOF"},
		{"magic", []byte{0, 1, 8, 1, 0, 0, 0, 0}, "bad magic 00 01 08 01: not an IDX file (the first two bytes must be zero)"},
		{"type", []byte{0, 0, 0x0A, 1, 0, 0, 0, 0}, "unknown IDX type code 0x0A"},
		{"zero dims", []byte{0, 0, 8, 0}, "bad IDX header: 0 dims, want 1 to 16"},
		{"absurd dims", rawIDX(IDXUint8, make([]uint32, 200), nil), "bad IDX header: 200 dims, want 1 to 16"},
		{"short header", []byte{0, 0, 8, 3, 0, 0}, "truncated: IDX header with 3 dims: unexpected EOF"},
		{"truncated", rawIDX(IDXUint8, []uint32{2, 3}, []byte{1, 2, 3, 4}), "truncated: header promises 6 bytes of data, file has 4"},
		{"truncated big", rawIDX(IDXUint8, huge, make([]byte, 1200)), "truncated: header promises 47040000 bytes of data, file has 1200"},
		{"trailing", rawIDX(IDXUint8, []uint32{2}, []byte{1, 2, 3}), "trailing garbage: header promises 2 bytes of data, file has 3"},
		{"overflow", rawIDX(IDXFloat64, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil), "bad IDX header: dimensions [4294967295 4294967295 4294967295] of float64 overflow int"},
		{"gzip truncated", gz(t, rawIDX(IDXUint8, huge, make([]byte, 1200))), "truncated: header promises 47040000 bytes of data, file has 1200"},
		{"gzip trailing", gz(t, rawIDX(IDXUint8, []uint32{2}, []byte{1, 2, 3})), "trailing garbage: 1 bytes after the promised data"},
		{"gzip magic", gz(t, []byte{1, 0, 8, 1, 0, 0, 0, 0}), "bad magic 01 00 08 01: not an IDX file (the first two bytes must be zero)"},
		{"gzip header", []byte{0x1f, 0x8b, 0, 0}, "gzip: unexpected EOF"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".gz")
			require.NoError(t, os.WriteFile(p, c.in, 0o644))
			_, err := ReadIDXFile(p)
			require.EqualError(t, err, "data: read "+p+": "+c.msg)
			_, err = ReadIDX(bytes.NewReader(c.in))
			require.EqualError(t, err, "data: read IDX: "+c.msg)
			_, err = ReadIDX(onlyReader{bytes.NewReader(c.in)})
			require.Error(t, err, "unknown size")
		})
	}
}

func TestReadIDXGzipCorrupt(t *testing.T) {
	b := gz(t, rawIDX(IDXUint8, []uint32{4}, []byte{1, 2, 3, 4}))
	b[len(b)-8] ^= 0xff // CRC-32 of the trailer
	_, err := ReadIDX(bytes.NewReader(b))
	require.EqualError(t, err, "data: read IDX: gzip: gzip: invalid checksum")
	// Garbage after a complete gzip stream.
	b = append(gz(t, rawIDX(IDXUint8, []uint32{1}, []byte{1})), "junk"...)
	_, err = ReadIDX(bytes.NewReader(b))
	require.EqualError(t, err, "data: read IDX: trailing garbage after the gzip stream")
}

// A header that promises 2 GiB in front of a little real data must not make
// the reader allocate the promise, neither for gzip nor for a raw stream of
// unknown size.
func TestReadIDXLyingHeaderDoesNotAllocate(t *testing.T) {
	setMaxBytes(t, 4<<30) // within the limit, so that the reader meets the lie
	lie := rawIDX(IDXUint8, []uint32{1 << 15, 1 << 16}, make([]byte, 100_000))
	for name, in := range map[string]io.Reader{
		"gzip":     bytes.NewReader(gz(t, lie)),
		"raw":      onlyReader{bytes.NewReader(lie)},
		"raw seek": bytes.NewReader(lie),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadIDX(in)
		runtime.ReadMemStats(&after)
		require.ErrorContains(t, err, "truncated: header promises 2147483648 bytes of data, file has 100000", name)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(2<<20), name)
	}
}

func TestReadIDXLargeUnknownSize(t *testing.T) {
	// Larger than several read chunks, to exercise chunk joining.
	data := make([]byte, 3*readChunkMin+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	in := rawIDX(IDXInt8, []uint32{uint32(len(data))}, data)
	for _, r := range []io.Reader{onlyReader{bytes.NewReader(in)}, bytes.NewReader(gz(t, in))} {
		x, err := ReadIDX(r)
		require.NoError(t, err)
		require.Equal(t, data, x.Data)
	}
}

func TestWriteIDXRejectsInvalid(t *testing.T) {
	var buf bytes.Buffer
	require.EqualError(t, WriteIDX(&buf, &IDX{Type: 0x42, Dims: []int{1}, Data: []byte{1}}), "data: IDX: unknown IDX type code 0x42")
	require.EqualError(t, WriteIDX(&buf, &IDX{Type: IDXUint8}), "data: IDX has 0 dims, want 1 to 16")
	require.EqualError(t, WriteIDX(&buf, nil), "data: nil IDX")
	require.Zero(t, buf.Len())
	p := filepath.Join(t.TempDir(), "bad.gz")
	require.ErrorContains(t, WriteIDXFile(p, &IDX{Type: IDXInt16, Dims: []int{2}, Data: []byte{1}}), "data: write "+p+": data: IDX int16 [2] needs 4 bytes")
	_, err := os.Stat(p)
	require.True(t, os.IsNotExist(err))
}

func FuzzReadIDX(f *testing.F) {
	valid := [][]byte{
		rawIDX(IDXUint8, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}),
		rawIDX(IDXInt8, []uint32{1}, []byte{0x80}),
		rawIDX(IDXInt16, []uint32{2}, []byte{0xff, 0xfe, 1, 2}),
		rawIDX(IDXInt32, []uint32{1, 1}, []byte{0, 1, 0, 0}),
		rawIDX(IDXFloat32, []uint32{1}, []byte{0x3f, 0xc0, 0, 0}),
		rawIDX(IDXFloat64, []uint32{1}, []byte{0x40, 9, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}),
		rawIDX(IDXUint8, []uint32{0, 5}, nil),
	}
	for _, v := range valid {
		f.Add(v)
		f.Add(gz(f, v))
	}
	for _, b := range [][]byte{
		nil, {0}, {0x1f, 0x8b}, {1, 0, 8, 1, 0, 0, 0, 1, 9},
		{0, 0, 7, 1, 0, 0, 0, 0}, {0, 0, 8, 0}, {0, 0, 8, 255},
		rawIDX(IDXUint8, []uint32{5}, []byte{1}),
		rawIDX(IDXUint8, []uint32{1}, []byte{1, 2}),
		rawIDX(IDXFloat64, []uint32{1 << 31, 1 << 31, 1 << 31}, nil),
		gz(f, rawIDX(IDXUint8, []uint32{1 << 20}, []byte{1})),
	} {
		f.Add(b)
	}
	// The memory limit in force, lowered so that every header the fuzzer
	// makes up is cheap to refuse or to read.
	old := MaxBytes
	MaxBytes = 1 << 20
	f.Cleanup(func() { MaxBytes = old })
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in))
		y, err2 := ReadIDX(onlyReader{bytes.NewReader(in)})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("known size: %v; unknown size: %v", err, err2)
		}
		if err != nil {
			return
		}
		require.LessOrEqual(t, len(x.Data), 1<<20)
		require.Equal(t, x.Type, y.Type)
		require.Equal(t, x.Dims, y.Dims)
		require.True(t, bytes.Equal(x.Data, y.Data))
		var buf bytes.Buffer
		require.NoError(t, WriteIDX(&buf, x))
		if len(in) < 2 || in[0] != 0x1f || in[1] != 0x8b {
			require.Equal(t, in, buf.Bytes(), "raw IDX is canonical")
		}
		z, err := ReadIDX(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		require.Equal(t, x.Type, z.Type)
		require.Equal(t, x.Dims, z.Dims)
		require.True(t, bytes.Equal(x.Data, z.Data))
		_, err = z.Float64s()
		require.NoError(t, err)
	})
}
