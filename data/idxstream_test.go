package data

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteIDXFileFrom(t *testing.T) {
	dir := t.TempDir()
	pix := make([]byte, 5*3*2)
	for i := range pix {
		pix[i] = byte(7 * i)
	}
	for _, name := range []string{"x-idx3-ubyte", "x-idx3-ubyte.gz"} {
		path := filepath.Join(dir, name)
		// In chunks of 4 bytes, the last short.
		require.NoError(t, WriteIDXFileFrom(path, IDXUint8, []int{5, 3, 2}, func(w io.Writer) error {
			for k := 0; k < len(pix); k += 4 {
				if _, err := w.Write(pix[k:min(k+4, len(pix))]); err != nil {
					return err
				}
			}
			return nil
		}))
		x, err := ReadIDXFile(path)
		require.NoError(t, err)
		require.Equal(t, []int{5, 3, 2}, x.Dims)
		require.Equal(t, pix, x.Data)
		// The same bytes as WriteIDXFile's.
		want := filepath.Join(dir, "want-"+name)
		y, err := NewIDXUint8(pix, 5, 3, 2)
		require.NoError(t, err)
		require.NoError(t, WriteIDXFile(want, y))
		if name == "x-idx3-ubyte" {
			a, _ := os.ReadFile(path)
			b, _ := os.ReadFile(want)
			require.True(t, bytes.Equal(a, b))
		}
	}
	path := filepath.Join(dir, "bad")
	require.ErrorContains(t, WriteIDXFileFrom(path, IDXUint8, []int{5, 3, 2}, func(w io.Writer) error {
		_, err := w.Write(pix[:29])
		return err
	}), "IDX ubyte [5 3 2] needs 30 bytes of data, 29 were written")
	require.ErrorContains(t, WriteIDXFileFrom(path, IDXUint8, []int{5, 3, 2}, func(w io.Writer) error {
		_, err := w.Write(make([]byte, 31))
		return err
	}), "more than the 30 bytes of data the IDX header promises")
	boom := errors.New("boom")
	require.ErrorIs(t, WriteIDXFileFrom(path, IDXUint8, []int{1}, func(io.Writer) error { return boom }), boom)
	require.ErrorContains(t, WriteIDXFileFrom(path, IDXUint8, nil, nil), "IDX has 0 dims")
	require.ErrorContains(t, WriteIDXFileFrom(path, 0x42, []int{1}, nil), "unknown IDX type code 0x42")
	_, err := os.Stat(path)
	require.True(t, os.IsNotExist(err), "nothing written on failure")
}

// WriteImagesIDXFrom writes the chunks' bytes in order, and a chunk of
// the wrong length leaves no file.
func TestWriteImagesIDXFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img-idx3-ubyte")
	next := func(from, k int) ([]float32, error) {
		v := make([]float32, k*2*3)
		for i := range v {
			v[i] = float32(from*6+i)/127.5 - 1 // byte from*6+i
		}
		return v, nil
	}
	require.NoError(t, WriteImagesIDXFrom(path, 5, 2, 3, 2, next))
	got, err := ReadIDXFile(path)
	require.NoError(t, err)
	require.Equal(t, []int{5, 2, 3}, got.Dims)
	for i, b := range got.Data {
		require.Equal(t, byte(i), b, "byte %d", i)
	}
	bad := filepath.Join(t.TempDir(), "bad-idx3-ubyte")
	err = WriteImagesIDXFrom(bad, 5, 2, 3, 2, func(from, k int) ([]float32, error) { return make([]float32, 5), nil })
	require.ErrorContains(t, err, "5 values, want 12")
	require.NoFileExists(t, bad)
}
