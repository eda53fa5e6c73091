package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AddBias returns x + bias broadcast along axis 1: for x of shape [N, C]
// or [N, C, H, W] and bias of shape [C], y[n, c, …] = x[n, c, …] + bias[c].
// It is what G.Reshape + G.BroadcastAdd compute, with the same values, in
// one pass and without materialising the repeated bias. Its gradient
// passes dy through to x and sums it per channel (over every axis but 1,
// in float64) for bias.
func AddBias(x, bias *G.Node) (*G.Node, error) {
	if x == nil || bias == nil {
		return nil, fmt.Errorf("ops: AddBias: nil input")
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, fmt.Errorf("ops: AddBias: %w", err)
	}
	if bias.Dtype() != x.Dtype() {
		return nil, fmt.Errorf("ops: AddBias: dtype mismatch: x %v, bias %v", x.Dtype(), bias.Dtype())
	}
	if _, err := biasShapes(x.Shape(), bias.Shape()); err != nil {
		return nil, fmt.Errorf("ops: AddBias: %w", err)
	}
	return apply(addBiasOp{rank: x.Dims()}, x, bias)
}

// biasShapes checks x [N, C] or [N, C, H, W] against bias [C] and returns
// (N, C, H·W).
func biasShapes(xs, bs tensor.Shape) ([3]int, error) {
	if len(xs) != 2 && len(xs) != 4 {
		return [3]int{}, fmt.Errorf("x has shape %v, want [N, C] or [N, C, H, W]", xs)
	}
	if len(bs) != 1 || bs[0] != xs[1] {
		return [3]int{}, fmt.Errorf("bias has shape %v, want [%d] for x %v", bs, xs[1], xs)
	}
	plane := 1
	if len(xs) == 4 {
		plane = xs[2] * xs[3]
	}
	return [3]int{xs[0], xs[1], plane}, nil
}

// addBiasOp is AddBias's op: (x, bias) → x + bias.
type addBiasOp struct {
	rank  int
	cache *outCache // set by apply; not part of the op's identity
}

func (op addBiasOp) withCache(c *outCache) G.Op { op.cache = c; return op }

func (op addBiasOp) Arity() int { return 2 }
func (op addBiasOp) Type() hm.Type {
	a := G.TensorType{Dims: op.rank, Of: hm.TypeVariable('a')}
	b := G.TensorType{Dims: 1, Of: hm.TypeVariable('a')}
	return hm.NewFnType(a, b, a)
}
func (op addBiasOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, ds, 2)
	if err != nil {
		return nil, err
	}
	if _, err := biasShapes(s[0], s[1]); err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	return s[0].Clone(), nil
}
func (op addBiasOp) ReturnsPtr() bool      { return false }
func (op addBiasOp) CallsExtern() bool     { return false }
func (op addBiasOp) OverwritesInput() int  { return -1 }
func (op addBiasOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gogan.addbias(%d)", op.rank) }
func (op addBiasOp) Hashcode() uint32      { return hashOf(op) }
func (op addBiasOp) String() string        { return "AddBias" }

func (op addBiasOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

func (op addBiasOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 inputs, got %d", op, len(vals))
	}
	x, err := denseInput(vals[0], 0)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	b, err := denseInput(vals[1], 1)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	if x.Dtype() != b.Dtype() {
		return nil, fmt.Errorf("ops: %v: dtype mismatch: x %v, bias %v", op, x.Dtype(), b.Dtype())
	}
	dims, err := biasShapes(x.Shape(), b.Shape())
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	out, err := outputFor(op, op.cache, prealloc, x.Dtype(), x.Shape())
	if err != nil {
		return nil, err
	}
	switch x.Dtype() {
	case tensor.Float32:
		addBias(dims, x.Float32s(), b.Float32s(), out.Float32s())
	case tensor.Float64:
		addBias(dims, x.Float64s(), b.Float64s(), out.Float64s())
	default:
		return nil, fmt.Errorf("ops: %v: unsupported dtype %v", op, x.Dtype())
	}
	return out, nil
}

func addBias[T float](dims [3]int, x, b, out []T) {
	n, c, plane := dims[0], dims[1], dims[2]
	if plane == 1 { // [N, C]: add the bias row to every row
		b = b[:c]
		for i := 0; i < n; i++ {
			xs, ys := x[i*c:(i+1)*c], out[i*c:(i+1)*c]
			xs = xs[:len(b)]
			ys = ys[:len(b)]
			for k, v := range b {
				ys[k] = xs[k] + v
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			o := (i*c + ch) * plane
			xs, ys, v := x[o:o+plane], out[o:o+plane], b[ch]
			for k := range xs {
				ys[k] = xs[k] + v
			}
		}
	}
}

func (op addBiasOp) DiffWRT(int) []bool { return []bool{true, true} }

func (op addBiasOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 inputs, got %d", op, len(inputs))
	}
	db, err := apply(biasGradOp{rank: op.rank}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, db}, nil
}

// biasGradOp sums dy [N, C(, H, W)] per channel: the gradient of AddBias
// with respect to its bias. Its own gradient broadcasts back with AddBias.
type biasGradOp struct {
	rank  int
	cache *outCache // set by apply; not part of the op's identity
}

func (op biasGradOp) withCache(c *outCache) G.Op { op.cache = c; return op }

func (op biasGradOp) Arity() int { return 1 }
func (op biasGradOp) Type() hm.Type {
	a := G.TensorType{Dims: op.rank, Of: hm.TypeVariable('a')}
	b := G.TensorType{Dims: 1, Of: hm.TypeVariable('a')}
	return hm.NewFnType(a, b)
}
func (op biasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, ds, 1)
	if err != nil {
		return nil, err
	}
	if len(s[0]) != 2 && len(s[0]) != 4 {
		return nil, fmt.Errorf("ops: %v: dy has shape %v, want [N, C] or [N, C, H, W]", op, s[0])
	}
	return tensor.Shape{s[0][1]}, nil
}
func (op biasGradOp) ReturnsPtr() bool      { return false }
func (op biasGradOp) CallsExtern() bool     { return false }
func (op biasGradOp) OverwritesInput() int  { return -1 }
func (op biasGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gogan.biasgrad(%d)", op.rank) }
func (op biasGradOp) Hashcode() uint32      { return hashOf(op) }
func (op biasGradOp) String() string        { return "BiasGrad" }

func (op biasGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

func (op biasGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("ops: %v: expected 1 input, got %d", op, len(vals))
	}
	dy, err := denseInput(vals[0], 0)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	xs := dy.Shape()
	if len(xs) != 2 && len(xs) != 4 {
		return nil, fmt.Errorf("ops: %v: dy has shape %v, want [N, C] or [N, C, H, W]", op, xs)
	}
	dims, _ := biasShapes(xs, tensor.Shape{xs[1]})
	out, err := outputFor(op, op.cache, prealloc, dy.Dtype(), tensor.Shape{xs[1]})
	if err != nil {
		return nil, err
	}
	switch dy.Dtype() {
	case tensor.Float32:
		sumChannels(dims, dy.Float32s(), out.Float32s())
	case tensor.Float64:
		sumChannels(dims, dy.Float64s(), out.Float64s())
	default:
		return nil, fmt.Errorf("ops: %v: unsupported dtype %v", op, dy.Dtype())
	}
	return out, nil
}

// sumChannels sets db[c] to the sum of dy[n, c, …] over n and the plane,
// accumulated in float64 in a fixed order.
func sumChannels[T float](dims [3]int, dy, db []T) {
	n, c, plane := dims[0], dims[1], dims[2]
	acc := make([]float64, c)
	if plane == 1 { // [N, C]: add up the rows
		for i := 0; i < n; i++ {
			row := dy[i*c : (i+1)*c]
			row = row[:len(acc)]
			for k, v := range row {
				acc[k] += float64(v)
			}
		}
		for ch, s := range acc {
			db[ch] = T(s)
		}
		return
	}
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			o := (i*c + ch) * plane
			s := 0.0
			for _, v := range dy[o : o+plane] {
				s += float64(v)
			}
			acc[ch] += s
		}
	}
	for ch, s := range acc {
		db[ch] = T(s)
	}
}

func (op biasGradOp) DiffWRT(int) []bool { return []bool{true} }

func (op biasGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// d(Σ_rest dy)/d(dy) broadcasts the incoming [C] gradient back over
	// dy's shape: zeros + grad along axis 1.
	zeros := G.NewTensor(inputs[0].Graph(), inputs[0].Dtype(), inputs[0].Dims(), G.WithShape(inputs[0].Shape()...),
		G.WithName(fmt.Sprintf("biasgrad-zeros#%d", output.ID())), G.WithInit(G.Zeroes()))
	d, err := AddBias(zeros, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}
