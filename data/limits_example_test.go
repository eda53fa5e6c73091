package data_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gogan/gogan/data"
)

// An input that declares more than the memory limit is refused before it
// is read, with an error that says what it needs and how to raise the
// limit (here lowered to 1 MB; the default is data.DefaultMaxBytes).
func ExampleCheckBytes() {
	old := data.MaxBytes
	defer func() { data.MaxBytes = old }()
	data.MaxBytes = 1_000_000
	fmt.Println(data.CheckBytes("500,000 digits", 500_000*784))
	err := data.CheckCount("1,000 digits", 1000, 784)
	fmt.Println(err, errors.Is(err, data.ErrTooLarge))
	// Output:
	// 500,000 digits needs 373.8 MiB, more than the data memory limit of 976.6 KiB (raise it with the environment variable GOGAN_MAX_DATA_BYTES, e.g. GOGAN_MAX_DATA_BYTES=400000000, or data.MaxBytes)
	// <nil> false
}

// WriteIDXFileFrom writes an IDX file a chunk at a time, so an array
// larger than memory can be exported.
func ExampleWriteIDXFileFrom() {
	dir, err := os.MkdirTemp("", "idx")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ramp-idx2-ubyte")
	err = data.WriteIDXFileFrom(path, data.IDXUint8, []int{3, 4}, func(w io.Writer) error {
		for row := 0; row < 3; row++ { // one row at a time
			if _, err := w.Write([]byte{byte(row), byte(row + 1), byte(row + 2), byte(row + 3)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	x, err := data.ReadIDXFile(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(x.Type, x.Dims, x.Data)
	// Output:
	// ubyte [3 4] [0 1 2 3 1 2 3 4 2 3 4 5]
}
