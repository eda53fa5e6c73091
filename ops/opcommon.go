package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convTOp is implemented by the three transposed-convolution ops.
type convTOp interface {
	G.Op
	// resolve validates the shapes of the two inputs and returns the
	// geometry and the output shape.
	resolve(a, b tensor.Shape) (geom, tensor.Shape, error)
	// outputs returns the node's output cache (nil: allocate every run).
	outputs() *outCache
}

// binaryType is a → a → a for 4-D tensors a.
func binaryType() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}

// hashOf hashes an op with FNV-1a of its WriteHash output.
func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func inferShape(op convTOp, ds []G.DimSizer) (tensor.Shape, error) {
	if len(ds) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 input shapes, got %d", op, len(ds))
	}
	var s [2]tensor.Shape
	for i, d := range ds {
		sh, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("ops: %v: expected tensor.Shape for input %d, got %T", op, i, d)
		}
		s[i] = sh
	}
	_, out, err := op.resolve(s[0], s[1])
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	return out, nil
}

// denseInput returns v as a contiguous, Go-accessible *tensor.Dense. Views
// are materialised (copied); the input itself is never written.
func denseInput(v G.Value, i int) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("input %d: expected *tensor.Dense, got %T", i, v)
	}
	if !d.IsNativelyAccessible() {
		return nil, fmt.Errorf("input %d: memory is not accessible from Go", i)
	}
	if d.IsMaterializable() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("input %d: cannot materialise view %v", i, d.Shape())
		}
		d = m
	}
	return d, nil
}

// execute runs op on inputs. With a nil prealloc the result is freshly
// allocated; otherwise it is written into prealloc, which must be a
// contiguous *tensor.Dense of the output's shape and dtype and is
// overwritten entirely.
func execute(op convTOp, prealloc G.Value, inputs []G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 inputs, got %d", op, len(inputs))
	}
	a, err := denseInput(inputs[0], 0)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	b, err := denseInput(inputs[1], 1)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	dt := a.Dtype()
	if b.Dtype() != dt {
		return nil, fmt.Errorf("ops: %v: dtype mismatch: %v %v and %v %v", op, dt, a.Shape(), b.Dtype(), b.Shape())
	}
	if err := checkDtype(dt); err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	g, outShape, err := op.resolve(a.Shape(), b.Shape())
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}

	out, err := outputFor(op, op.outputs(), prealloc, dt, outShape)
	if err != nil {
		return nil, err
	}
	if out.Uintptr() == a.Uintptr() || out.Uintptr() == b.Uintptr() {
		return nil, fmt.Errorf("ops: %v: preallocated value aliases an input", op)
	}

	switch dt {
	case tensor.Float32:
		err = run(op, g, a.Data().([]float32), b.Data().([]float32), out.Data().([]float32))
	case tensor.Float64:
		err = run(op, g, a.Data().([]float64), b.Data().([]float64), out.Data().([]float64))
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// run dispatches to the kernel of op after checking the buffer lengths.
func run[T float](op convTOp, g geom, a, b, out []T) error {
	xLen, wLen, yLen := g.n*g.inItem(), g.cin*g.colRows(), g.n*g.outItem()
	var wantA, wantB, wantOut int
	var kernel func(geom, []T, []T, []T)
	switch op.(type) {
	case convTransposeOp: // x, w → y
		wantA, wantB, wantOut, kernel = xLen, wLen, yLen, forward[T]
	case convTransposeGradInputOp: // dy, w → dx
		wantA, wantB, wantOut, kernel = yLen, wLen, xLen, gradInput[T]
	case convTransposeGradKernelOp: // x, dy → dw
		wantA, wantB, wantOut, kernel = xLen, yLen, wLen, gradKernel[T]
	default:
		return fmt.Errorf("ops: unknown op %v", op)
	}
	if len(a) != wantA || len(b) != wantB || len(out) != wantOut {
		return fmt.Errorf("ops: %v: buffer lengths %d, %d → %d, want %d, %d → %d", op, len(a), len(b), len(out), wantA, wantB, wantOut)
	}
	kernel(g, a, b, out)
	return nil
}

// outCache keeps an op node's output tensor between runs of a machine, so
// that a training step does not allocate (and the runtime does not zero)
// every intermediate value anew: Gorgonia's tape machine preallocates
// outputs only for ops that call extern, and its Reset drops them. As with
// Gorgonia's preallocated values, a node's value is valid until the
// machine runs again. Every node gets its own cache (see apply); a nil
// cache allocates every time.
type outCache struct {
	mu sync.Mutex
	t  *tensor.Dense
}

// get returns the cached tensor if its dtype and shape match, else a new
// one, which it caches.
func (c *outCache) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if c == nil {
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t != nil && c.t.Dtype() == dt && c.t.Shape().Eq(shape) && !c.t.IsMaterializable() {
		return c.t
	}
	c.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	return c.t
}

// cachingOp is an op of this package that keeps its output in an
// outCache.
type cachingOp interface {
	G.Op
	withCache(*outCache) G.Op
}

// apply adds op to the graph with a cache of its own: op values are copied
// freely (a gradient op is built from its forward op's fields), so the
// cache is attached here, once per node, and never shared.
func apply(op cachingOp, children ...*G.Node) (*G.Node, error) {
	return G.ApplyOp(op.withCache(new(outCache)), children...)
}

// shapesOf returns the n input shapes an op's InferShape receives.
func shapesOf(op G.Op, ds []G.DimSizer, n int) ([]tensor.Shape, error) {
	if len(ds) != n {
		return nil, fmt.Errorf("ops: %v: expected %d input shapes, got %d", op, n, len(ds))
	}
	out := make([]tensor.Shape, n)
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("ops: %v: expected tensor.Shape for input %d, got %T", op, i, d)
		}
		out[i] = s
	}
	return out, nil
}

// outputFor returns the tensor an op writes its result into: prealloc if
// the machine gave one of the right dtype and shape, else the node's
// cached output.
func outputFor(op G.Op, c *outCache, prealloc G.Value, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	if prealloc == nil {
		return c.get(dt, shape), nil
	}
	p, ok := prealloc.(*tensor.Dense)
	switch {
	case !ok:
		return nil, fmt.Errorf("ops: %v: preallocated value is %T, want *tensor.Dense", op, prealloc)
	case p.Dtype() != dt || !p.Shape().Eq(shape):
		return nil, fmt.Errorf("ops: %v: preallocated value is %v %v, want %v %v", op, p.Dtype(), p.Shape(), dt, shape)
	case p.IsMaterializable() || !p.IsNativelyAccessible():
		return nil, fmt.Errorf("ops: %v: preallocated value %v is a view or not accessible from Go", op, p.Shape())
	}
	return p, nil
}

// denseInputs checks an op's inputs: Arity of them, each a *tensor.Dense,
// all of one supported dtype; it returns them, their shapes and the dtype.
func denseInputs(op G.Op, vals []G.Value) ([]*tensor.Dense, []tensor.Shape, tensor.Dtype, error) {
	if len(vals) != op.Arity() {
		return nil, nil, tensor.Dtype{}, fmt.Errorf("ops: %v: expected %d inputs, got %d", op, op.Arity(), len(vals))
	}
	in := make([]*tensor.Dense, len(vals))
	shapes := make([]tensor.Shape, len(vals))
	for i, v := range vals {
		d, err := denseInput(v, i)
		if err != nil {
			return nil, nil, tensor.Dtype{}, fmt.Errorf("ops: %v: %w", op, err)
		}
		if i > 0 && d.Dtype() != in[0].Dtype() {
			return nil, nil, tensor.Dtype{}, fmt.Errorf("ops: %v: dtype mismatch: input 0 is %v, input %d %v", op, in[0].Dtype(), i, d.Dtype())
		}
		in[i], shapes[i] = d, d.Shape()
	}
	dt := in[0].Dtype()
	if err := checkDtype(dt); err != nil {
		return nil, nil, tensor.Dtype{}, fmt.Errorf("ops: %v: %w", op, err)
	}
	return in, shapes, dt, nil
}
