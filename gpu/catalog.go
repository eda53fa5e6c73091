package gpu

import "fmt"

// A Kernel names one device kernel of the catalogue below. Every kernel
// exists twice, with the same semantics: as CUDA C in kernels/kernels.cu
// (compiled to the embedded PTX that the CUDA device loads) and as a Go
// reference kernel that the Host device runs. Both take their arguments
// in one Params value: pointers P, integers I and floats F, in the order
// each kernel's comment gives.
//
// All data are float32 in row-major order. Sizes and indices are int32.
// "n" is always I[0]. Elementwise kernels run one thread per element
// (a grid-stride loop over n); reduction kernels run one block of
// ReduceBlock threads per output element (grid = the number of outputs),
// combining the block's partial sums in shared memory.
type Kernel int

// The kernel catalogue.
const (
	// KFill: P[0] y; I[0] n; F[0] value. y[i] = value.
	KFill Kernel = iota
	// KCopy: P[0] y, P[1] x; I[0] n. y[i] = x[i].
	KCopy
	// KBinary: P[0] y, P[1] a, P[2] b; I[0] n, I[1] op (a BinaryOp),
	// I[2] a's stride, I[3] b's stride (1 for a tensor, 0 for a scalar
	// broadcast to every i). y[i] = a[i·I[2]] op b[i·I[3]].
	KBinary
	// KUnary: P[0] y, P[1] x; I[0] n, I[1] op (a UnaryOp). y[i] = op(x[i]).
	KUnary
	// KLeakyReLU: P[0] y, P[1] x; I[0] n; F[0] slope.
	// y[i] = x[i]·(x[i] ≥ 0 ? 1 : slope) (a product in both cases, so
	// slope 0 gives −0 for negative x, as ops.LeakyReLU does; NaN stays NaN).
	KLeakyReLU
	// KLeakyReLUGrad: P[0] dx, P[1] x, P[2] dy; I[0] n; F[0] slope.
	// dx[i] = dy[i]·(x[i] ≥ 0 ? 1 : slope).
	KLeakyReLUGrad
	// KAddBias: P[0] y, P[1] x, P[2] b; I[0] n, I[1] C, I[2] inner.
	// y[i] = x[i] + b[(i / inner) mod C]  (x is [N, C, inner]).
	KAddBias
	// KClamp: P[0] y; I[0] n; F[0] lo, F[1] hi. y[i] = min(hi, max(lo, y[i]))
	// in place (NaN stays NaN).
	KClamp
	// KRepeat: P[0] y, P[1] x; I[0] n (= size of y), I[1] R, I[2] B.
	// x is [A, B], y is [A, R, B]: y[(a·R + r)·B + b] = x[a·B + b], that is
	// y[i] = x[(i / (R·B))·B + i mod B] (numpy.repeat along one axis).
	KRepeat
	// KConcatPart: P[0] y, P[1] x; I[0] n (= size of x), I[1] C, I[2] B,
	// I[3] Ctot, I[4] off. x is [A, C, B], y is [A, Ctot, B]:
	// y[(a·Ctot + off + c)·B + b] = x[(a·C + c)·B + b].
	KConcatPart
	// KSlicePart: P[0] y, P[1] x; I[0] n (= size of y), I[1] C, I[2] B,
	// I[3] Ctot, I[4] off. y is [A, C, B], x is [A, Ctot, B]:
	// y[(a·C + c)·B + b] = x[(a·Ctot + off + c)·B + b].
	KSlicePart
	// KTranspose01: P[0] y, P[1] x; I[0] n, I[1] D0, I[2] D1, I[3] inner.
	// x is [D0, D1, inner], y is [D1, D0, inner]:
	// y[(b·D0 + a)·inner + r] = x[(a·D1 + b)·inner + r].
	KTranspose01
	// KColGather: P[0] cols, P[1] y; I[0] n (= size of cols), then the
	// geometry I[1..12] = N, Cout, H, W, Hout, Wout, kH, kW, sH, sW, pH, pW
	// (see Geom). y is [N, Cout, Hout, Wout]; cols is [Cout·kH·kW, N·H·W]:
	// cols[(co·kH + ki)·kW + kj, (item·H + i)·W + j] =
	// y[item, co, i·sH − pH + ki, j·sW − pW + kj], or 0 where that lies
	// outside y. (im2col of the transposed convolution's output space.)
	KColGather
	// KColScatter: P[0] y, P[1] cols; I[0] n (= size of y), I[1..12] the
	// geometry as for KColGather. The adjoint of KColGather: y[item, co, o]
	// is the sum of every cols element that KColGather would read from it
	// (one thread per element of y, no atomics). (col2im.)
	KColScatter
	// KSumOuter: P[0] y, P[1] x; I[0] K (outputs), I[1] A, I[2] B. x is
	// [A, K, B]: y[k] = Σ_a Σ_b x[(a·K + k)·B + b], accumulated in float64.
	// One block per output.
	KSumOuter
	// KSumMid: P[0] y, P[1] x; I[0] n (outputs = A·B), I[1] M, I[2] B. x is
	// [A, M, B]: y[a·B + b] = Σ_m x[(a·M + m)·B + b], accumulated in
	// float64. One block per output.
	KSumMid
	// KBNMean: P[0] mean, P[1] x; I[0] C, I[1] N, I[2] inner. x is
	// [N, C, inner]: mean[c] = Σ x[·, c, ·] / (N·inner), in float64. One
	// block per channel.
	KBNMean
	// KBNVar: P[0] var, P[1] x, P[2] mean; I[0] C, I[1] N, I[2] inner.
	// var[c] = Σ (x − mean[c])² / (N·inner) (biased), in float64. One
	// block per channel.
	KBNVar
	// KBNForward: P[0] y, P[1] x, P[2] mean, P[3] var, P[4] scale,
	// P[5] shift; I[0] n, I[1] C, I[2] inner; F[0] eps.
	// y = (x − mean[c])·(scale[c]·invstd[c]) + shift[c] with
	// invstd = 1/sqrt(var + eps), per-channel factors in float64.
	KBNForward
	// KBNGradSums: P[0] sums ([2, C]), P[1] x, P[2] mean, P[3] var,
	// P[4] dy; I[0] C, I[1] N, I[2] inner; F[0] eps.
	// sums[c] = Σ dy, sums[C + c] = invstd[c]·Σ dy·(x − mean[c]), in
	// float64. One block per channel.
	KBNGradSums
	// KBNGradInput: P[0] dx, P[1] x, P[2] mean, P[3] var, P[4] scale,
	// P[5] sums, P[6] dy; I[0] n, I[1] C, I[2] inner, I[3] M (= N·inner);
	// F[0] eps. dx = k·(dy − Σdy/M − (x − mean)·q) with k = scale·invstd
	// and q = invstd·sums[C + c]/M (per-channel factors in float64).
	KBNGradInput
	// KBNRunning: P[0] runMean, P[1] runVar, P[2] mean, P[3] var; I[0] C;
	// F[0] momentum, F[1] unbias. runMean = (1−m)·runMean + m·mean,
	// runVar = (1−m)·runVar + m·unbias·var, in float64 (nn.BatchNorm's
	// running statistics).
	KBNRunning
	// KAdam: P[0] param, P[1] grad, P[2] m, P[3] v; I[0] n; F[0] b1,
	// F[1] 1−b1, F[2] b2, F[3] 1−b2, F[4] step (= lr/bc1), F[5] isb2
	// (= 1/sqrt(bc2)), F[6] eps. In float32, in this order:
	// m = b1·m + (1−b1)·g; v = b2·v + (1−b2)·g·g;
	// p −= step·m / (sqrt(v)·isb2 + eps) (optim's float32 Adam).
	KAdam
	// KSGD: P[0] param, P[1] grad, P[2] buf (unused when momentum is 0);
	// I[0] n, I[1] nesterov (0|1); F[0] lr, F[1] momentum. In float64 per
	// element: with momentum, v = mu·buf + g, buf = v, d = nesterov ?
	// g + mu·v : v; without, d = g. p = p − lr·d (optim's SGD).
	KSGD
	// KRMSProp: P[0] param, P[1] grad, P[2] sq; I[0] n; F[0] lr,
	// F[1] alpha, F[2] eps. In float64 per element: s = a·sq + (1−a)·g²,
	// sq = s, p = p − lr·g/(sqrt(s) + eps) (optim's RMSProp).
	KRMSProp
	// KCheckFinite: P[0] flags, P[1] x; I[0] n, I[1] slot. If any x[i] is
	// NaN or ±Inf, flags[slot] = 1 (flags are cleared by the caller).
	KCheckFinite
	// KMBD: P[0] o, P[1] m; I[0] n (= N·B), I[1] N, I[2] B, I[3] C. m is
	// [N, B, C], o is [N, B]: o[i, b] = Σ_j e(i, j, b) with
	// e = exp(−Σ_c |m[i, b, c] − m[j, b, c]|) (ops.MinibatchKernels). Every
	// kernel of this family sums over j = 0 … N−1 in order in float64, the
	// L1 distance over c in order in float32; e is the kernels' own
	// float32 exponential (gg_exp, ≤ 1.5 ulps), the per-pair products are
	// float32; sign(x) is −1, 0 or 1, and 0 for NaN.
	KMBD
	// KMBDGrad: P[0] dm, P[1] m, P[2] g; I[0] n (= N·B·C), I[1] N, I[2] B,
	// I[3] C. dm[i, b, c] = −Σ_j ((g[i, b] + g[j, b])·e)·sign(m[i, b, c] −
	// m[j, b, c]).
	KMBDGrad
	// KMBDGradG: P[0] dg, P[1] m, P[2] h; I[0] n (= N·B), I[1] N, I[2] B,
	// I[3] C. dg[i, b] = −Σ_j e·u with u = Σ_c sign(m[i, b, c] −
	// m[j, b, c])·(h[i, b, c] − h[j, b, c]).
	KMBDGradG
	// KMBDGradM: P[0] dm, P[1] m, P[2] g, P[3] h; I[0] n (= N·B·C), I[1] N,
	// I[2] B, I[3] C. dm[i, b, c] = Σ_j (((g[i, b] + g[j, b])·e)·u)·
	// sign(m[i, b, c] − m[j, b, c]).
	KMBDGradM

	numKernels
)

// BinaryOp selects the operation of KBinary.
type BinaryOp int32

// The binary operations. Comparisons give 1 or 0.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
	OpGt  // a > b
	OpGte // a ≥ b
	OpLt  // a < b
	OpLte // a ≤ b
	OpEq  // a == b
	OpNe  // a != b
	numBinaryOps
)

// UnaryOp selects the operation of KUnary.
type UnaryOp int32

// The unary operations, with Gorgonia's float32 semantics.
const (
	OpNeg         UnaryOp = iota // −x
	OpAbs                        // |x|
	OpSign                       // −1, 0 or 1 (NaN stays NaN)
	OpSquare                     // x·x
	OpSqrt                       // √x
	OpInverse                    // 1/x
	OpExp                        // eˣ
	OpLog                        // ln x
	OpLog1p                      // ln(1 + x)
	OpExpm1                      // eˣ − 1
	OpSigmoid                    // 1/(1 + e⁻ˣ)
	OpSoftplus                   // ln(1 + eˣ), stably: max(x, 0) + log1p(e^−|x|)
	OpTanh                       // tanh x
	OpCube                       // x·x·x
	OpInverseSqrt                // 1/√x
	numUnaryOps
)

// ReduceBlock is the number of threads of each block of the reduction
// kernels (KSumOuter, KSumMid, KBNMean, KBNVar, KBNGradSums).
const ReduceBlock = 256

// ElementBlock is the number of threads per block of the elementwise
// kernels; their grid is ceil(n/ElementBlock) blocks, capped at MaxGrid
// (each thread then loops with a stride of the grid's thread count).
const ElementBlock = 256

// MaxGrid caps the number of blocks of an elementwise launch.
const MaxGrid = 65535

// Sizes of Params.
const (
	MaxPtrs   = 8
	MaxInts   = 16
	MaxFloats = 8
)

// Params are the arguments of one kernel launch. The CUDA kernels take
// them as one struct parameter of the same layout (kernels/kernels.cu,
// struct Params): 8 pointers, 16 int32 and 8 float32.
type Params struct {
	P [MaxPtrs]Ptr
	I [MaxInts]int32
	F [MaxFloats]float32
}

// A Ptr addresses float32 element Off of a device buffer.
type Ptr struct {
	Buf Buffer
	Off int
}

// KernelInfo describes one kernel of the catalogue.
type KernelInfo struct {
	// Name is the kernel's name in kernels.cu and in the PTX.
	Name string
	// Ptrs, Ints and Floats are how many entries of Params it reads.
	Ptrs, Ints, Floats int
	// Reduction is true for the kernels that run one block of
	// ReduceBlock threads per output; false for elementwise kernels.
	Reduction bool
}

var kernelInfo = [numKernels]KernelInfo{
	KFill:          {"gg_fill", 1, 1, 1, false},
	KCopy:          {"gg_copy", 2, 1, 0, false},
	KBinary:        {"gg_binary", 3, 4, 0, false},
	KUnary:         {"gg_unary", 2, 2, 0, false},
	KLeakyReLU:     {"gg_leaky_relu", 2, 1, 1, false},
	KLeakyReLUGrad: {"gg_leaky_relu_grad", 3, 1, 1, false},
	KAddBias:       {"gg_add_bias", 3, 3, 0, false},
	KClamp:         {"gg_clamp", 1, 1, 2, false},
	KRepeat:        {"gg_repeat", 2, 3, 0, false},
	KConcatPart:    {"gg_concat_part", 2, 5, 0, false},
	KSlicePart:     {"gg_slice_part", 2, 5, 0, false},
	KTranspose01:   {"gg_transpose01", 2, 4, 0, false},
	KColGather:     {"gg_col_gather", 2, 13, 0, false},
	KColScatter:    {"gg_col_scatter", 2, 13, 0, false},
	KSumOuter:      {"gg_sum_outer", 2, 3, 0, true},
	KSumMid:        {"gg_sum_mid", 2, 3, 0, true},
	KBNMean:        {"gg_bn_mean", 2, 3, 0, true},
	KBNVar:         {"gg_bn_var", 3, 3, 0, true},
	KBNForward:     {"gg_bn_forward", 6, 3, 1, false},
	KBNGradSums:    {"gg_bn_grad_sums", 5, 3, 1, true},
	KBNGradInput:   {"gg_bn_grad_input", 7, 4, 1, false},
	KBNRunning:     {"gg_bn_running", 4, 1, 2, false},
	KAdam:          {"gg_adam", 4, 1, 7, false},
	KSGD:           {"gg_sgd", 3, 2, 2, false},
	KRMSProp:       {"gg_rmsprop", 3, 1, 3, false},
	KCheckFinite:   {"gg_check_finite", 2, 2, 0, false},
	KMBD:           {"gg_mbd", 2, 4, 0, false},
	KMBDGrad:       {"gg_mbd_grad", 3, 4, 0, false},
	KMBDGradG:      {"gg_mbd_grad_g", 3, 4, 0, false},
	KMBDGradM:      {"gg_mbd_grad_m", 4, 4, 0, false},
}

// Info returns k's description.
func (k Kernel) Info() KernelInfo {
	if k < 0 || k >= numKernels {
		return KernelInfo{Name: fmt.Sprintf("kernel(%d)", int(k))}
	}
	return kernelInfo[k]
}

// String returns k's name.
func (k Kernel) String() string { return k.Info().Name }

// Kernels lists the whole catalogue, in order.
func Kernels() []Kernel {
	out := make([]Kernel, numKernels)
	for i := range out {
		out[i] = Kernel(i)
	}
	return out
}

// Grid returns the launch shape of k for params p: the number of blocks
// and the threads per block.
func (k Kernel) Grid(p *Params) (blocks, threads int) {
	n := int(p.I[0])
	if k.Info().Reduction {
		return n, ReduceBlock
	}
	blocks = (n + ElementBlock - 1) / ElementBlock
	return max(1, min(blocks, MaxGrid)), ElementBlock
}

// Geom is the geometry of a transposed convolution, as the conv kernels
// take it in I[1..12]: input [N, Cin, H, W] (Cin is not needed by the
// kernels), output [N, Cout, Hout, Wout], kernel kH×kW, stride sH×sW,
// padding pH×pW.
type Geom struct {
	N, Cin, Cout, H, W, Hout, Wout, KH, KW, SH, SW, PH, PW int
}

// SetInts writes g into p.I[1..12] (all but Cin).
func (g Geom) SetInts(p *Params) {
	for i, v := range []int{g.N, g.Cout, g.H, g.W, g.Hout, g.Wout, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW} {
		p.I[1+i] = int32(v)
	}
}

// GemmArgs describe c = alpha·op(a)·op(b) + beta·c for row-major matrices
// in device memory, op(a) m×k and op(b) k×n (cuBLAS SGEMM on the CUDA
// device).
type GemmArgs struct {
	TransA, TransB bool
	M, N, K        int
	Alpha, Beta    float32
	A              Ptr
	LDA            int
	B              Ptr
	LDB            int
	C              Ptr
	LDC            int
}

// gemmOperand is one matrix of a GemmArgs as it lies in memory.
type gemmOperand struct {
	name           string
	p              Ptr
	rows, cols, ld int
}

// operands checks g's sizes and returns its three matrices as they lie in
// memory (op(a) is m×k: a itself is k×m when transposed), for the devices
// to check against their buffers.
func (g *GemmArgs) operands() ([3]gemmOperand, error) {
	if g.M < 0 || g.N < 0 || g.K < 0 {
		return [3]gemmOperand{}, fmt.Errorf("Gemm: negative size m=%d n=%d k=%d", g.M, g.N, g.K)
	}
	ar, ac := g.M, g.K
	if g.TransA {
		ar, ac = g.K, g.M
	}
	br, bc := g.K, g.N
	if g.TransB {
		br, bc = g.N, g.K
	}
	return [3]gemmOperand{
		{"a", g.A, ar, ac, g.LDA},
		{"b", g.B, br, bc, g.LDB},
		{"c", g.C, g.M, g.N, g.LDC},
	}, nil
}
