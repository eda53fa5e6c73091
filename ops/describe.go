package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// OpKind names one of the ops of this package, for backends that compile
// Gorgonia graphs to their own programs (package gpu).
type OpKind int

// The ops of this package. Conv2d is described as
// KindConvTransposeGradInput: the convolution is the input gradient of a
// transposed convolution whose kernel is read as [Cin_T = Cout, Cout_T =
// Cin, kH, kW] (see Conv2d).
const (
	KindAddBias                 OpKind = iota + 1 // inputs x, b
	KindBiasGrad                                  // input dy
	KindLeakyReLU                                 // input x; Slope
	KindLeakyReLUGrad                             // inputs x, dy; Slope
	KindBatchMean                                 // input x
	KindBatchVar                                  // inputs x, mean
	KindBatchNorm                                 // inputs x, mean, var, scale, shift; Eps
	KindBatchNormGradSums                         // inputs x, mean, var, dy; Eps
	KindBatchNormGradInput                        // inputs x, mean, var, scale, sums, dy; Eps
	KindBatchNormGradShift                        // input sums: row 0
	KindBatchNormGradScale                        // input sums: row 1
	KindConvTranspose                             // inputs x, w; Conv
	KindConvTransposeGradInput                    // inputs dy, w; Conv
	KindConvTransposeGradKernel                   // inputs x, dy; Conv
	KindMinibatch                                 // input m; N, Kernels, KernelDim
	KindMinibatchGrad                             // inputs m, g; N, Kernels, KernelDim
	KindMinibatchGradG                            // inputs m, h; N, Kernels, KernelDim
	KindMinibatchGradM                            // inputs m, g, h; N, Kernels, KernelDim
)

// ConvGeometry is the resolved geometry of a transposed convolution:
// input x [N, Cin, H, W], kernel [Cin, Cout, KH, KW], output
// [N, Cout, Hout, Wout], stride (SH, SW) and padding (PH, PW).
type ConvGeometry struct {
	N, Cin, Cout, H, W, Hout, Wout, KH, KW, SH, SW, PH, PW int
}

// OpInfo describes one op node of this package.
type OpInfo struct {
	Kind OpKind
	// Slope is the LeakyReLU slope (KindLeakyReLU, KindLeakyReLUGrad).
	Slope float64
	// Eps is the batch norm epsilon (KindBatchNorm and its gradients).
	Eps float64
	// Conv is the geometry of the transposed convolution that the three
	// conv kinds compute or differentiate.
	Conv ConvGeometry
	// C and Inner are the channel count and the elements per channel and
	// batch item of the [N, C, Inner] view that AddBias, BiasGrad and the
	// batch norm ops work on (Inner is 1 for rank-2 inputs); N is the
	// batch size.
	N, C, Inner int
	// Kernels (B) and KernelDim (C) are the sizes of the minibatch
	// discrimination kinds (MinibatchKernels and its gradients): m is
	// [N, Kernels·KernelDim], g [N, Kernels].
	Kernels, KernelDim int
}

// Describe returns what op computes for inputs of the given shapes, and
// false if op is not an op of this package.
func Describe(op G.Op, inputs []tensor.Shape) (OpInfo, bool, error) {
	fail := func(err error) (OpInfo, bool, error) {
		return OpInfo{}, true, fmt.Errorf("ops: describe %v: %w", op, err)
	}
	need := func(n int) error {
		if len(inputs) != n {
			return fmt.Errorf("%d input shapes, want %d", len(inputs), n)
		}
		return nil
	}
	ncInner := func(s tensor.Shape) (n, c, inner int, err error) {
		if len(s) < 2 {
			return 0, 0, 0, fmt.Errorf("input shape %v: want rank ≥ 2", s)
		}
		inner = 1
		for _, d := range s[2:] {
			inner *= d
		}
		return s[0], s[1], inner, nil
	}
	switch o := op.(type) {
	case addBiasOp, biasGradOp:
		info := OpInfo{Kind: KindAddBias}
		if _, ok := o.(biasGradOp); ok {
			info.Kind = KindBiasGrad
		}
		if len(inputs) < 1 {
			return fail(fmt.Errorf("no input shapes"))
		}
		var err error
		if info.N, info.C, info.Inner, err = ncInner(inputs[0]); err != nil {
			return fail(err)
		}
		return info, true, nil
	case leakyReLUOp:
		return OpInfo{Kind: KindLeakyReLU, Slope: o.slope}, true, need(1)
	case leakyReLUGradOp:
		return OpInfo{Kind: KindLeakyReLUGrad, Slope: o.slope}, true, need(2)
	case bnOp:
		kinds := [...]OpKind{KindBatchMean, KindBatchVar, KindBatchNorm, KindBatchNormGradSums,
			KindBatchNormGradInput, KindBatchNormGradShift, KindBatchNormGradScale}
		info := OpInfo{Kind: kinds[o.kind], Eps: o.eps}
		if err := need(len(bnArgs[o.kind])); err != nil {
			return fail(err)
		}
		if o.kind == bnSumRow0 || o.kind == bnSumRow1 {
			if s := inputs[0]; len(s) != 2 || s[0] != 2 {
				return fail(fmt.Errorf("sums shape %v, want [2, C]", s))
			}
			info.C = inputs[0][1]
			return info, true, nil
		}
		var err error
		if info.N, info.C, info.Inner, err = ncInner(inputs[0]); err != nil {
			return fail(err)
		}
		return info, true, nil
	case convTransposeOp:
		if err := need(2); err != nil {
			return fail(err)
		}
		g, _, err := o.resolve(inputs[0], inputs[1])
		if err != nil {
			return fail(err)
		}
		return OpInfo{Kind: KindConvTranspose, Conv: exportGeom(g)}, true, nil
	case convTransposeGradInputOp:
		return describeGradInput(o, inputs, fail)
	case conv2dOp:
		return describeGradInput(o.inner, inputs, fail)
	case convTransposeGradKernelOp:
		if err := need(2); err != nil {
			return fail(err)
		}
		g, _, err := o.resolve(inputs[0], inputs[1])
		if err != nil {
			return fail(err)
		}
		return OpInfo{Kind: KindConvTransposeGradKernel, Conv: exportGeom(g)}, true, nil
	case mbdOp:
		d, _, err := o.resolve(inputs)
		if err != nil {
			return fail(err)
		}
		kinds := [...]OpKind{KindMinibatch, KindMinibatchGrad, KindMinibatchGradG, KindMinibatchGradM}
		return OpInfo{Kind: kinds[o.kind], N: d.n, Kernels: d.b, KernelDim: d.c}, true, nil
	}
	return OpInfo{}, false, nil
}

func describeGradInput(o convTransposeGradInputOp, inputs []tensor.Shape, fail func(error) (OpInfo, bool, error)) (OpInfo, bool, error) {
	if len(inputs) != 2 {
		return fail(fmt.Errorf("%d input shapes, want 2", len(inputs)))
	}
	g, _, err := o.resolve(inputs[0], inputs[1])
	if err != nil {
		return fail(err)
	}
	return OpInfo{Kind: KindConvTransposeGradInput, Conv: exportGeom(g)}, true, nil
}

func exportGeom(g geom) ConvGeometry {
	return ConvGeometry{N: g.n, Cin: g.cin, Cout: g.cout, H: g.h, W: g.w, Hout: g.hout, Wout: g.wout,
		KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw, PH: g.ph, PW: g.pw}
}
