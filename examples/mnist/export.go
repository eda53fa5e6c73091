package main

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"gorgonia.org/tensor"
)

// exportChunk is the number of digits exportIDX generates at a time.
var exportChunk = 1024

// checkExport checks that n generated samples of the given shape make an
// IDX file that data.ReadIDX (and so cmd/mnisteval) can read back: at most
// 2^32-1 samples, and bytes within the data memory limit.
func checkExport(n int, shape []int) error {
	if n == 0 {
		return nil
	}
	if n > math.MaxUint32 {
		return fmt.Errorf("-export %d: an IDX file holds at most %d samples", n, uint32(math.MaxUint32))
	}
	if err := data.CheckCount(fmt.Sprintf("-export %d: the IDX file of %d samples of %v", n, n, shape), int64(n), int64(data.Size(shape))); err != nil {
		return fmt.Errorf("%w; the file must fit the limit to be read back (lower -export)", err)
	}
	return nil
}

// exportIDX writes n generated digits as an uncompressed IDX3 ubyte file,
// mapping [-1, 1] to 0..255 as the MNIST files store them. It generates
// and writes exportChunk digits at a time, so its memory does not grow
// with n; the digits are those of one tr.Sample(n).
func exportIDX(tr *gan.Trainer, n int, path string) error {
	return exportDigits(tr, n, path, nil)
}

// exportDigits is exportIDX for a conditional trainer when classOf is
// set: digit i is generated of class classOf(i), exportChunk at a time.
func exportDigits(tr *gan.Trainer, n int, path string, classOf func(i int) int) error {
	shape := tr.Generator().SampleShape()
	h, w := shape[len(shape)-2], shape[len(shape)-1]
	var classes []int
	return data.WriteImagesIDXFrom(path, n, h, w, exportChunk, func(from, k int) ([]float32, error) {
		var batch *tensor.Dense
		var err error
		if classOf == nil {
			batch, err = tr.Sample(k)
		} else {
			classes = classes[:0]
			for i := from; i < from+k; i++ {
				classes = append(classes, classOf(i))
			}
			batch, err = tr.SampleClasses(classes)
		}
		if err != nil {
			return nil, err
		}
		return batch.Data().([]float32), nil
	})
}
