package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm returns the training-mode batch normalisation of x, shape
// [N, C] or [N, C, H, W], with the statistics of the batch itself:
//
//	y[n, c, …] = (x[n, c, …] − mean_c)/sqrt(var_c + eps)·scale_c + shift_c
//
// where mean_c and var_c are the mean and the biased variance (divided by
// M = N·H·W) of channel c over every axis but axis 1. scale (γ) and shift
// (β) have shape [C] and x's dtype (Float32 or Float64); eps must be ≥ 0
// and finite. Per-channel sums are accumulated in float64 for both dtypes.
//
// The graph gets three forward nodes: the statistics of BatchStats(x)
// (which Gorgonia merges with those of a BatchStats call on the same x, so
// reading them costs no recomputation) and the normalisation itself. The
// result is differentiable once with respect to x, scale and shift with
// G.Grad: the gradient with respect to x includes the paths through the
// batch statistics,
//
//	dx = (γ·invstd/M)·(M·dy − Σdy − x̂·Σ(dy·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy,
//
// with x̂ = (x − mean)·invstd and sums per channel, computed by two passes
// over x and dy. The gradient nodes are not differentiable again:
// differentiating through them fails with an error.
func BatchNorm(x, scale, shift *G.Node, eps float64) (*G.Node, error) {
	if x == nil || scale == nil || shift == nil {
		return nil, fmt.Errorf("ops: BatchNorm: nil input (x: %v, scale: %v, shift: %v)", x != nil, scale != nil, shift != nil)
	}
	if eps < 0 || math.IsNaN(eps) || math.IsInf(eps, 0) {
		return nil, fmt.Errorf("ops: BatchNorm: eps must be finite and ≥ 0, got %v", eps)
	}
	if scale.Dtype() != x.Dtype() || shift.Dtype() != x.Dtype() {
		return nil, fmt.Errorf("ops: BatchNorm: dtype mismatch: x %v, scale %v, shift %v", x.Dtype(), scale.Dtype(), shift.Dtype())
	}
	op := bnOp{kind: bnForward, rank: len(x.Shape()), eps: eps}
	if xs := x.Shape(); len(xs) >= 2 {
		c := tensor.Shape{xs[1]}
		if _, _, err := op.resolve([]tensor.Shape{xs, c, c, scale.Shape(), shift.Shape()}); err != nil {
			return nil, err
		}
	}
	mean, variance, err := BatchStats(x)
	if err != nil {
		return nil, fmt.Errorf("ops: BatchNorm: %w", err)
	}
	y, err := apply(op, x, mean, variance, scale, shift)
	if err != nil {
		return nil, fmt.Errorf("ops: BatchNorm: x %v, scale %v, shift %v: %w", x.Shape(), scale.Shape(), shift.Shape(), err)
	}
	return y, nil
}

// BatchStats returns the per-channel mean and biased variance (divided by
// M = N·H·W) of x, shape [N, C] or [N, C, H, W], over every axis but axis
// 1, each of shape [C] and x's dtype (Float32 or Float64), computed in
// float64 with two passes over x. They are meant to be read (G.Read), for
// example to update running statistics; they are not differentiable, and
// G.Grad fails with an error if a loss depends on them.
func BatchStats(x *G.Node) (mean, variance *G.Node, err error) {
	if x == nil {
		return nil, nil, fmt.Errorf("ops: BatchStats: nil input")
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, nil, fmt.Errorf("ops: BatchStats: x %v: %w", x.Shape(), err)
	}
	rank := len(x.Shape())
	if _, _, err := (bnOp{kind: bnMean, rank: rank}).resolve([]tensor.Shape{x.Shape()}); err != nil {
		return nil, nil, err
	}
	if mean, err = apply(bnOp{kind: bnMean, rank: rank}, x); err != nil {
		return nil, nil, fmt.Errorf("ops: BatchStats: %w", err)
	}
	if variance, err = apply(bnOp{kind: bnVar, rank: rank}, x, mean); err != nil {
		return nil, nil, fmt.Errorf("ops: BatchStats: %w", err)
	}
	return mean, variance, nil
}

// bnKind selects what a bnOp computes. V is a [C] vector, X the input's
// shape and S a [2, C] matrix of the gradient sums (row 0: Σdy, row 1:
// Σdy·x̂, per channel).
type bnKind int

const (
	bnMean    bnKind = iota // x → mean (V)
	bnVar                   // x, mean → biased variance (V)
	bnForward               // x, mean, var, γ, β → y (X)
	bnSums                  // x, mean, var, dy → S
	bnGradX                 // x, mean, var, γ, S, dy → dx (X)
	bnSumRow0               // S → dβ = Σdy (V)
	bnSumRow1               // S → dγ = Σdy·x̂ (V)
)

var bnKindNames = [...]string{"BatchMean", "BatchVar", "BatchNorm", "BatchNormGradSums", "BatchNormGradInput", "BatchNormGradShift", "BatchNormGradScale"}

// bnArgs are the input kinds of each op, in order: 'x' for an X-shaped
// tensor, 'v' for a [C] vector, 's' for the [2, C] sums.
var bnArgs = [...]string{"x", "xv", "xvvvv", "xvvx", "xvvvsx", "s", "s"}

// bnArgNames name the inputs in error messages.
var bnArgNames = [...][]string{
	{"x"},
	{"x", "mean"},
	{"x", "mean", "variance", "scale", "shift"},
	{"x", "mean", "variance", "dy"},
	{"x", "mean", "variance", "scale", "sums", "dy"},
	{"sums"},
	{"sums"},
}

// bnOp is one of the batch normalisation ops, for inputs of rank 2 or 4.
// The statistics (mean, variance) and the gradient sums are inputs of the
// ops that need them, so every pass over x is made once. The forward op
// declares mean and variance non-differentiable: its SymDiff returns the
// whole gradient with respect to x, paths through the statistics
// included.
//
// Every kernel reads its per-channel inputs into scratch before writing
// and writes X-shaped outputs elementwise, so a preallocated output that
// aliases an input of its shape is safe.
type bnOp struct {
	kind  bnKind
	rank  int       // rank of x: 2 or 4
	eps   float64   // bnForward, bnSums, bnGradX
	cache *outCache // set by apply; not part of the op's identity
}

func (op bnOp) withCache(c *outCache) G.Op { op.cache = c; return op }

var (
	_ G.Op              = bnOp{}
	_ G.SDOp            = bnOp{}
	_ G.UsePreallocDoer = bnOp{}
)

func (op bnOp) Arity() int { return len(bnArgs[op.kind]) }

func (op bnOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	of := func(c byte) hm.Type {
		switch c {
		case 'x':
			return G.TensorType{Dims: op.rank, Of: a}
		case 'v':
			return G.TensorType{Dims: 1, Of: a}
		default:
			return G.TensorType{Dims: 2, Of: a}
		}
	}
	var ts []hm.Type
	for _, c := range []byte(bnArgs[op.kind]) {
		ts = append(ts, of(c))
	}
	switch op.kind {
	case bnMean, bnVar, bnSumRow0, bnSumRow1:
		ts = append(ts, of('v'))
	case bnSums:
		ts = append(ts, of('s'))
	default:
		ts = append(ts, of('x'))
	}
	return hm.NewFnType(ts...)
}

func (op bnOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("ops: %v: expected tensor.Shape for input %d, got %T", op, i, d)
		}
		shapes[i] = s
	}
	_, out, err := op.resolve(shapes)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// bnDims is the layout of a batch norm input: n blocks of c channels of
// inner contiguous elements each (inner = H·W, or 1 for [N, C]).
type bnDims struct{ n, c, inner int }

// count is the number of elements per channel, M.
func (d bnDims) count() int { return d.n * d.inner }
func (d bnDims) size() int  { return d.n * d.c * d.inner }

func allPositive(s tensor.Shape) bool {
	for _, v := range s {
		if v <= 0 {
			return false
		}
	}
	return true
}

// resolve validates the input shapes and returns the layout and the
// output shape.
func (op bnOp) resolve(shapes []tensor.Shape) (bnDims, tensor.Shape, error) {
	args := bnArgs[op.kind]
	if len(shapes) != len(args) {
		return bnDims{}, nil, fmt.Errorf("ops: %v: expected %d inputs, got %d", op, len(args), len(shapes))
	}
	if args[0] == 's' {
		s := shapes[0]
		if len(s) != 2 || s[0] != 2 || s[1] <= 0 {
			return bnDims{}, nil, fmt.Errorf("ops: %v: sums must have shape [2, C], got %v", op, s)
		}
		return bnDims{c: s[1]}, tensor.Shape{s[1]}, nil
	}
	xShape := shapes[0]
	switch {
	case len(xShape) != op.rank || (op.rank != 2 && op.rank != 4):
		return bnDims{}, nil, fmt.Errorf("ops: %v: x must be [N, C] or [N, C, H, W], got shape %v", op, xShape)
	case !allPositive(xShape):
		return bnDims{}, nil, fmt.Errorf("ops: %v: x must have positive dimensions, got shape %v", op, xShape)
	}
	d := bnDims{n: xShape[0], c: xShape[1], inner: 1}
	if op.rank == 4 {
		d.inner = xShape[2] * xShape[3]
	}
	names := bnArgNames[op.kind]
	for i := 1; i < len(args); i++ {
		s := shapes[i]
		switch args[i] {
		case 'v':
			if len(s) != 1 || s[0] != d.c {
				return bnDims{}, nil, fmt.Errorf("ops: %v: %s must have shape [%d] (C of x %v), got %v", op, names[i], d.c, xShape, s)
			}
		case 's':
			if len(s) != 2 || s[0] != 2 || s[1] != d.c {
				return bnDims{}, nil, fmt.Errorf("ops: %v: %s must have shape [2, %d], got %v", op, names[i], d.c, s)
			}
		case 'x':
			if !s.Eq(xShape) {
				return bnDims{}, nil, fmt.Errorf("ops: %v: %s must have x's shape %v, got %v", op, names[i], xShape, s)
			}
		}
	}
	switch op.kind {
	case bnMean, bnVar:
		return d, tensor.Shape{d.c}, nil
	case bnSums:
		return d, tensor.Shape{2, d.c}, nil
	default:
		return d, xShape.Clone(), nil
	}
}

func (op bnOp) ReturnsPtr() bool     { return false }
func (op bnOp) CallsExtern() bool    { return false }
func (op bnOp) OverwritesInput() int { return -1 }
func (op bnOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "gogan.batchnorm(%d,%d,%v)", op.kind, op.rank, op.eps)
}
func (op bnOp) Hashcode() uint32 { return hashOf(op) }
func (op bnOp) String() string {
	switch op.kind {
	case bnForward, bnSums, bnGradX:
		return fmt.Sprintf("%s(eps=%v)", bnKindNames[op.kind], op.eps)
	}
	return bnKindNames[op.kind]
}

// DiffWRT: the forward op is differentiable with respect to x, γ and β
// (not the statistics: its gradient includes their paths). The other ops
// claim differentiability with respect to their first input so that a
// second-order G.Grad through them reaches their SymDiff and fails loudly
// instead of dropping their contribution silently.
func (op bnOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	switch op.kind {
	case bnForward:
		copy(d, []bool{true, false, false, true, true})
	default:
		if n > 0 {
			d[0] = true
		}
	}
	return d
}

// SymDiff of the forward op returns dx, dγ and dβ (nil for the
// statistics); the gradient sums are computed once, by one node, and
// shared.
func (op bnOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.kind != bnForward {
		return nil, fmt.Errorf("ops: %v is not differentiable (second-order gradients through BatchNorm and BatchStats are not supported)", op)
	}
	if len(inputs) != 5 {
		return nil, fmt.Errorf("ops: %v: expected 5 inputs, got %d", op, len(inputs))
	}
	x, mean, variance, scale := inputs[0], inputs[1], inputs[2], inputs[3]
	sums, err := apply(bnOp{kind: bnSums, rank: op.rank, eps: op.eps}, x, mean, variance, grad)
	if err != nil {
		return nil, err
	}
	dx, err := apply(bnOp{kind: bnGradX, rank: op.rank, eps: op.eps}, x, mean, variance, scale, sums, grad)
	if err != nil {
		return nil, err
	}
	dScale, err := apply(bnOp{kind: bnSumRow1, rank: op.rank}, sums)
	if err != nil {
		return nil, err
	}
	dShift, err := apply(bnOp{kind: bnSumRow0, rank: op.rank}, sums)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil, nil, dScale, dShift}, nil
}

func (op bnOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo computes the op into prealloc, which must then be a
// contiguous *tensor.Dense of the output's shape and dtype (it is
// overwritten entirely), or into a new tensor if prealloc is nil.
func (op bnOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, shapes, dt, err := denseInputs(op, vals)
	if err != nil {
		return nil, err
	}
	d, outShape, err := op.resolve(shapes)
	if err != nil {
		return nil, err
	}
	out, err := outputFor(op, op.cache, prealloc, dt, outShape)
	if err != nil {
		return nil, err
	}
	switch dt {
	case tensor.Float32:
		bnRun(op, d, bnData[float32](in), out.Data().([]float32))
	case tensor.Float64:
		bnRun(op, d, bnData[float64](in), out.Data().([]float64))
	}
	return out, nil
}

// bnData returns the backing slices of ts, which have dtype T.
func bnData[T float](ts []*tensor.Dense) [][]T {
	s := make([][]T, len(ts))
	for i, t := range ts {
		s[i] = t.Data().([]T)
	}
	return s
}

// bnRun runs op's kernel on inputs in of validated shapes, writing out.
// Per-channel inputs are read into float64 scratch before out is written.
func bnRun[T float](op bnOp, d bnDims, in [][]T, out []T) {
	c := d.c
	switch op.kind {
	case bnSumRow0:
		copy(out[:c], in[0][:c])
		return
	case bnSumRow1:
		copy(out[:c], in[0][c:2*c])
		return
	}
	scratch := make([]float64, 4*c)
	mean, invStd, a, b := scratch[:c], scratch[c:2*c], scratch[2*c:3*c], scratch[3*c:]
	x := in[0][:d.size()]
	if op.kind == bnMean {
		bnChannelSums(d, x, mean)
		m := float64(d.count())
		for ch := range mean {
			mean[ch] /= m
		}
		bnNarrow(out[:c], mean)
		return
	}
	bnWiden(mean, in[1][:c])
	if op.kind == bnVar {
		bnChannelSqDev(d, x, mean, a)
		m := float64(d.count())
		for ch := range a {
			a[ch] /= m
		}
		bnNarrow(out[:c], a)
		return
	}
	for ch, v := range in[2][:c] {
		invStd[ch] = 1 / math.Sqrt(float64(v)+op.eps)
	}
	switch op.kind {
	case bnForward: // y = (x − mean)·(γ·invstd) + β
		scale, shift := in[3][:c], in[4][:c]
		for ch := range c {
			a[ch] = float64(scale[ch]) * invStd[ch]
			b[ch] = float64(shift[ch])
		}
		bnAffine(d, x, out[:d.size()], mean, a, b)
	case bnSums: // row 0: Σdy; row 1: Σdy·x̂ = invstd·Σdy·(x − mean)
		bnGradSums(d, x, in[3][:d.size()], mean, a, b)
		for ch := range c {
			b[ch] *= invStd[ch]
		}
		bnNarrow(out[:c], a)
		bnNarrow(out[c:2*c], b)
	case bnGradX:
		// dx = (γ·invstd/M)·(M·dy − Σdy − x̂·Σ(dy·x̂))
		//    = k·(dy − Σdy/M − (x − mean)·q), with k = γ·invstd and
		// q = invstd·Σ(dy·x̂)/M.
		scale, sums := in[3][:c], in[4][:2*c]
		m := float64(d.count())
		k, dyMean, q := a, b, invStd
		for ch := range c {
			k[ch] = float64(scale[ch]) * invStd[ch]
			dyMean[ch] = float64(sums[ch]) / m
			q[ch] = invStd[ch] * float64(sums[c+ch]) / m
		}
		bnGradInput(d, x, in[5][:d.size()], out[:d.size()], mean, k, dyMean, q)
	}
}

func bnWiden[T float](dst []float64, src []T) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

func bnNarrow[T float](dst []T, src []float64) {
	for i, v := range src {
		dst[i] = T(v)
	}
}

// The kernels below run over x in memory order, block (batch item) by
// block, adding each channel's partial sum (four interleaved
// accumulators, for instruction-level parallelism) to its float64 total:
// the order of the additions depends only on the shape, so results are
// deterministic.

// bnChannelSums sets sum[ch] to Σ x over channel ch.
func bnChannelSums[T float](d bnDims, x []T, sum []float64) {
	clear(sum)
	blk := d.c * d.inner
	for i := 0; i < d.n; i++ {
		xb := x[i*blk : (i+1)*blk]
		if d.inner == 1 {
			for ch, v := range xb {
				sum[ch] += float64(v)
			}
			continue
		}
		for ch := range sum {
			r := xb[ch*d.inner : (ch+1)*d.inner]
			var s0, s1, s2, s3 float64
			j := 0
			for ; j+4 <= len(r); j += 4 {
				s0 += float64(r[j])
				s1 += float64(r[j+1])
				s2 += float64(r[j+2])
				s3 += float64(r[j+3])
			}
			for ; j < len(r); j++ {
				s0 += float64(r[j])
			}
			sum[ch] += (s0 + s1) + (s2 + s3)
		}
	}
}

// bnChannelSqDev sets sq[ch] to Σ (x − mean[ch])² over channel ch.
func bnChannelSqDev[T float](d bnDims, x []T, mean, sq []float64) {
	clear(sq)
	blk := d.c * d.inner
	for i := 0; i < d.n; i++ {
		xb := x[i*blk : (i+1)*blk]
		if d.inner == 1 {
			for ch, v := range xb {
				e := float64(v) - mean[ch]
				sq[ch] += e * e
			}
			continue
		}
		for ch := range sq {
			r, mu := xb[ch*d.inner:(ch+1)*d.inner], mean[ch]
			var s0, s1, s2, s3 float64
			j := 0
			for ; j+4 <= len(r); j += 4 {
				e0, e1, e2, e3 := float64(r[j])-mu, float64(r[j+1])-mu, float64(r[j+2])-mu, float64(r[j+3])-mu
				s0 += e0 * e0
				s1 += e1 * e1
				s2 += e2 * e2
				s3 += e3 * e3
			}
			for ; j < len(r); j++ {
				e := float64(r[j]) - mu
				s0 += e * e
			}
			sq[ch] += (s0 + s1) + (s2 + s3)
		}
	}
}

// bnGradSums sets sumDy[ch] to Σ dy and sumDyXc[ch] to Σ dy·(x − mean[ch])
// over channel ch.
func bnGradSums[T float](d bnDims, x, dy []T, mean, sumDy, sumDyXc []float64) {
	clear(sumDy)
	clear(sumDyXc)
	blk := d.c * d.inner
	for i := 0; i < d.n; i++ {
		xb, gb := x[i*blk:(i+1)*blk], dy[i*blk:(i+1)*blk]
		if d.inner == 1 {
			for ch, v := range xb {
				g := float64(gb[ch])
				sumDy[ch] += g
				sumDyXc[ch] += g * (float64(v) - mean[ch])
			}
			continue
		}
		for ch := range sumDy {
			r, gr, mu := xb[ch*d.inner:(ch+1)*d.inner], gb[ch*d.inner:(ch+1)*d.inner], mean[ch]
			gr = gr[:len(r)]
			var g0, g1, g2, g3, p0, p1, p2, p3 float64
			j := 0
			for ; j+4 <= len(r); j += 4 {
				a0, a1, a2, a3 := float64(gr[j]), float64(gr[j+1]), float64(gr[j+2]), float64(gr[j+3])
				g0 += a0
				g1 += a1
				g2 += a2
				g3 += a3
				p0 += a0 * (float64(r[j]) - mu)
				p1 += a1 * (float64(r[j+1]) - mu)
				p2 += a2 * (float64(r[j+2]) - mu)
				p3 += a3 * (float64(r[j+3]) - mu)
			}
			for ; j < len(r); j++ {
				a := float64(gr[j])
				g0 += a
				p0 += a * (float64(r[j]) - mu)
			}
			sumDy[ch] += (g0 + g1) + (g2 + g3)
			sumDyXc[ch] += (p0 + p1) + (p2 + p3)
		}
	}
}

// bnAffine sets y = (x − mean[ch])·a[ch] + b[ch] elementwise, computed in
// float64. y may alias x.
func bnAffine[T float](d bnDims, x, y []T, mean, a, b []float64) {
	blk := d.c * d.inner
	for i := 0; i < d.n; i++ {
		xb, yb := x[i*blk:(i+1)*blk], y[i*blk:(i+1)*blk]
		for ch := range d.c {
			r, o := xb[ch*d.inner:(ch+1)*d.inner], yb[ch*d.inner:(ch+1)*d.inner]
			if r32, ok := any(r).([]float32); ok {
				bnAffineRow32(r32, any(o).([]float32), mean[ch], a[ch], b[ch])
				continue
			}
			bnAffineRowGo(r, o, mean[ch], a[ch], b[ch])
		}
	}
}

// bnAffineRowGo is bnAffine's loop over one channel's row.
func bnAffineRowGo[T float](r, o []T, mu, ka, kb float64) {
	o = o[:len(r)]
	for j, v := range r {
		o[j] = T(float64((float64(v)-mu)*ka) + kb) // the conversion forbids a fused multiply-add, as in the assembly loop
	}
}

// bnGradInput sets dx = k[ch]·(dy − dyMean[ch] − (x − mean[ch])·q[ch])
// elementwise, computed in float64. dx may alias x or dy.
func bnGradInput[T float](d bnDims, x, dy, dx []T, mean, k, dyMean, q []float64) {
	blk := d.c * d.inner
	for i := 0; i < d.n; i++ {
		xb, gb, ob := x[i*blk:(i+1)*blk], dy[i*blk:(i+1)*blk], dx[i*blk:(i+1)*blk]
		for ch := range d.c {
			lo, hi := ch*d.inner, (ch+1)*d.inner
			r, gr, o := xb[lo:hi], gb[lo:hi], ob[lo:hi]
			if r32, ok := any(r).([]float32); ok {
				bnGradInputRow32(r32, any(gr).([]float32), any(o).([]float32), mean[ch], k[ch], dyMean[ch], q[ch])
				continue
			}
			bnGradInputRowGo(r, gr, o, mean[ch], k[ch], dyMean[ch], q[ch])
		}
	}
}

// bnGradInputRowGo is bnGradInput's loop over one channel's row.
func bnGradInputRowGo[T float](r, gr, o []T, mu, kk, gm, qq float64) {
	gr, o = gr[:len(r)], o[:len(r)]
	for j, v := range r {
		o[j] = T(kk * (float64(gr[j]) - gm - float64((float64(v)-mu)*qq))) // no fused multiply-add, as in the assembly loop
	}
}
