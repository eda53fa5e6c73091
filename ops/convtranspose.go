package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvTranspose2dOutputSize returns the output length of a 2-D transposed
// convolution along one spatial axis:
// (in−1)·stride − 2·pad + kernel + outputPad.
// It does not validate its arguments; the result may be ≤ 0.
func ConvTranspose2dOutputSize(in, kernel, stride, pad, outputPad int) int {
	return (in-1)*stride - 2*pad + kernel + outputPad
}

// ConvTranspose2d returns the 2-D transposed convolution (fractionally
// strided convolution) of x, shape [N, Cin, H, W] (NCHW), with kernel w of
// shape [Cin, Cout, kH, kW] (PyTorch's ConvTranspose2d layout), giving
// [N, Cout, Hout, Wout] with
// Hout = (H−1)·stride − 2·pad + kH + outputPad (likewise for W).
//
// stride, pad and outputPad are given as {height, width}. The operation is
// the adjoint of the convolution G.Conv2d(·, w, [kH, kW], pad, stride,
// [1, 1]) that maps [N, Cout, Hout, Wout] to [N, Cin, H, W]; each input
// element x[n, ci, i, j] adds x[n, ci, i, j]·w[ci, co, ki, kj] to
// out[n, co, i·stride−pad+ki, j·stride−pad+kj] where that position lies
// inside the output. No bias is added.
//
// x and w must be 4-D with the same Cin and the same dtype (Float32 or
// Float64); the kernel and stride must be positive, pad ≥ 0,
// 0 ≤ outputPad < stride, and the output size positive. The result is
// differentiable with respect to both x and w (also twice, via G.Grad).
func ConvTranspose2d(x, w *G.Node, stride, pad, outputPad [2]int) (*G.Node, error) {
	if x == nil || w == nil {
		return nil, fmt.Errorf("ops: ConvTranspose2d: nil input (x: %v, w: %v)", x != nil, w != nil)
	}
	if x.Dtype() != w.Dtype() {
		return nil, fmt.Errorf("ops: ConvTranspose2d: dtype mismatch: x %v %v, w %v %v", x.Dtype(), x.Shape(), w.Dtype(), w.Shape())
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, fmt.Errorf("ops: ConvTranspose2d: x %v: %w", x.Shape(), err)
	}
	op := convTransposeOp{convTParams{
		strideH: stride[0], strideW: stride[1],
		padH: pad[0], padW: pad[1],
		outPadH: outputPad[0], outPadW: outputPad[1],
	}}
	if _, err := op.geometry(x.Shape(), w.Shape()); err != nil {
		return nil, fmt.Errorf("ops: ConvTranspose2d: %w", err)
	}
	out, err := apply(op, x, w)
	if err != nil {
		return nil, fmt.Errorf("ops: ConvTranspose2d: x %v, w %v: %w", x.Shape(), w.Shape(), err)
	}
	return out, nil
}

// checkDtype reports whether dt is supported by the kernels.
func checkDtype(dt tensor.Dtype) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("unsupported dtype %v (want float32 or float64)", dt)
	}
	return nil
}

// convTParams are the hyper-parameters shared by the transposed
// convolution and its gradient ops.
type convTParams struct {
	strideH, strideW int
	padH, padW       int
	outPadH, outPadW int
	cache            *outCache // set by apply; not part of the op's identity
}

// outputs returns the op node's output cache.
func (p convTParams) outputs() *outCache { return p.cache }

func (p convTParams) String() string {
	return fmt.Sprintf("stride=(%d,%d) pad=(%d,%d) outputPad=(%d,%d)", p.strideH, p.strideW, p.padH, p.padW, p.outPadH, p.outPadW)
}

// geometry validates the hyper-parameters and the shapes of x
// [N, Cin, H, W] and w [Cin, Cout, kH, kW] and resolves the geometry.
func (p convTParams) geometry(xs, ws tensor.Shape) (geom, error) {
	if p.strideH <= 0 || p.strideW <= 0 {
		return geom{}, fmt.Errorf("stride must be positive, got (%d, %d)", p.strideH, p.strideW)
	}
	if p.padH < 0 || p.padW < 0 {
		return geom{}, fmt.Errorf("pad must be ≥ 0, got (%d, %d)", p.padH, p.padW)
	}
	if p.outPadH < 0 || p.outPadH >= p.strideH || p.outPadW < 0 || p.outPadW >= p.strideW {
		return geom{}, fmt.Errorf("outputPad must satisfy 0 ≤ outputPad < stride, got outputPad (%d, %d), stride (%d, %d)", p.outPadH, p.outPadW, p.strideH, p.strideW)
	}
	if len(xs) != 4 {
		return geom{}, fmt.Errorf("x must be 4-D [N, Cin, H, W], got shape %v", xs)
	}
	if len(ws) != 4 {
		return geom{}, fmt.Errorf("w must be 4-D [Cin, Cout, kH, kW], got shape %v", ws)
	}
	for _, d := range xs {
		if d <= 0 {
			return geom{}, fmt.Errorf("x must have positive dimensions, got shape %v", xs)
		}
	}
	for _, d := range ws {
		if d <= 0 {
			return geom{}, fmt.Errorf("w must have positive dimensions (kernel, channels), got shape %v", ws)
		}
	}
	if xs[1] != ws[0] {
		return geom{}, fmt.Errorf("channel mismatch: x %v has Cin=%d but w %v has Cin=%d", xs, xs[1], ws, ws[0])
	}
	g := geom{
		n: xs[0], cin: xs[1], cout: ws[1],
		h: xs[2], w: xs[3],
		kh: ws[2], kw: ws[3],
		sh: p.strideH, sw: p.strideW, ph: p.padH, pw: p.padW,
	}
	g.hout = ConvTranspose2dOutputSize(g.h, g.kh, g.sh, g.ph, p.outPadH)
	g.wout = ConvTranspose2dOutputSize(g.w, g.kw, g.sw, g.pw, p.outPadW)
	if g.hout <= 0 || g.wout <= 0 {
		return geom{}, fmt.Errorf("non-positive output size %d×%d for x %v, w %v, %v", g.hout, g.wout, xs, ws, p)
	}
	return g, nil
}

// convTransposeOp is the forward op: inputs x [N, Cin, H, W] and
// w [Cin, Cout, kH, kW], output [N, Cout, Hout, Wout].
type convTransposeOp struct{ convTParams }

func (op convTransposeOp) withCache(c *outCache) G.Op { op.cache = c; return op }

var (
	_ G.Op              = convTransposeOp{}
	_ G.SDOp            = convTransposeOp{}
	_ G.UsePreallocDoer = convTransposeOp{}
)

func (op convTransposeOp) resolve(xs, ws tensor.Shape) (geom, tensor.Shape, error) {
	g, err := op.geometry(xs, ws)
	if err != nil {
		return geom{}, nil, err
	}
	return g, tensor.Shape{g.n, g.cout, g.hout, g.wout}, nil
}

func (op convTransposeOp) Arity() int { return 2 }

// Type is a → a → a for 4-D tensors a.
func (op convTransposeOp) Type() hm.Type { return binaryType() }

func (op convTransposeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op, ds)
}

func (op convTransposeOp) Do(inputs ...G.Value) (G.Value, error) {
	return execute(op, nil, inputs)
}

func (op convTransposeOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return execute(op, prealloc, inputs)
}

func (op convTransposeOp) ReturnsPtr() bool     { return false }
func (op convTransposeOp) CallsExtern() bool    { return false }
func (op convTransposeOp) OverwritesInput() int { return -1 }

func (op convTransposeOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op convTransposeOp) Hashcode() uint32      { return hashOf(op) }
func (op convTransposeOp) String() string        { return "ConvTranspose2d{" + op.convTParams.String() + "}" }

func (op convTransposeOp) DiffWRT(n int) []bool { return []bool{true, true} }

// SymDiff returns the gradients with respect to x (an ordinary convolution
// of the output gradient with w) and w.
func (op convTransposeOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("ops: %v: expected 2 inputs, got %d", op, len(inputs))
	}
	x, w := inputs[0], inputs[1]
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 {
		return nil, fmt.Errorf("ops: %v: expected 4-D inputs, got x %v, w %v", op, xs, ws)
	}
	dx, err := apply(convTransposeGradInputOp{op.convTParams, xs[2], xs[3]}, grad, w)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: gradient w.r.t. x: %w", op, err)
	}
	dw, err := apply(convTransposeGradKernelOp{op.convTParams, ws[2], ws[3]}, x, grad)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: gradient w.r.t. w: %w", op, err)
	}
	return G.Nodes{dx, dw}, nil
}
