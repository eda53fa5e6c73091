package gan

import (
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The networks' tensors are float32 or float64; the helpers of this file
// are the package's one place that tells the two apart.

// castScalar returns v in dtype dt, for a Gorgonia constant.
func castScalar(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

// copyInto copies src into dst's first len(src) elements.
func copyInto(dst *tensor.Dense, src []float64) {
	switch d := dst.Data().(type) {
	case []float32:
		for i, v := range src {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, src)
	}
}

// setEach sets element i of t to f(i), for i in order.
func setEach(t *tensor.Dense, f func(i int) float64) {
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(f(i))
		}
	case []float64:
		for i := range d {
			d[i] = f(i)
		}
	}
}

// mapEach replaces every element v of t by f(v).
func mapEach(t *tensor.Dense, f func(v float64) float64) {
	switch d := t.Data().(type) {
	case []float32:
		for i, v := range d {
			d[i] = float32(f(float64(v)))
		}
	case []float64:
		for i, v := range d {
			d[i] = f(v)
		}
	}
}

// copyElems copies n elements of src (a []float32 or []float64 of dst's
// dtype) from element from into dst from element to.
func copyElems(dst *tensor.Dense, to int, src any, from, n int) {
	switch d := dst.Data().(type) {
	case []float32:
		copy(d[to:to+n], src.([]float32)[from:from+n])
	case []float64:
		copy(d[to:to+n], src.([]float64)[from:from+n])
	}
}

// asFloat32 returns the first n values of a float32 or float64 slice as
// float32 (the slice itself when it is float32).
func asFloat32(values any, n int) []float32 {
	switch d := values.(type) {
	case []float32:
		return d[:n]
	case []float64:
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(d[i])
		}
		return out
	}
	return nil
}

// toFloat64 copies v's values into dst.
func toFloat64(dst []float64, v G.Value) {
	switch d := v.Data().(type) {
	case []float32:
		for i, x := range d {
			dst[i] = float64(x)
		}
	case []float64:
		copy(dst, d)
	}
}

// scalar returns the value of a one-element v (NaN if v is not a float).
func scalar(v G.Value) float64 {
	switch d := v.Data().(type) {
	case float32:
		return float64(d)
	case float64:
		return d
	case []float32:
		return float64(d[0])
	case []float64:
		return d[0]
	}
	return math.NaN()
}

// allFinite reports whether every element of t is finite. x·0 is 0 for a
// finite x and NaN for ±Inf or NaN, so the sum of x·0 over t is 0 exactly
// when all elements are finite (a plain sum could overflow); eight
// accumulators keep the loop from waiting on one add chain.
func allFinite(t *tensor.Dense) bool {
	switch d := t.Data().(type) {
	case []float32:
		return finite(d)
	case []float64:
		return finite(d)
	case float32: // one-element tensors report their data as a scalar
		return finite([]float32{d})
	case float64:
		return finite([]float64{d})
	}
	return true
}

// finite reports whether every element of d is finite (see allFinite).
func finite[T float32 | float64](d []T) bool {
	var a [8]T
	i := 0
	for ; i+8 <= len(d); i += 8 {
		v := d[i : i+8 : i+8]
		a[0] += v[0] * 0
		a[1] += v[1] * 0
		a[2] += v[2] * 0
		a[3] += v[3] * 0
		a[4] += v[4] * 0
		a[5] += v[5] * 0
		a[6] += v[6] * 0
		a[7] += v[7] * 0
	}
	for ; i < len(d); i++ {
		a[0] += d[i] * 0
	}
	return a[0]+a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7] == 0
}

// sameDtype reports whether a and b are both []float32 or both []float64.
func sameDtype(a, b any) bool {
	switch a.(type) {
	case []float32:
		_, ok := b.([]float32)
		return ok
	case []float64:
		_, ok := b.([]float64)
		return ok
	}
	return false
}
