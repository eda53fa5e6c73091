package gpu

import (
	"fmt"
	"math"

	"github.com/chewxy/math32"
)

// The Go reference kernels: one function per kernel of the catalogue, run
// by the Host device. Each checks its integer arguments and the element
// ranges of its pointers before it writes anything, then computes exactly
// what catalog.go specifies.
//
// Conventions shared with kernels/kernels.cu, so that the emulated CUDA C
// and these functions agree bit for bit wherever no approximate hardware
// function is involved:
//   - No fused multiply-adds: every product that feeds a sum is rounded
//     first (explicit conversions below; -ffp-contract=off for the CUDA C).
//   - The reduction kernels add in the order of one block of ReduceBlock
//     threads: thread t sums the terms t, t+ReduceBlock, … in float64, then
//     the partial sums are combined by the tree partial[t] += partial[t+w]
//     for w = ReduceBlock/2, …, 1 (blockSum).
//   - KColScatter adds its terms in float32 starting from 0, kernel row ki
//     outer and kernel column kj inner, both ascending.
//   - KClamp is v < lo ? lo : v, then v > hi ? hi : v (NaN stays NaN, and
//     a signed zero equal to a bound is kept as it is).

// hostArgs are the arguments of one Host launch: the Params and, for each
// pointer the kernel reads, its buffer from the pointer's offset to the
// end.
type hostArgs struct {
	k   Kernel
	p   *Params
	s   [MaxPtrs][]float32
	off [MaxPtrs]int
}

// errorf returns an error naming the kernel.
func (a *hostArgs) errorf(format string, args ...any) error {
	return fmt.Errorf("gpu: host: Launch %v: %s", a.k, fmt.Sprintf(format, args...))
}

// need checks that P[j] has at least count elements from its offset.
func (a *hostArgs) need(j, count int) error {
	if count > len(a.s[j]) {
		return a.errorf("P[%d] needs %d elements from offset %d, its buffer has %d",
			j, count, a.off[j], a.off[j]+len(a.s[j]))
	}
	return nil
}

// needAll checks that each of P[js] has count elements.
func (a *hostArgs) needAll(count int, js ...int) error {
	for _, j := range js {
		if err := a.need(j, count); err != nil {
			return err
		}
	}
	return nil
}

// ints returns I[js...] as ints, checking that each is at least lo.
func (a *hostArgs) ints(lo int, js ...int) ([]int, error) {
	out := make([]int, len(js))
	for i, j := range js {
		v := int(a.p.I[j])
		if v < lo {
			return nil, a.errorf("I[%d] = %d, must be at least %d", j, v, lo)
		}
		out[i] = v
	}
	return out, nil
}

// hostKernels are the reference kernels, by catalogue index.
var hostKernels = [numKernels]func(a *hostArgs) error{
	KFill:          hkFill,
	KCopy:          hkCopy,
	KBinary:        hkBinary,
	KUnary:         hkUnary,
	KLeakyReLU:     hkLeakyReLU,
	KLeakyReLUGrad: hkLeakyReLUGrad,
	KAddBias:       hkAddBias,
	KClamp:         hkClamp,
	KRepeat:        hkRepeat,
	KConcatPart:    hkConcatPart,
	KSlicePart:     hkSlicePart,
	KTranspose01:   hkTranspose01,
	KColGather:     hkColGather,
	KColScatter:    hkColScatter,
	KSumOuter:      hkSumOuter,
	KSumMid:        hkSumMid,
	KBNMean:        hkBNMean,
	KBNVar:         hkBNVar,
	KBNForward:     hkBNForward,
	KBNGradSums:    hkBNGradSums,
	KBNGradInput:   hkBNGradInput,
	KBNRunning:     hkBNRunning,
	KAdam:          hkAdam,
	KSGD:           hkSGD,
	KRMSProp:       hkRMSProp,
	KCheckFinite:   hkCheckFinite,
	KMBD:           hkMBD,
	KMBDGrad:       hkMBDGrad,
	KMBDGradG:      hkMBDGradG,
	KMBDGradM:      hkMBDGradM,
}

// elementwise checks n = I[0] ≥ 0 and that P[js] have n elements.
func (a *hostArgs) elementwise(js ...int) (int, error) {
	v, err := a.ints(0, 0)
	if err != nil {
		return 0, err
	}
	return v[0], a.needAll(v[0], js...)
}

func hkFill(a *hostArgs) error {
	n, err := a.elementwise(0)
	if err != nil {
		return err
	}
	v := a.p.F[0]
	y := a.s[0][:n]
	for i := range y {
		y[i] = v
	}
	return nil
}

func hkCopy(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	copy(a.s[0][:n], a.s[1][:n])
	return nil
}

// binaryFunc returns the function of a BinaryOp, or nil.
func binaryFunc(op BinaryOp) func(x, y float32) float32 {
	b := func(c bool) float32 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case OpAdd:
		return func(x, y float32) float32 { return x + y }
	case OpSub:
		return func(x, y float32) float32 { return x - y }
	case OpMul:
		return func(x, y float32) float32 { return x * y }
	case OpDiv:
		return func(x, y float32) float32 { return x / y }
	case OpGt:
		return func(x, y float32) float32 { return b(x > y) }
	case OpGte:
		return func(x, y float32) float32 { return b(x >= y) }
	case OpLt:
		return func(x, y float32) float32 { return b(x < y) }
	case OpLte:
		return func(x, y float32) float32 { return b(x <= y) }
	case OpEq:
		return func(x, y float32) float32 { return b(x == y) }
	case OpNe:
		return func(x, y float32) float32 { return b(x != y) }
	}
	return nil
}

func hkBinary(a *hostArgs) error {
	v, err := a.ints(0, 0, 2, 3)
	if err != nil {
		return err
	}
	n, sa, sb := v[0], v[1], v[2]
	f := binaryFunc(BinaryOp(a.p.I[1]))
	if f == nil {
		return a.errorf("unknown BinaryOp %d", a.p.I[1])
	}
	if err := a.need(0, n); err != nil {
		return err
	}
	if n > 0 {
		if err := a.need(1, (n-1)*sa+1); err != nil {
			return err
		}
		if err := a.need(2, (n-1)*sb+1); err != nil {
			return err
		}
	}
	y, x, z := a.s[0], a.s[1], a.s[2]
	for i := 0; i < n; i++ {
		y[i] = f(x[i*sa], z[i*sb])
	}
	return nil
}

// Gorgonia v0.9.18's float32 activation functions (math.go and
// math_nooptim.go, built without the fastmath tag); the other unary ops
// of its tape machine run math32 (github.com/chewxy/math32) through
// gorgonia.org/tensor's StdEng, as unaryFunc does.

// sigmoid32 is Gorgonia's _sigmoidf32.
func sigmoid32(x float32) float32 {
	if x < -88 {
		return 0
	}
	if x > 15 {
		return 1
	}
	return float32(1.0 / (1.0 + math.Exp(float64(-x))))
}

// softplus32 is Gorgonia's _softplusf32: ln(1 + eˣ) in float64, rounded,
// with x beyond 14 returned as it is and below −103 as 0. It is within a
// rounding of the stable max(x, 0) + log1p(e^−|x|) that the CUDA kernel
// computes: for x > 14 the neglected log1p(e⁻ˣ) < 8.4e-7 is below one ulp
// of x (9.5e-7), and below −103, eˣ < 1.5e-45 rounds to 0 or the least
// subnormal.
func softplus32(x float32) float32 {
	if x < -103 {
		return 0
	}
	if x > 14 {
		return x
	}
	return float32(math.Log1p(math.Exp(float64(x))))
}

// sign32 is tensor's SignF32: −1 below 0, 1 above, x itself otherwise
// (±0 and NaN).
func sign32(x float32) float32 {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return x
}

// unaryFunc returns the function of a UnaryOp, or nil.
func unaryFunc(op UnaryOp) func(float32) float32 {
	switch op {
	case OpNeg:
		return func(x float32) float32 { return -x }
	case OpAbs:
		return math32.Abs
	case OpSign:
		return sign32
	case OpSquare:
		return func(x float32) float32 { return x * x }
	case OpSqrt:
		return math32.Sqrt
	case OpInverse:
		return func(x float32) float32 { return 1 / x }
	case OpExp:
		return math32.Exp
	case OpLog:
		return math32.Log
	case OpLog1p:
		return math32.Log1p
	case OpExpm1:
		return math32.Expm1
	case OpSigmoid:
		return sigmoid32
	case OpSoftplus:
		return softplus32
	case OpTanh:
		return math32.Tanh
	case OpCube:
		return func(x float32) float32 { return x * x * x }
	case OpInverseSqrt:
		return func(x float32) float32 { return 1 / math32.Sqrt(x) }
	}
	return nil
}

func hkUnary(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	f := unaryFunc(UnaryOp(a.p.I[1]))
	if f == nil {
		return a.errorf("unknown UnaryOp %d", a.p.I[1])
	}
	y, x := a.s[0][:n], a.s[1][:n]
	for i, v := range x {
		y[i] = f(v)
	}
	return nil
}

// leakyFactor is ops.LeakyReLU's factor: 1 for x ≥ 0, slope otherwise
// (NaN included).
func leakyFactor(x, slope float32) float32 {
	if x >= 0 {
		return 1
	}
	return slope
}

func hkLeakyReLU(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	s := a.p.F[0]
	y, x := a.s[0][:n], a.s[1][:n]
	for i, v := range x {
		y[i] = v * leakyFactor(v, s)
	}
	return nil
}

func hkLeakyReLUGrad(a *hostArgs) error {
	n, err := a.elementwise(0, 1, 2)
	if err != nil {
		return err
	}
	s := a.p.F[0]
	dx, x, dy := a.s[0][:n], a.s[1][:n], a.s[2][:n]
	for i, v := range x {
		dx[i] = dy[i] * leakyFactor(v, s)
	}
	return nil
}

func hkAddBias(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	v, err := a.ints(1, 1, 2)
	if err != nil {
		return err
	}
	c, inner := v[0], v[1]
	if n > 0 {
		if err := a.need(2, c); err != nil {
			return err
		}
	}
	y, x, b := a.s[0][:n], a.s[1][:n], a.s[2]
	for i, xv := range x {
		y[i] = xv + b[(i/inner)%c]
	}
	return nil
}

func hkClamp(a *hostArgs) error {
	n, err := a.elementwise(0)
	if err != nil {
		return err
	}
	lo, hi := a.p.F[0], a.p.F[1]
	y := a.s[0][:n]
	for i, v := range y {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		y[i] = v
	}
	return nil
}

func hkRepeat(a *hostArgs) error {
	n, err := a.elementwise(0)
	if err != nil {
		return err
	}
	v, err := a.ints(1, 1, 2)
	if err != nil {
		return err
	}
	rb, b := v[0]*v[1], v[1]
	if n > 0 {
		// The last a-block reaches furthest into x.
		last := (n - 1) / rb
		if err := a.need(1, last*b+min(b, n-last*rb)); err != nil {
			return err
		}
	}
	y, x := a.s[0][:n], a.s[1]
	for i := range y {
		y[i] = x[(i/rb)*b+i%b]
	}
	return nil
}

// partIndex is the index in the [A, Ctot, B] tensor of element i of the
// [A, C, B] part at channel offset off.
func partIndex(i, c, b, ctot, off int) int {
	bb := i % b
	cc := (i / b) % c
	aa := i / (b * c)
	return (aa*ctot+off+cc)*b + bb
}

// partArgs checks the arguments of KConcatPart and KSlicePart: the part
// is P[part] with n elements, the whole P[whole].
func (a *hostArgs) partArgs(part, whole int) (n, c, b, ctot, off int, err error) {
	if n, err = a.elementwise(part); err != nil {
		return
	}
	v, err := a.ints(0, 1, 2, 3, 4)
	if err != nil {
		return
	}
	c, b, ctot, off = v[0], v[1], v[2], v[3]
	if c < 1 || b < 1 || off+c > ctot {
		err = a.errorf("part of C=%d channels at offset %d of Ctot=%d, B=%d: need C, B ≥ 1 and off+C ≤ Ctot", c, off, ctot, b)
		return
	}
	if n > 0 { // the index is increasing in i
		err = a.need(whole, partIndex(n-1, c, b, ctot, off)+1)
	}
	return
}

func hkConcatPart(a *hostArgs) error {
	n, c, b, ctot, off, err := a.partArgs(1, 0)
	if err != nil {
		return err
	}
	y, x := a.s[0], a.s[1][:n]
	for i, v := range x {
		y[partIndex(i, c, b, ctot, off)] = v
	}
	return nil
}

func hkSlicePart(a *hostArgs) error {
	n, c, b, ctot, off, err := a.partArgs(0, 1)
	if err != nil {
		return err
	}
	y, x := a.s[0][:n], a.s[1]
	for i := range y {
		y[i] = x[partIndex(i, c, b, ctot, off)]
	}
	return nil
}

func hkTranspose01(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	v, err := a.ints(1, 1, 2, 3)
	if err != nil {
		return err
	}
	d0, d1, inner := v[0], v[1], v[2]
	if n != d0*d1*inner {
		return a.errorf("n = %d is not D0·D1·inner = %d·%d·%d", n, d0, d1, inner)
	}
	y, x := a.s[0][:n], a.s[1][:n]
	for i := range y {
		r := i % inner
		aa := (i / inner) % d0
		bb := i / (inner * d0)
		y[i] = x[(aa*d1+bb)*inner+r]
	}
	return nil
}

// convGeom reads the geometry of the conv kernels from I[1..12].
func (a *hostArgs) convGeom() (Geom, error) {
	v, err := a.ints(1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	if err != nil {
		return Geom{}, err
	}
	p, err := a.ints(0, 11, 12)
	if err != nil {
		return Geom{}, err
	}
	return Geom{N: v[0], Cout: v[1], H: v[2], W: v[3], Hout: v[4], Wout: v[5],
		KH: v[6], KW: v[7], SH: v[8], SW: v[9], PH: p[0], PW: p[1]}, nil
}

func hkColGather(a *hostArgs) error {
	g, err := a.convGeom()
	if err != nil {
		return err
	}
	n, err := a.elementwise(0)
	if err != nil {
		return err
	}
	nhw := g.N * g.H * g.W
	if n != g.Cout*g.KH*g.KW*nhw {
		return a.errorf("n = %d is not the size of cols, Cout·kH·kW·N·H·W = %d", n, g.Cout*g.KH*g.KW*nhw)
	}
	if err := a.need(1, g.N*g.Cout*g.Hout*g.Wout); err != nil {
		return err
	}
	cols, y := a.s[0][:n], a.s[1]
	for idx := range cols {
		r, q := idx/nhw, idx%nhw
		kj, ki, co := r%g.KW, (r/g.KW)%g.KH, r/(g.KW*g.KH)
		j, i, item := q%g.W, (q/g.W)%g.H, q/(g.W*g.H)
		oy, ox := i*g.SH-g.PH+ki, j*g.SW-g.PW+kj
		v := float32(0)
		if oy >= 0 && oy < g.Hout && ox >= 0 && ox < g.Wout {
			v = y[((item*g.Cout+co)*g.Hout+oy)*g.Wout+ox]
		}
		cols[idx] = v
	}
	return nil
}

func hkColScatter(a *hostArgs) error {
	g, err := a.convGeom()
	if err != nil {
		return err
	}
	n, err := a.elementwise(0)
	if err != nil {
		return err
	}
	if n != g.N*g.Cout*g.Hout*g.Wout {
		return a.errorf("n = %d is not the size of y, N·Cout·Hout·Wout = %d", n, g.N*g.Cout*g.Hout*g.Wout)
	}
	nhw := g.N * g.H * g.W
	if err := a.need(1, g.Cout*g.KH*g.KW*nhw); err != nil {
		return err
	}
	y, cols := a.s[0][:n], a.s[1]
	for idx := range y {
		ox, oy := idx%g.Wout, (idx/g.Wout)%g.Hout
		co, item := (idx/(g.Wout*g.Hout))%g.Cout, idx/(g.Wout*g.Hout*g.Cout)
		sum := float32(0)
		for ki := 0; ki < g.KH; ki++ {
			t := oy + g.PH - ki
			if t < 0 {
				break
			}
			if t%g.SH != 0 || t/g.SH >= g.H {
				continue
			}
			i := t / g.SH
			for kj := 0; kj < g.KW; kj++ {
				u := ox + g.PW - kj
				if u < 0 {
					break
				}
				if u%g.SW != 0 || u/g.SW >= g.W {
					continue
				}
				j := u / g.SW
				sum += cols[((co*g.KH+ki)*g.KW+kj)*nhw+(item*g.H+i)*g.W+j]
			}
		}
		y[idx] = sum
	}
	return nil
}

// blockSum returns Σ term(j) for j < count in float64, added in the order
// of one block of ReduceBlock threads of the CUDA reduction kernels (see
// the top of this file).
func blockSum(count int, term func(j int) float64) float64 {
	var part [ReduceBlock]float64
	for t := range part {
		s := 0.0
		for j := t; j < count; j += ReduceBlock {
			s += term(j)
		}
		part[t] = s
	}
	return treeSum(&part)
}

// treeSum combines a block's partial sums as the CUDA kernels do.
func treeSum(part *[ReduceBlock]float64) float64 {
	for w := ReduceBlock / 2; w > 0; w >>= 1 {
		for t := 0; t < w; t++ {
			part[t] += part[t+w]
		}
	}
	return part[0]
}

func hkSumOuter(a *hostArgs) error {
	v, err := a.ints(0, 0, 1, 2)
	if err != nil {
		return err
	}
	k, aa, b := v[0], v[1], v[2]
	if err := a.need(0, k); err != nil {
		return err
	}
	if err := a.need(1, aa*k*b); err != nil {
		return err
	}
	y, x := a.s[0][:k], a.s[1]
	for o := range y {
		y[o] = float32(blockSum(aa*b, func(j int) float64 {
			return float64(x[((j/b)*k+o)*b+j%b])
		}))
	}
	return nil
}

func hkSumMid(a *hostArgs) error {
	v, err := a.ints(0, 0)
	if err != nil {
		return err
	}
	n := v[0]
	v, err = a.ints(1, 1, 2)
	if err != nil {
		return err
	}
	m, b := v[0], v[1]
	if err := a.need(0, n); err != nil {
		return err
	}
	if n > 0 { // the last output reads furthest
		if err := a.need(1, (((n-1)/b)*m+m-1)*b+(n-1)%b+1); err != nil {
			return err
		}
	}
	y, x := a.s[0][:n], a.s[1]
	for o := range y {
		base := (o/b)*m*b + o%b
		y[o] = float32(blockSum(m, func(j int) float64 { return float64(x[base+j*b]) }))
	}
	return nil
}

// bnArgs checks the arguments of the per-channel reductions: I[0] C,
// I[1] N, I[2] inner, with the [N, C, inner] tensors P[xs] and the [C]
// vectors P[vs].
func (a *hostArgs) bnArgs(xs, vs []int) (c, n, inner int, err error) {
	v, err := a.ints(0, 0)
	if err != nil {
		return
	}
	c = v[0]
	if v, err = a.ints(1, 1, 2); err != nil {
		return
	}
	n, inner = v[0], v[1]
	if err = a.needAll(c, vs...); err != nil {
		return
	}
	err = a.needAll(n*c*inner, xs...)
	return
}

// channelTerm returns the index in [N, C, inner] of term j of channel ch.
func channelIndex(j, ch, c, inner int) int {
	return ((j/inner)*c+ch)*inner + j%inner
}

func hkBNMean(a *hostArgs) error {
	c, n, inner, err := a.bnArgs([]int{1}, []int{0})
	if err != nil {
		return err
	}
	mean, x := a.s[0][:c], a.s[1]
	m := n * inner
	for ch := range mean {
		s := blockSum(m, func(j int) float64 { return float64(x[channelIndex(j, ch, c, inner)]) })
		mean[ch] = float32(s / float64(m))
	}
	return nil
}

func hkBNVar(a *hostArgs) error {
	c, n, inner, err := a.bnArgs([]int{1}, []int{0, 2})
	if err != nil {
		return err
	}
	vr, x, mean := a.s[0][:c], a.s[1], a.s[2]
	m := n * inner
	for ch := range vr {
		mu := float64(mean[ch])
		s := blockSum(m, func(j int) float64 {
			e := float64(x[channelIndex(j, ch, c, inner)]) - mu
			return e * e
		})
		vr[ch] = float32(s / float64(m))
	}
	return nil
}

// invStd is 1/sqrt(v + eps) in float64, as ops.BatchNorm computes it.
func invStd(v, eps float32) float64 { return 1 / math.Sqrt(float64(v)+float64(eps)) }

func hkBNForward(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	v, err := a.ints(1, 1, 2)
	if err != nil {
		return err
	}
	c, inner := v[0], v[1]
	if n > 0 {
		if err := a.needAll(c, 2, 3, 4, 5); err != nil {
			return err
		}
	}
	y, x := a.s[0][:n], a.s[1][:n]
	mean, vr, scale, shift := a.s[2], a.s[3], a.s[4], a.s[5]
	eps := a.p.F[0]
	for i, xv := range x {
		ch := (i / inner) % c
		k := float64(scale[ch]) * invStd(vr[ch], eps)
		d := float64(float64(xv)-float64(mean[ch])) * k
		y[i] = float32(d + float64(shift[ch]))
	}
	return nil
}

func hkBNGradSums(a *hostArgs) error {
	c, n, inner, err := a.bnArgs([]int{1, 4}, []int{2, 3})
	if err != nil {
		return err
	}
	if err := a.need(0, 2*c); err != nil {
		return err
	}
	sums, x, mean, vr, dy := a.s[0][:2*c], a.s[1], a.s[2], a.s[3], a.s[4]
	eps := a.p.F[0]
	m := n * inner
	for ch := 0; ch < c; ch++ {
		mu := float64(mean[ch])
		var p0, p1 [ReduceBlock]float64
		for t := range p0 {
			s0, s1 := 0.0, 0.0
			for j := t; j < m; j += ReduceBlock {
				idx := channelIndex(j, ch, c, inner)
				g := float64(dy[idx])
				s0 += g
				s1 += float64(g * (float64(x[idx]) - mu))
			}
			p0[t], p1[t] = s0, s1
		}
		sums[ch] = float32(treeSum(&p0))
		sums[c+ch] = float32(invStd(vr[ch], eps) * treeSum(&p1))
	}
	return nil
}

func hkBNGradInput(a *hostArgs) error {
	n, err := a.elementwise(0, 1, 6)
	if err != nil {
		return err
	}
	v, err := a.ints(1, 1, 2, 3)
	if err != nil {
		return err
	}
	c, inner, m := v[0], v[1], float64(v[2])
	if n > 0 {
		if err := a.needAll(c, 2, 3, 4); err != nil {
			return err
		}
		if err := a.need(5, 2*c); err != nil {
			return err
		}
	}
	dx, x, dy := a.s[0][:n], a.s[1][:n], a.s[6][:n]
	mean, vr, scale, sums := a.s[2], a.s[3], a.s[4], a.s[5]
	eps := a.p.F[0]
	for i, xv := range x {
		ch := (i / inner) % c
		is := invStd(vr[ch], eps)
		k := float64(scale[ch]) * is
		dyMean := float64(sums[ch]) / m
		q := float64(is*float64(sums[c+ch])) / m
		e := float64(float64(xv)-float64(mean[ch])) * q
		dx[i] = float32(k * (float64(dy[i]) - dyMean - e))
	}
	return nil
}

func hkBNRunning(a *hostArgs) error {
	c, err := a.elementwise(0, 1, 2, 3)
	if err != nil {
		return err
	}
	mom, unbias := float64(a.p.F[0]), float64(a.p.F[1])
	rm, rv, bm, bv := a.s[0][:c], a.s[1][:c], a.s[2][:c], a.s[3][:c]
	for i := range rm {
		rm[i] = float32(float64((1-mom)*float64(rm[i])) + float64(mom*float64(bm[i])))
		rv[i] = float32(float64((1-mom)*float64(rv[i])) + float64(mom*unbias*float64(bv[i])))
	}
	return nil
}

func hkAdam(a *hostArgs) error {
	n, err := a.elementwise(0, 1, 2, 3)
	if err != nil {
		return err
	}
	f := &a.p.F
	b1, c1, b2, c2, step, isb2, eps := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	p, g, m, v := a.s[0][:n], a.s[1][:n], a.s[2][:n], a.s[3][:n]
	for i := range p {
		gi := g[i]
		mi := float32(b1*m[i]) + float32(c1*gi)
		vi := float32(b2*v[i]) + float32(float32(c2*gi)*gi)
		m[i], v[i] = mi, vi
		p[i] -= float32(step*mi) / (float32(float32(math.Sqrt(float64(vi)))*isb2) + eps)
	}
	return nil
}

func hkSGD(a *hostArgs) error {
	n, err := a.elementwise(0, 1)
	if err != nil {
		return err
	}
	lr, mu := float64(a.p.F[0]), float64(a.p.F[1])
	nesterov := a.p.I[1] != 0
	p, g := a.s[0][:n], a.s[1][:n]
	if mu == 0 {
		for i := range p {
			p[i] = float32(float64(p[i]) - float64(lr*float64(g[i])))
		}
		return nil
	}
	if err := a.need(2, n); err != nil {
		return err
	}
	buf := a.s[2][:n]
	for i := range p {
		gi := float64(g[i])
		v := float64(mu*float64(buf[i])) + gi
		buf[i] = float32(v)
		d := v
		if nesterov {
			d = gi + float64(mu*v)
		}
		p[i] = float32(float64(p[i]) - float64(lr*d))
	}
	return nil
}

func hkRMSProp(a *hostArgs) error {
	n, err := a.elementwise(0, 1, 2)
	if err != nil {
		return err
	}
	lr, al, eps := float64(a.p.F[0]), float64(a.p.F[1]), float64(a.p.F[2])
	p, g, sq := a.s[0][:n], a.s[1][:n], a.s[2][:n]
	for i := range p {
		gi := float64(g[i])
		s := float64(al*float64(sq[i])) + float64((1-al)*gi*gi)
		sq[i] = float32(s)
		p[i] = float32(float64(p[i]) - float64(lr*gi)/(math.Sqrt(s)+eps))
	}
	return nil
}

func hkCheckFinite(a *hostArgs) error {
	n, err := a.elementwise(1)
	if err != nil {
		return err
	}
	v, err := a.ints(0, 1)
	if err != nil {
		return err
	}
	if err := a.need(0, v[0]+1); err != nil {
		return err
	}
	for _, x := range a.s[1][:n] {
		if math32.IsNaN(x) || math32.IsInf(x, 0) {
			a.s[0][v[0]] = 1
			break
		}
	}
	return nil
}
