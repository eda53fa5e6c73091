package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MinibatchKernels returns the per-sample statistic of minibatch
// discrimination (Salimans et al. 2016, §3.2) for m of shape [n, B·C], the
// product f·T of the layer's features and tensor, read as n samples of B
// kernel rows of C entries each:
//
//	o[i, b] = Σ_j exp(−Σ_c |m[i, b, c] − m[j, b, c]|)
//
// of shape [n, B], the sum over j running over the whole batch including
// j = i (whose term is exp(0) = 1). It is one op where the composite
// Gorgonia graph (a broadcast subtraction over an n×n×B·C tensor, Abs,
// Sum, Neg, Exp, Sum) makes six passes over n²·B·C values: this one takes
// O(n²·B·C) time with no n²·B·C buffer, each output row computed by one
// goroutine (rows spread over GOMAXPROCS), so that the results do not
// depend on the thread count. The exponentials are computed in float64
// and the sums over j accumulated in float64, for float32 and float64.
//
// Its gradient with respect to m, for an upstream gradient g of shape
// [n, B], is
//
//	dm[k, b, c] = −Σ_j (g[k, b] + g[j, b])·e[k, j, b]·sign(m[k, b, c] − m[j, b, c])
//
// with e[k, j, b] = exp(−Σ_c |m[k, b, c] − m[j, b, c]|) and sign(0) = 0
// (Gorgonia's gradient of |x| at 0). That gradient is itself
// differentiable, once, with respect to m and g, so that a loss
// containing it (a gradient penalty on a discriminator with minibatch
// discrimination) can be differentiated; the second-order nodes are not
// differentiable again.
func MinibatchKernels(m *G.Node, kernels int) (*G.Node, error) {
	if m == nil {
		return nil, fmt.Errorf("ops: MinibatchKernels: nil input")
	}
	if err := checkDtype(m.Dtype()); err != nil {
		return nil, fmt.Errorf("ops: MinibatchKernels: %w", err)
	}
	op := mbdOp{kind: mbdForward, kernels: kernels}
	if _, _, err := op.resolve([]tensor.Shape{m.Shape()}); err != nil {
		return nil, err
	}
	return apply(op, m)
}

// mbdKind selects one of the minibatch discrimination ops. With
// e[k, j, b] and s[k, j, b, c] = sign(m[k, b, c] − m[j, b, c]) as in
// MinibatchKernels, and u[p, j, b] = Σ_c s[p, j, b, c]·(h[p, b, c] −
// h[j, b, c]) for an [n, B·C] input h:
type mbdKind int

const (
	mbdForward mbdKind = iota // m → o[i, b] = Σ_j e[i, j, b]
	mbdGrad                   // m, g → dm[k, b, c] = −Σ_j (g[k, b] + g[j, b])·e·s
	mbdGradG                  // m, h → dg[p, b] = −Σ_j e[p, j, b]·u[p, j, b]
	mbdGradM                  // m, g, h → dm'[p, b, c] = Σ_j (g[p, b] + g[j, b])·e·u·s[p, j, b, c]
)

var mbdNames = [...]string{"MinibatchKernels", "MinibatchKernelsGrad", "MinibatchKernelsGradG", "MinibatchKernelsGradM"}

// mbdArgs are the inputs of each kind: 'm' for an [n, B·C] tensor (m, h),
// 'g' for an [n, B] one.
var mbdArgs = [...]string{"m", "mg", "mm", "mgm"}

// mbdOp is one of the minibatch discrimination ops. Every kernel reads
// its inputs whole before a row of the output is written only by the
// goroutine that computes it, but rows read every other row of the
// inputs: a preallocated output must not alias an input (checked).
type mbdOp struct {
	kind    mbdKind
	kernels int       // B
	cache   *outCache // set by apply; not part of the op's identity
}

var (
	_ G.Op              = mbdOp{}
	_ G.SDOp            = mbdOp{}
	_ G.UsePreallocDoer = mbdOp{}
)

func (op mbdOp) withCache(c *outCache) G.Op { op.cache = c; return op }
func (op mbdOp) outputs() *outCache         { return op.cache }

func (op mbdOp) Arity() int { return len(mbdArgs[op.kind]) }

func (op mbdOp) Type() hm.Type {
	t := G.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}

// mbdDims are the sizes of a minibatch discrimination op: n samples, B
// kernels of dimension C.
type mbdDims struct{ n, b, c int }

// resolve validates the input shapes and returns the sizes and the
// output shape.
func (op mbdOp) resolve(shapes []tensor.Shape) (mbdDims, tensor.Shape, error) {
	args := mbdArgs[op.kind]
	if len(shapes) != len(args) {
		return mbdDims{}, nil, fmt.Errorf("ops: %v: expected %d inputs, got %d", op, len(args), len(shapes))
	}
	if op.kernels <= 0 {
		return mbdDims{}, nil, fmt.Errorf("ops: %v: %d kernels, want > 0", op, op.kernels)
	}
	m := shapes[0]
	if len(m) != 2 || m[0] <= 0 || m[1] <= 0 || m[1]%op.kernels != 0 {
		return mbdDims{}, nil, fmt.Errorf("ops: %v: input shape %v: want [n, B·C] with n, C > 0 and B = %d", op, m, op.kernels)
	}
	d := mbdDims{n: m[0], b: op.kernels, c: m[1] / op.kernels}
	gShape := tensor.Shape{d.n, d.b}
	for i := 1; i < len(args); i++ {
		want := m
		if args[i] == 'g' {
			want = gShape
		}
		if !shapes[i].Eq(want) {
			return mbdDims{}, nil, fmt.Errorf("ops: %v: input %d has shape %v, want %v", op, i, shapes[i], want)
		}
	}
	if op.kind == mbdForward || op.kind == mbdGradG {
		return d, gShape, nil
	}
	return d, m.Clone(), nil
}

func (op mbdOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := shapesOf(op, ds, op.Arity())
	if err != nil {
		return nil, err
	}
	_, out, err := op.resolve(shapes)
	return out, err
}

func (op mbdOp) ReturnsPtr() bool     { return false }
func (op mbdOp) CallsExtern() bool    { return false }
func (op mbdOp) OverwritesInput() int { return -1 }
func (op mbdOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "gogan.minibatch(%d,%d)", op.kind, op.kernels)
}
func (op mbdOp) Hashcode() uint32 { return hashOf(op) }
func (op mbdOp) String() string   { return fmt.Sprintf("%s(B=%d)", mbdNames[op.kind], op.kernels) }

// DiffWRT: the forward op and its gradient are differentiable with
// respect to every input. The second-order ops claim their first input so
// that a third-order G.Grad through them reaches their SymDiff and fails
// loudly instead of dropping their contribution silently.
func (op mbdOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	switch op.kind {
	case mbdForward, mbdGrad:
		for i := range d {
			d[i] = true
		}
	default:
		if n > 0 {
			d[0] = true
		}
	}
	return d
}

// SymDiff: the forward op's gradient is the mbdGrad op; mbdGrad's, with
// respect to m and g, are the mbdGradM and mbdGradG ops (the sign has
// derivative 0 almost everywhere, e[k, j, b] the derivative
// −e·s·(δ_kp − δ_jp) with respect to m[p, b, c]).
func (op mbdOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("ops: %v: expected %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	mk := func(k mbdKind, children ...*G.Node) (*G.Node, error) {
		return apply(mbdOp{kind: k, kernels: op.kernels}, children...)
	}
	switch op.kind {
	case mbdForward:
		dm, err := mk(mbdGrad, inputs[0], grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{dm}, nil
	case mbdGrad:
		m, g := inputs[0], inputs[1]
		dm, err := mk(mbdGradM, m, g, grad)
		if err != nil {
			return nil, err
		}
		dg, err := mk(mbdGradG, m, grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{dm, dg}, nil
	}
	return nil, fmt.Errorf("ops: %v is not differentiable (third-order gradients through minibatch discrimination are not supported)", op)
}

func (op mbdOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo computes the op into prealloc, which must then be a
// contiguous *tensor.Dense of the output's shape and dtype that aliases
// no input (it is overwritten entirely), or into the node's cached
// output if prealloc is nil.
func (op mbdOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("ops: %v: expected %d inputs, got %d", op, op.Arity(), len(vals))
	}
	in := make([]*tensor.Dense, len(vals))
	shapes := make([]tensor.Shape, len(vals))
	for i, v := range vals {
		d, err := denseInput(v, i)
		if err != nil {
			return nil, fmt.Errorf("ops: %v: %w", op, err)
		}
		if i > 0 && d.Dtype() != in[0].Dtype() {
			return nil, fmt.Errorf("ops: %v: dtype mismatch: input 0 is %v, input %d %v", op, in[0].Dtype(), i, d.Dtype())
		}
		in[i], shapes[i] = d, d.Shape()
	}
	dt := in[0].Dtype()
	if err := checkDtype(dt); err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	d, outShape, err := op.resolve(shapes)
	if err != nil {
		return nil, err
	}
	out, err := outputFor(op, op.cache, prealloc, dt, outShape)
	if err != nil {
		return nil, err
	}
	for _, t := range in {
		if t.Uintptr() == out.Uintptr() {
			return nil, fmt.Errorf("ops: %v: preallocated value aliases an input", op)
		}
	}
	switch dt {
	case tensor.Float32:
		mbdRun(op.kind, d, bnData[float32](in), out.Data().([]float32))
	case tensor.Float64:
		mbdRun(op.kind, d, bnData[float64](in), out.Data().([]float64))
	}
	return out, nil
}

// mbdRun computes one of the ops for inputs of validated sizes into out,
// one output row per loop iteration, rows spread over goroutines. A row's
// value depends only on the inputs (its sums run over j in ascending
// order in float64), never on the split.
func mbdRun[T float](kind mbdKind, d mbdDims, in [][]T, out []T) {
	n, nb, nc := d.n, d.b, d.c
	bc := nb * nc
	m := in[0][:n*bc]
	var g, h []T
	switch kind {
	case mbdGrad:
		g = in[1][:n*nb]
	case mbdGradG:
		h = in[1][:n*bc]
	case mbdGradM:
		g, h = in[1][:n*nb], in[2][:n*bc]
	}
	// Rows cost the same; a chunk of rows per worker, at least a few
	// thousand pair-kernels of work each so that tiny batches stay on one
	// goroutine.
	workers := numWorkers(max(1, min(n, n*n*bc/(1<<14))))
	parallelFor(n, workers, func(_, lo, hi int) {
		acc := make([]float64, bc)
		for i := lo; i < hi; i++ {
			mi := m[i*bc : (i+1)*bc]
			clear(acc)
			for j := range n {
				mj := m[j*bc : (j+1)*bc]
				for b := range nb {
					x, y := mi[b*nc:(b+1)*nc], mj[b*nc:(b+1)*nc]
					var dist T
					for c, v := range x {
						dist += abs(v - y[c])
					}
					e := math.Exp(-float64(dist))
					switch kind {
					case mbdForward:
						acc[b] += e
					case mbdGrad:
						w := (float64(g[i*nb+b]) + float64(g[j*nb+b])) * e
						a := acc[b*nc : (b+1)*nc]
						for c, v := range x {
							a[c] -= w * sign(v-y[c])
						}
					case mbdGradG, mbdGradM:
						hi, hj := h[i*bc+b*nc:i*bc+(b+1)*nc], h[j*bc+b*nc:j*bc+(b+1)*nc]
						var u float64
						for c, v := range x {
							u += sign(v-y[c]) * (float64(hi[c]) - float64(hj[c]))
						}
						if kind == mbdGradG {
							acc[b] -= e * u
							continue
						}
						w := (float64(g[i*nb+b]) + float64(g[j*nb+b])) * e * u
						a := acc[b*nc : (b+1)*nc]
						for c, v := range x {
							a[c] += w * sign(v-y[c])
						}
					}
				}
			}
			if kind == mbdForward || kind == mbdGradG {
				for b, v := range acc[:nb] {
					out[i*nb+b] = T(v)
				}
			} else {
				for k, v := range acc {
					out[i*bc+k] = T(v)
				}
			}
		}
	})
}

// abs is |x| (NaN stays NaN).
func abs[T float](x T) T {
	if x < 0 {
		return -x
	}
	return x
}

// sign is −1, 0 or 1 as a float64; NaN gives 0 (a NaN input still
// propagates, through the exponential of the distance).
func sign[T float](x T) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
