package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convTransposeGradInputOp computes the gradient of a transposed
// convolution with respect to its input: inputs dy [N, Cout, Hout, Wout]
// and w [Cin, Cout, kH, kW], output dx [N, Cin, inH, inW]. It is an
// ordinary convolution of dy with w (stride and padding as the forward op).
// The input size is stored because it cannot be recovered from dy when
// stride > 1.
type convTransposeGradInputOp struct {
	convTParams
	inH, inW int
}

func (op convTransposeGradInputOp) withCache(c *outCache) G.Op { op.cache = c; return op }

var (
	_ G.Op              = convTransposeGradInputOp{}
	_ G.SDOp            = convTransposeGradInputOp{}
	_ G.UsePreallocDoer = convTransposeGradInputOp{}
)

func (op convTransposeGradInputOp) resolve(dys, ws tensor.Shape) (geom, tensor.Shape, error) {
	if len(dys) != 4 || len(ws) != 4 {
		return geom{}, nil, fmt.Errorf("expected 4-D dy and w, got dy %v, w %v", dys, ws)
	}
	xs := tensor.Shape{dys[0], ws[0], op.inH, op.inW}
	g, err := op.geometry(xs, ws)
	if err != nil {
		return geom{}, nil, err
	}
	if want := (tensor.Shape{g.n, g.cout, g.hout, g.wout}); !dys.Eq(want) {
		return geom{}, nil, fmt.Errorf("dy has shape %v, want %v for x %v, w %v", dys, want, xs, ws)
	}
	return g, xs, nil
}

func (op convTransposeGradInputOp) Arity() int    { return 2 }
func (op convTransposeGradInputOp) Type() hm.Type { return binaryType() }
func (op convTransposeGradInputOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op convTransposeGradInputOp) Do(inputs ...G.Value) (G.Value, error) {
	return execute(op, nil, inputs)
}
func (op convTransposeGradInputOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return execute(op, prealloc, inputs)
}
func (op convTransposeGradInputOp) ReturnsPtr() bool      { return false }
func (op convTransposeGradInputOp) CallsExtern() bool     { return false }
func (op convTransposeGradInputOp) OverwritesInput() int  { return -1 }
func (op convTransposeGradInputOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op convTransposeGradInputOp) Hashcode() uint32      { return hashOf(op) }
func (op convTransposeGradInputOp) String() string {
	return fmt.Sprintf("ConvTranspose2dGradInput{%v in=(%d,%d)}", op.convTParams, op.inH, op.inW)
}
func (op convTransposeGradInputOp) DiffWRT(n int) []bool { return []bool{true, true} }

// SymDiff: dx = Aᵀ_w·dy is linear in dy with adjoint A_w (the transposed
// convolution), and ⟨G, Aᵀ_w·dy⟩ = ⟨convT(G, w), dy⟩, whose gradient with
// respect to w is gradKernel(G, dy).
func (op convTransposeGradInputOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 inputs, got %d", op, len(inputs))
	}
	dy, w := inputs[0], inputs[1]
	ws := w.Shape()
	if len(ws) != 4 {
		return nil, fmt.Errorf("ops: %v: expected 4-D w, got %v", op, ws)
	}
	ddy, err := apply(convTransposeOp{op.convTParams}, grad, w)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: gradient w.r.t. dy: %w", op, err)
	}
	dw, err := apply(convTransposeGradKernelOp{op.convTParams, ws[2], ws[3]}, grad, dy)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: gradient w.r.t. w: %w", op, err)
	}
	return G.Nodes{ddy, dw}, nil
}

// convTransposeGradKernelOp computes the gradient of a transposed
// convolution with respect to its kernel: inputs x [N, Cin, H, W] and
// dy [N, Cout, Hout, Wout], output dw [Cin, Cout, kH, kW] =
// Σₙ x[n] · im2col(dy[n])ᵀ. The kernel size is stored because it cannot be
// recovered from the shapes when stride > 1.
type convTransposeGradKernelOp struct {
	convTParams
	kH, kW int
}

func (op convTransposeGradKernelOp) withCache(c *outCache) G.Op { op.cache = c; return op }

var (
	_ G.Op              = convTransposeGradKernelOp{}
	_ G.SDOp            = convTransposeGradKernelOp{}
	_ G.UsePreallocDoer = convTransposeGradKernelOp{}
)

func (op convTransposeGradKernelOp) resolve(xs, dys tensor.Shape) (geom, tensor.Shape, error) {
	if len(xs) != 4 || len(dys) != 4 {
		return geom{}, nil, fmt.Errorf("expected 4-D x and dy, got x %v, dy %v", xs, dys)
	}
	ws := tensor.Shape{xs[1], dys[1], op.kH, op.kW}
	g, err := op.geometry(xs, ws)
	if err != nil {
		return geom{}, nil, err
	}
	if want := (tensor.Shape{g.n, g.cout, g.hout, g.wout}); !dys.Eq(want) {
		return geom{}, nil, fmt.Errorf("dy has shape %v, want %v for x %v, w %v", dys, want, xs, ws)
	}
	return g, ws, nil
}

func (op convTransposeGradKernelOp) Arity() int    { return 2 }
func (op convTransposeGradKernelOp) Type() hm.Type { return binaryType() }
func (op convTransposeGradKernelOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}
func (op convTransposeGradKernelOp) Do(inputs ...G.Value) (G.Value, error) {
	return execute(op, nil, inputs)
}
func (op convTransposeGradKernelOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return execute(op, prealloc, inputs)
}
func (op convTransposeGradKernelOp) ReturnsPtr() bool      { return false }
func (op convTransposeGradKernelOp) CallsExtern() bool     { return false }
func (op convTransposeGradKernelOp) OverwritesInput() int  { return -1 }
func (op convTransposeGradKernelOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op convTransposeGradKernelOp) Hashcode() uint32      { return hashOf(op) }
func (op convTransposeGradKernelOp) String() string {
	return fmt.Sprintf("ConvTranspose2dGradKernel{%v kernel=(%d,%d)}", op.convTParams, op.kH, op.kW)
}
func (op convTransposeGradKernelOp) DiffWRT(n int) []bool { return []bool{true, true} }

// SymDiff: dw(x, dy) is bilinear with ⟨G, dw(x, dy)⟩ = ⟨convT(x, G), dy⟩
// = ⟨x, gradInput(dy, G)⟩, so the gradients are gradInput(dy, G) for x and
// convT(x, G) for dy.
func (op convTransposeGradKernelOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 inputs, got %d", op, len(inputs))
	}
	x, dy := inputs[0], inputs[1]
	xs := x.Shape()
	if len(xs) != 4 {
		return nil, fmt.Errorf("ops: %v: expected 4-D x, got %v", op, xs)
	}
	dx, err := apply(convTransposeGradInputOp{op.convTParams, xs[2], xs[3]}, dy, grad)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: gradient w.r.t. x: %w", op, err)
	}
	ddy, err := apply(convTransposeOp{op.convTParams}, x, grad)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: gradient w.r.t. dy: %w", op, err)
	}
	return G.Nodes{dx, ddy}, nil
}
