package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2dOutputSize returns the output length of a 2-D convolution along
// one spatial axis: ⌊(in + 2·pad − kernel)/stride⌋ + 1. It does not
// validate its arguments; the result may be ≤ 0.
func Conv2dOutputSize(in, kernel, stride, pad int) int {
	if in+2*pad-kernel < 0 {
		return 0
	}
	return (in+2*pad-kernel)/stride + 1
}

// Conv2d returns the 2-D convolution (cross-correlation, as in PyTorch's
// Conv2d, without bias) of x, shape [N, Cin, H, W] (NCHW), with kernel w
// of shape [Cout, Cin, kH, kW], giving [N, Cout, Hout, Wout] with
// Hout = ⌊(H + 2·pad − kH)/stride⌋ + 1 (likewise for W):
//
//	out[n, co, i, j] = Σ x[n, ci, i·stride−pad+ki, j·stride−pad+kj]·w[co, ci, ki, kj]
//
// over ci, ki, kj, with x zero outside its bounds. stride and pad are
// given as {height, width}.
//
// It computes what G.Conv2d(x, w, [kH, kW], pad, stride, [1, 1]) computes,
// but with the im2col/GEMM kernels of ConvTranspose2d, spread over the
// batch: a convolution is the adjoint of a transposed convolution with the
// same kernel, so its forward pass is ConvTranspose2d's input gradient and
// its gradients are ConvTranspose2d and ConvTranspose2d's kernel gradient.
// It avoids the per-run transpose of the [N, Hout, Wout, Cout] result that
// G.Conv2d performs. The result is differentiable with respect to x and w
// (also twice, via G.Grad).
//
// x and w must be 4-D with the same Cin and the same dtype (Float32 or
// Float64); stride must be positive, pad ≥ 0, and the output size
// positive.
func Conv2d(x, w *G.Node, stride, pad [2]int) (*G.Node, error) {
	if x == nil || w == nil {
		return nil, fmt.Errorf("ops: Conv2d: nil input (x: %v, w: %v)", x != nil, w != nil)
	}
	if x.Dtype() != w.Dtype() {
		return nil, fmt.Errorf("ops: Conv2d: dtype mismatch: x %v %v, w %v %v", x.Dtype(), x.Shape(), w.Dtype(), w.Shape())
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, fmt.Errorf("ops: Conv2d: x %v: %w", x.Shape(), err)
	}
	op, err := newConv2dOp(x.Shape(), w.Shape(), stride, pad)
	if err != nil {
		return nil, fmt.Errorf("ops: Conv2d: %w", err)
	}
	out, err := apply(op, x, w)
	if err != nil {
		return nil, fmt.Errorf("ops: Conv2d: x %v, w %v: %w", x.Shape(), w.Shape(), err)
	}
	return out, nil
}

// conv2dOp is the convolution of x [N, Cin, H, W] with w [Cout, Cin, kH,
// kW]. It is the input-gradient op of the transposed convolution whose
// input is the convolution's output [N, Cout, Hout, Wout] and whose output
// is x: the transposed convolution maps Hout back to
// (Hout−1)·stride − 2·pad + kH + outputPad = H exactly when outputPad is
// (H + 2·pad − kH) mod stride, the rows the convolution's stride skips at
// the bottom (likewise for W).
type conv2dOp struct {
	inner convTransposeGradInputOp
}

func (op conv2dOp) withCache(c *outCache) G.Op { op.inner.cache = c; return op }

var (
	_ G.Op              = conv2dOp{}
	_ G.SDOp            = conv2dOp{}
	_ G.UsePreallocDoer = conv2dOp{}
)

// newConv2dOp validates the shapes of x [N, Cin, H, W] and w
// [Cout, Cin, kH, kW] and the hyper-parameters, and builds the op.
func newConv2dOp(xs, ws tensor.Shape, stride, pad [2]int) (conv2dOp, error) {
	if stride[0] <= 0 || stride[1] <= 0 {
		return conv2dOp{}, fmt.Errorf("stride must be positive, got (%d, %d)", stride[0], stride[1])
	}
	if pad[0] < 0 || pad[1] < 0 {
		return conv2dOp{}, fmt.Errorf("pad must be ≥ 0, got (%d, %d)", pad[0], pad[1])
	}
	if len(xs) != 4 {
		return conv2dOp{}, fmt.Errorf("x must be 4-D [N, Cin, H, W], got shape %v", xs)
	}
	if len(ws) != 4 {
		return conv2dOp{}, fmt.Errorf("w must be 4-D [Cout, Cin, kH, kW], got shape %v", ws)
	}
	for _, d := range xs {
		if d <= 0 {
			return conv2dOp{}, fmt.Errorf("x must have positive dimensions, got shape %v", xs)
		}
	}
	for _, d := range ws {
		if d <= 0 {
			return conv2dOp{}, fmt.Errorf("w must have positive dimensions (channels, kernel), got shape %v", ws)
		}
	}
	if xs[1] != ws[1] {
		return conv2dOp{}, fmt.Errorf("channel mismatch: x %v has Cin=%d but w %v has Cin=%d", xs, xs[1], ws, ws[1])
	}
	hout := Conv2dOutputSize(xs[2], ws[2], stride[0], pad[0])
	wout := Conv2dOutputSize(xs[3], ws[3], stride[1], pad[1])
	if hout <= 0 || wout <= 0 {
		return conv2dOp{}, fmt.Errorf("non-positive output size %d×%d for x %v, w %v, stride (%d, %d), pad (%d, %d)",
			hout, wout, xs, ws, stride[0], stride[1], pad[0], pad[1])
	}
	p := convTParams{
		strideH: stride[0], strideW: stride[1],
		padH: pad[0], padW: pad[1],
		outPadH: (xs[2] + 2*pad[0] - ws[2]) % stride[0],
		outPadW: (xs[3] + 2*pad[1] - ws[3]) % stride[1],
	}
	op := conv2dOp{convTransposeGradInputOp{p, hout, wout}}
	// The transposed view: input [N, Cout, Hout, Wout], kernel w read as
	// [Cin_T = Cout, Cout_T = Cin, kH, kW], output x's shape.
	if _, _, err := op.inner.resolve(xs, ws); err != nil {
		return conv2dOp{}, err
	}
	return op, nil
}

func (op conv2dOp) Arity() int { return 2 }

// Type is a → a → a for 4-D tensors a.
func (op conv2dOp) Type() hm.Type { return binaryType() }

func (op conv2dOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return inferShape(op.inner, ds)
}

func (op conv2dOp) Do(inputs ...G.Value) (G.Value, error) {
	return execute(op.inner, nil, inputs)
}

func (op conv2dOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	return execute(op.inner, prealloc, inputs)
}

func (op conv2dOp) ReturnsPtr() bool      { return false }
func (op conv2dOp) CallsExtern() bool     { return false }
func (op conv2dOp) OverwritesInput() int  { return -1 }
func (op conv2dOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op conv2dOp) Hashcode() uint32      { return hashOf(op) }
func (op conv2dOp) String() string {
	p := op.inner.convTParams
	return fmt.Sprintf("Conv2d{stride=(%d,%d) pad=(%d,%d) out=(%d,%d)}", p.strideH, p.strideW, p.padH, p.padW, op.inner.inH, op.inner.inW)
}
func (op conv2dOp) DiffWRT(n int) []bool { return []bool{true, true} }

// SymDiff returns the gradients with respect to x (the transposed
// convolution of the output gradient with w) and w; see
// convTransposeGradInputOp.SymDiff.
func (op conv2dOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return op.inner.SymDiff(inputs, output, grad)
}
