package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
)

// specSize returns the number of values a network of one kind has (its
// parameters and buffers, as saved), computed from its configuration
// without building it, and the size of one value in bytes. ok is false
// if the configuration is invalid, which the kind's constructor reports
// before it allocates anything. Counts are float64 so that an absurd
// configuration cannot overflow them.
type specSize func(raw json.RawMessage) (values float64, elemSize int, ok bool)

// specSizes holds the specSize of every kind of this package; Load does
// not pre-check the size of other kinds.
var specSizes = map[string]specSize{
	KindMLPGenerator: func(raw json.RawMessage) (float64, int, bool) {
		var c MLPGeneratorConfig
		if json.Unmarshal(raw, &c) != nil || c.LatentDim <= 0 || checkShape("", c.OutputShape) != nil {
			return 0, 0, false
		}
		sizes := append(append([]float64{float64(c.LatentDim)}, ints(c.Hidden)...), shapeSize(c.OutputShape))
		n, ok := mlpSize(sizes, func(int) bool { return c.BatchNorm }, 0, 0)
		return n, dtypeSize(c.DType), ok
	},
	KindMLPDiscriminator: func(raw json.RawMessage) (float64, int, bool) {
		var c MLPDiscriminatorConfig
		if json.Unmarshal(raw, &c) != nil || checkShape("", c.InputShape) != nil || c.MinibatchKernels < 0 || c.MinibatchKernelDim < 0 {
			return 0, 0, false
		}
		if c.MinibatchKernels > 0 && c.MinibatchKernelDim == 0 {
			c.MinibatchKernelDim = 5
		}
		sizes := append(append([]float64{shapeSize(c.InputShape)}, ints(c.Hidden)...), 1)
		n, ok := mlpSize(sizes, func(i int) bool { return c.BatchNorm && i > 0 }, float64(c.MinibatchKernels), float64(c.MinibatchKernelDim))
		return n, dtypeSize(c.DType), ok
	},
	KindDCGANGenerator: func(raw json.RawMessage) (float64, int, bool) {
		var c DCGANGeneratorConfig
		if json.Unmarshal(raw, &c) != nil || c.Validate() != nil {
			return 0, 0, false
		}
		stem, ups, _ := dcganLayout(c.ImageSize)
		z, ch := float64(c.LatentDim), float64(c.Width)*math.Exp2(float64(ups-1))
		var n float64
		if stem == 7 {
			n = z*ch*49 + ch*49 + bnSize(c.BatchNorm, ch)
		} else {
			n = convSize(z*ch*16, c.BatchNorm, ch)
		}
		for i := 1; i < ups; i++ {
			n += convSize(ch*(ch/2)*16, c.BatchNorm, ch/2)
			ch /= 2
		}
		n += convSize(ch*float64(c.Channels)*16, false, float64(c.Channels))
		return n, dtypeSize(c.DType), true
	},
	KindDCGANDiscriminator: func(raw json.RawMessage) (float64, int, bool) {
		var c DCGANDiscriminatorConfig
		if json.Unmarshal(raw, &c) != nil || c.Validate() != nil {
			return 0, 0, false
		}
		stem, ups, _ := dcganLayout(c.ImageSize)
		in, ch := float64(c.Channels), float64(c.Width)
		var n float64
		for i := 0; i < ups; i++ {
			n += convSize(ch*in*16, c.BatchNorm && i > 0, ch)
			in, ch = ch, ch*2
		}
		if stem == 7 {
			n += in*49 + 1
		} else {
			n += convSize(in*16, false, 1)
		}
		return n, dtypeSize(c.DType), true
	},
}

// mlpSize counts the values of newMLP's layers of the given widths.
func mlpSize(sizes []float64, batchNorm func(layer int) bool, mbdKernels, mbdDim float64) (float64, bool) {
	var n float64
	for _, s := range sizes {
		if !(s > 0) {
			return 0, false
		}
	}
	for i := 0; i+1 < len(sizes); i++ {
		in, out := sizes[i], sizes[i+1]
		if i+2 == len(sizes) && mbdKernels > 0 {
			n += in * mbdKernels * mbdDim
			in += mbdKernels
		}
		n += in*out + out
		if i+2 < len(sizes) {
			n += bnSize(batchNorm(i), out)
		}
	}
	return n, true
}

// convSize counts a convolution's kernel of w values and its batch norm
// over c channels (if bn) or else its bias of c values.
func convSize(w float64, bn bool, c float64) float64 {
	if bn {
		return w + bnSize(true, c)
	}
	return w + c
}

// bnSize counts a batch norm's scale, shift, running mean and variance.
func bnSize(on bool, c float64) float64 {
	if on {
		return 4 * c
	}
	return 0
}

func ints(s []int) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func shapeSize(shape []int) float64 {
	n := 1.0
	for _, d := range shape {
		n *= float64(d)
	}
	return n
}

func dtypeSize(s string) int {
	if s == "float64" {
		return 8
	}
	return 4
}

// checkSpecSizes checks, before anything is built, that each network mf
// describes is no larger than the weights the file holds for it (a spec
// edited to ask for a larger network cannot match them) and fits the
// memory limit of data.MemoryLimit.
func checkSpecSizes(mf *gan.ModelFile) error {
	savedGen, savedDisc := mf.SavedElements()
	for _, n := range []struct {
		what  string
		spec  *gan.NetworkSpec
		saved int64
	}{{"generator", mf.Info.Generator, savedGen}, {"discriminator", mf.Info.Discriminator, savedDisc}} {
		if n.spec == nil {
			continue
		}
		size, ok := specSizes[n.spec.Kind]
		if !ok {
			continue
		}
		values, elem, ok := size(n.spec.Config)
		if !ok {
			continue // the constructor reports the configuration's error
		}
		if values > float64(n.saved) {
			return fmt.Errorf("%s: the spec describes a %s of %.4g values (%s), but the file holds %d for it: the spec does not match the weights",
				n.what, n.spec.Kind, values, data.FormatBytes(bytesOf(values, elem)), n.saved)
		}
		if err := data.CheckBytes(fmt.Sprintf("%s %s of %.0f values", n.what, n.spec.Kind, values), bytesOf(values, elem)); err != nil {
			return err
		}
	}
	return nil
}

// bytesOf returns values × elem bytes, saturated at MaxInt64.
func bytesOf(values float64, elem int) int64 {
	b := values * float64(elem)
	if b >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(b)
}

// checkFileSize checks, before the file is read whole, that the model file
// at path fits the memory limit of data.MemoryLimit. A file that cannot be
// stat'ed is left to the reader, which names the problem.
func checkFileSize(path string) error {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return data.CheckBytes(fmt.Sprintf("model file of %d bytes", st.Size()), st.Size())
}
