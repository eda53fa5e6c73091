package ops

import (
	"fmt"
	"hash"
	"math"
	"sync"

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
// O(n²·B·C) time with no n²·B·C buffer. The forward op and its gradient
// compute the closeness of each pair once (n(n+1)/2·B exponentials, into
// a pooled n×n×B scratch buffer), then each output row in one goroutine
// (rows spread over GOMAXPROCS); no value depends on the thread count.
// The gradient node reuses the closeness its forward node computed when
// its m is the same bit for bit (a training step), and computes it
// otherwise.
// The exponentials are computed in float64 (stored in the element type)
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
	op := mbdOp{kind: mbdForward, kernels: kernels, pairs: new(mbdPairs)}
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
	// pairs is shared by a forward node and the gradient node its SymDiff
	// builds: the closeness of every pair that the forward op computed,
	// which the gradient reuses when its m is the forward's m bit for bit
	// (as in a training step); nil: always compute. Not part of the op's
	// identity.
	pairs *mbdPairs
}

// mbdPairs is the closeness buffer a forward node hands to its gradient:
// e (n×n×B) computed from m, of which it keeps a copy to check against.
type mbdPairs struct {
	mu   sync.Mutex
	m, e any // []float32 or []float64
}

// reuse returns the cached closeness if it was computed from values equal
// to m bit for bit (a NaN never matches), else nil.
func mbdReuse[T float](p *mbdPairs, m []T) []T {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cm, ok := p.m.([]T)
	if !ok || len(cm) != len(m) {
		return nil
	}
	for i, v := range m {
		if v != cm[i] {
			return nil
		}
	}
	e, _ := p.e.([]T)
	return e
}

// store makes e, computed from m, the cached closeness; e and the copy of
// m are the cache's own buffers, reused when the sizes stay.
func mbdStore[T float](p *mbdPairs, m []T, e []T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cm, _ := p.m.([]T)
	ce, _ := p.e.([]T)
	if len(cm) != len(m) {
		cm = make([]T, len(m))
	}
	if len(ce) != len(e) {
		ce = make([]T, len(e))
	}
	copy(cm, m)
	copy(ce, e)
	p.m, p.e = cm, ce
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
		dm, err := apply(mbdOp{kind: mbdGrad, kernels: op.kernels, pairs: op.pairs}, inputs[0], grad)
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
	for _, t := range in {
		if t.Uintptr() == out.Uintptr() {
			return nil, fmt.Errorf("ops: %v: preallocated value aliases an input", op)
		}
	}
	switch dt {
	case tensor.Float32:
		mbdRun(op.kind, op.pairs, d, bnData[float32](in), out.Data().([]float32))
	case tensor.Float64:
		mbdRun(op.kind, op.pairs, d, bnData[float64](in), out.Data().([]float64))
	}
	return out, nil
}

// mbdRun computes one of the ops for inputs of validated sizes into out.
// Every value is independent of how rows are split among goroutines: a
// pair's closeness is computed once, by one goroutine, with the same
// operations whichever it is, and each output row sums over j in
// ascending order in float64 in the goroutine that owns the row.
func mbdRun[T float](kind mbdKind, pairs *mbdPairs, d mbdDims, in [][]T, out []T) {
	n, nb, nc := d.n, d.b, d.c
	bc := nb * nc
	m := in[0][:n*bc]
	// At least a few thousand pair-kernels of work per goroutine, so that
	// tiny batches stay on one.
	workers := numWorkers(max(1, min(n, n*n*bc/(1<<14))))
	switch kind {
	case mbdForward, mbdGrad:
		// The closeness e[i, j, b] = e[j, i, b] of every pair, computed
		// once for i ≤ j (n(n+1)/2·B exponentials instead of n²·B) into an
		// n×n×B buffer, then summed row by row.
		// The gradient reuses its forward node's buffer when m is the
		// same; the forward node stores a copy for it (a memory copy of
		// n²·B values against n(n+1)/2·B exponentials).
		var e []T
		if kind == mbdGrad {
			e = mbdReuse(pairs, m)
		}
		if e == nil {
			e = getBuf[T](n * n * nb)
			defer putBuf(e)
			mbdCloseness(m, n, nb, nc, workers, e)
			if kind == mbdForward && pairs != nil {
				mbdStore(pairs, m, e)
			}
		}
		if kind == mbdForward {
			parallelFor(n, workers, func(_, lo, hi int) {
				acc := make([]float64, nb)
				for i := lo; i < hi; i++ {
					clear(acc)
					for j := range n {
						row := e[(i*n+j)*nb : (i*n+j+1)*nb]
						for b, v := range row {
							acc[b] += float64(v)
						}
					}
					for b, v := range acc {
						out[i*nb+b] = T(v)
					}
				}
			})
			return
		}
		g := in[1][:n*nb]
		parallelFor(n, workers, func(_, lo, hi int) {
			acc, wide := make([]float64, bc), make([]float64, bc)
			for i := lo; i < hi; i++ {
				clear(acc)
				mi, gi := m[i*bc:(i+1)*bc], g[i*nb:(i+1)*nb]
				for j := range n {
					mj, gj := m[j*bc:(j+1)*bc], g[j*nb:(j+1)*nb]
					row := e[(i*n+j)*nb : (i*n+j+1)*nb]
					// The pair's weights (g[i, b] + g[j, b])·e[i, j, b],
					// repeated over each kernel's C entries, then one flat
					// pass over the B·C entries.
					for b, v := range row {
						w := (float64(gi[b]) + float64(gj[b])) * float64(v)
						for k := b * nc; k < (b+1)*nc; k++ {
							wide[k] = w
						}
					}
					signAxpy(acc, wide, mi, mj)
				}
				for k, v := range acc {
					out[i*bc+k] = T(v)
				}
			}
		})
		return
	}
	// The second-order ops (gradient penalties only): row by row.
	var g, h []T
	if kind == mbdGradG {
		h = in[1][:n*bc]
	} else {
		g, h = in[1][:n*nb], in[2][:n*bc]
	}
	parallelFor(n, workers, func(_, lo, hi int) {
		acc := make([]float64, bc)
		for i := lo; i < hi; i++ {
			mi, hi := m[i*bc:(i+1)*bc], h[i*bc:(i+1)*bc]
			clear(acc)
			for j := range n {
				mj, hj := m[j*bc:(j+1)*bc], h[j*bc:(j+1)*bc]
				for b := range nb {
					x, y := mi[b*nc:(b+1)*nc], mj[b*nc:(b+1)*nc]
					var dist T
					var u float64
					for c, v := range x {
						dist += abs(v - y[c])
						u += sign(v-y[c]) * (float64(hi[b*nc+c]) - float64(hj[b*nc+c]))
					}
					e := math.Exp(-float64(dist))
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
			if kind == mbdGradG {
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

// mbdCloseness writes e[i, j, b] = e[j, i, b] = exp(−Σ_c |m[i, b, c] −
// m[j, b, c]|) for every pair into e (n×n×B), computing each pair i ≤ j
// once. Goroutines take rows i and n−1−i together, so that their shares
// of pairs are even.
func mbdCloseness[T float](m []T, n, nb, nc, workers int, e []T) {
	bc := nb * nc
	half := (n + 1) / 2
	parallelFor(half, min(workers, half), func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			rows := []int{r, n - 1 - r}
			if r == n-1-r {
				rows = rows[:1] // the middle row of an odd batch
			}
			for _, i := range rows {
				mi := m[i*bc : (i+1)*bc]
				for j := i; j < n; j++ {
					mj := m[j*bc : (j+1)*bc]
					pairCloseness(mi, mj, nc, e[(i*n+j)*nb:(i*n+j+1)*nb], e[(j*n+i)*nb:(j*n+i+1)*nb])
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

// pairCloseness writes exp(−Σ_c |x[b, c] − y[b, c]|) for every kernel b
// into ij[b] and ji[b] (x and y are [B, C] rows; the distance summed over
// c ascending in the element type), per type, with a branch-free |·|.
func pairCloseness[T float](x, y []T, nc int, ij, ji []T) {
	switch x := any(x).(type) {
	case []float32:
		pairCloseness32(x, any(y).([]float32), nc, any(ij).([]float32), any(ji).([]float32))
	case []float64:
		pairCloseness64(x, any(y).([]float64), nc, any(ij).([]float64), any(ji).([]float64))
	}
}

func pairCloseness32(x, y []float32, nc int, ij, ji []float32) {
	ji = ji[:len(ij)]
	for b := range ij {
		xb, yb := x[b*nc:(b+1)*nc], y[b*nc:(b+1)*nc]
		yb = yb[:len(xb)]
		var d float32
		for c, v := range xb {
			d += math.Float32frombits(math.Float32bits(v-yb[c]) &^ (1 << 31))
		}
		v := float32(math.Exp(-float64(d)))
		ij[b], ji[b] = v, v
	}
}

func pairCloseness64(x, y []float64, nc int, ij, ji []float64) {
	ji = ji[:len(ij)]
	for b := range ij {
		xb, yb := x[b*nc:(b+1)*nc], y[b*nc:(b+1)*nc]
		yb = yb[:len(xb)]
		var d float64
		for c, v := range xb {
			d += math.Abs(v - yb[c])
		}
		v := math.Exp(-d)
		ij[b], ji[b] = v, v
	}
}

// signs are the values of sign, by signIndex.
var signs = [3]float64{-1, 0, 1}

// sign is −1, 0 or 1 as a float64; NaN gives 0 (a NaN input still
// propagates, through the exponential of the distance).
func sign[T float](x T) float64 { return signs[signIndex(x)] }

// signIndex is 0, 1 or 2 for x < 0, x = 0 (or NaN), x > 0, without a
// branch: the signs of differences between samples are unpredictable, and
// a mispredicted branch per term cost more than the rest of the gradient.
func signIndex[T float](x T) int { return 1 + b2i(x > 0) - b2i(x < 0) }

// b2i is 1 for true, 0 for false (a SETcc, no branch).
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}

// signAxpy does acc[k] −= w[k]·sign(x[k] − y[k]) for every k of x: the
// inner loop of the gradient, written per type so that it compiles to a
// tight loop without branches.
func signAxpy[T float](acc, w []float64, x, y []T) {
	switch x := any(x).(type) {
	case []float32:
		signAxpy32(acc, w, x, any(y).([]float32))
	case []float64:
		signAxpy64(acc, w, x, any(y).([]float64))
	}
}

func signAxpy32(acc, w []float64, x, y []float32) {
	y, w, acc = y[:len(x)], w[:len(x)], acc[:len(x)]
	for k, v := range x {
		d := v - y[k]
		acc[k] -= w[k] * signs[1+b2i(d > 0)-b2i(d < 0)]
	}
}

func signAxpy64(acc, w []float64, x, y []float64) {
	y, w, acc = y[:len(x)], w[:len(x)], acc[:len(x)]
	for k, v := range x {
		d := v - y[k]
		acc[k] -= w[k] * signs[1+b2i(d > 0)-b2i(d < 0)]
	}
}
