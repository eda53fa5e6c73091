package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LeakyReLU returns x where x ≥ 0 and slope·x elsewhere, elementwise, as
// one op. Gorgonia's own G.LeakyRelu builds it from six nodes (two
// comparisons, three products and a sum), each a pass over memory with an
// allocation; this op makes one pass forward and one backward, with the
// same values: x·1 + x·0·slope is x, and x·0 + x·1·slope is slope·x.
// float32 and float64.
func LeakyReLU(x *G.Node, slope float64) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("ops: LeakyReLU: nil input")
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, fmt.Errorf("ops: LeakyReLU: %w", err)
	}
	return apply(leakyReLUOp{slope: slope}, x)
}

// leakyReLUOp is y = x ≥ 0 ? x : slope·x.
type leakyReLUOp struct {
	slope float64
	cache *outCache // set by apply; not part of the op's identity
}

func (op leakyReLUOp) withCache(c *outCache) G.Op { op.cache = c; return op }
func (op leakyReLUOp) outputs() *outCache         { return op.cache }

func (op leakyReLUOp) Arity() int { return 1 }
func (op leakyReLUOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op leakyReLUOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(op, 1, ds)
}
func (op leakyReLUOp) ReturnsPtr() bool      { return false }
func (op leakyReLUOp) CallsExtern() bool     { return false }
func (op leakyReLUOp) OverwritesInput() int  { return -1 }
func (op leakyReLUOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gogan.leakyrelu(%v)", op.slope) }
func (op leakyReLUOp) Hashcode() uint32      { return hashOf(op) }
func (op leakyReLUOp) String() string        { return fmt.Sprintf("LeakyReLU(%v)", op.slope) }

func (op leakyReLUOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

func (op leakyReLUOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	// Branch-free: the factor is picked by an index that compiles to a
	// conditional move (signs of activations are unpredictable, and a
	// mispredicted branch per element cost ~4 ns). v·1 = v and v·s = s·v
	// exactly, so the values are those of the branchy definition.
	return elementwise(op, prealloc, vals, func(x, _ []float64, out []float64) {
		f := [2]float64{1, op.slope}
		out = out[:len(x)]
		for i, v := range x {
			out[i] = v * f[negIndex(v >= 0)]
		}
	}, func(x, _ []float32, out []float32) {
		f := [2]float32{1, float32(op.slope)}
		out = out[:len(x)]
		i0 := leaky32(x, x, out, f[1])
		for i, v := range x[i0:] {
			out[i0+i] = v * f[negIndex(v >= 0)]
		}
	})
}

func (op leakyReLUOp) DiffWRT(int) []bool { return []bool{true} }

func (op leakyReLUOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(leakyReLUGradOp(op), inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// leakyReLUGradOp is dx = x ≥ 0 ? dy : slope·dy for inputs (x, dy). It is
// linear in dy, so it is its own derivative with respect to dy; x only
// selects, and gets no gradient.
type leakyReLUGradOp struct {
	slope float64
	cache *outCache // set by apply; not part of the op's identity
}

func (op leakyReLUGradOp) withCache(c *outCache) G.Op { op.cache = c; return op }
func (op leakyReLUGradOp) outputs() *outCache         { return op.cache }

func (op leakyReLUGradOp) Arity() int { return 2 }
func (op leakyReLUGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op leakyReLUGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(op, 2, ds)
}
func (op leakyReLUGradOp) ReturnsPtr() bool     { return false }
func (op leakyReLUGradOp) CallsExtern() bool    { return false }
func (op leakyReLUGradOp) OverwritesInput() int { return -1 }
func (op leakyReLUGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "gogan.leakyrelugrad(%v)", op.slope)
}
func (op leakyReLUGradOp) Hashcode() uint32 { return hashOf(op) }
func (op leakyReLUGradOp) String() string   { return fmt.Sprintf("LeakyReLUGrad(%v)", op.slope) }

func (op leakyReLUGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

func (op leakyReLUGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return elementwise(op, prealloc, vals, func(x, dy []float64, out []float64) {
		f := [2]float64{1, op.slope}
		dy, out = dy[:len(x)], out[:len(x)]
		for i, v := range x {
			out[i] = dy[i] * f[negIndex(v >= 0)]
		}
	}, func(x, dy []float32, out []float32) {
		f := [2]float32{1, float32(op.slope)}
		dy, out = dy[:len(x)], out[:len(x)]
		for i := leaky32(x, dy, out, f[1]); i < len(x); i++ {
			out[i] = dy[i] * f[negIndex(x[i] >= 0)]
		}
	})
}

func (op leakyReLUGradOp) DiffWRT(int) []bool { return []bool{false, true} }

func (op leakyReLUGradOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := apply(op, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{nil, d}, nil
}

// leakyAsm, where set (amd64 with AVX), is leaky32's kernel: leakyAVX.
var leakyAsm func(x, m, out *float32, n int, pos, neg float32)

// leaky32 sets out[i] = m[i]·(x[i] ≥ 0 ? 1 : slope), the scalar loops'
// values bit for bit, for the longest prefix of a multiple of 8 elements
// and returns its length (0 without leakyAsm). x, m and out have the
// same length.
func leaky32(x, m, out []float32, slope float32) int {
	n8 := len(x) &^ 7
	if leakyAsm == nil || n8 == 0 {
		return 0
	}
	_, _ = m[n8-1], out[n8-1]
	leakyAsm(&x[0], &m[0], &out[0], n8, 1, slope)
	return n8
}

// sameShape is the shape rule of an elementwise op of n inputs of one
// shape.
// negIndex returns 0 if nonNegative, else 1, without a branch.
func negIndex(nonNegative bool) int {
	i := 1
	if nonNegative {
		i = 0
	}
	return i
}

func sameShape(op G.Op, n int, ds []G.DimSizer) (tensor.Shape, error) {
	if len(ds) != n {
		return nil, fmt.Errorf("ops: %v: expected %d input shapes, got %d", op, n, len(ds))
	}
	var first tensor.Shape
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("ops: %v: expected tensor.Shape for input %d, got %T", op, i, d)
		}
		if i == 0 {
			first = s
		} else if !s.Eq(first) {
			return nil, fmt.Errorf("ops: %v: input shapes %v and %v differ", op, first, s)
		}
	}
	return first.Clone(), nil
}

// elementwise runs an elementwise kernel over one or two inputs of equal
// shape and dtype into a fresh or preallocated output; b is nil for one
// input.
func elementwise(op G.Op, prealloc G.Value, vals []G.Value,
	f64 func(a, b, out []float64), f32 func(a, b, out []float32)) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("ops: %v: expected %d inputs, got %d", op, op.Arity(), len(vals))
	}
	in := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		d, err := denseInput(v, i)
		if err != nil {
			return nil, fmt.Errorf("ops: %v: %w", op, err)
		}
		if i > 0 && (!d.Shape().Eq(in[0].Shape()) || d.Dtype() != in[0].Dtype()) {
			return nil, fmt.Errorf("ops: %v: inputs %v %v and %v %v differ", op, in[0].Dtype(), in[0].Shape(), d.Dtype(), d.Shape())
		}
		in[i] = d
	}
	a := in[0]
	if err := checkDtype(a.Dtype()); err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	var out *tensor.Dense
	if p, ok := prealloc.(*tensor.Dense); ok && p.Dtype() == a.Dtype() && p.Shape().Eq(a.Shape()) &&
		!p.IsMaterializable() && p.IsNativelyAccessible() {
		out = p // elementwise kernels may write over an aliased input safely
	} else {
		var c *outCache
		if o, ok := op.(interface{ outputs() *outCache }); ok {
			c = o.outputs()
		}
		out = c.get(a.Dtype(), a.Shape())
	}
	switch a.Dtype() {
	case tensor.Float64:
		var b []float64
		if len(in) > 1 {
			b = in[1].Data().([]float64)
		}
		f64(a.Data().([]float64), b, out.Data().([]float64))
	case tensor.Float32:
		var b []float32
		if len(in) > 1 {
			b = in[1].Data().([]float32)
		}
		f32(a.Data().([]float32), b, out.Data().([]float32))
	}
	return out, nil
}
