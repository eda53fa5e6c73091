package gpu

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gogan/gogan/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrUnsupported is wrapped by Compile's error when a graph uses an op,
// a dtype or a shape that the device programs do not support; the error
// names the op and the node.
var ErrUnsupported = errors.New("not supported on the device")

// A Store holds the tensors that live on a device for a whole run
// (parameters, running statistics), shared by every program compiled
// against it: a tensor bound once has one device buffer.
type Store struct {
	dev   Device
	bufs  map[*tensor.Dense]Buffer
	order []*tensor.Dense
}

// NewStore returns an empty store on dev.
func NewStore(dev Device) *Store {
	return &Store{dev: dev, bufs: map[*tensor.Dense]Buffer{}}
}

// Device returns the store's device.
func (s *Store) Device() Device { return s.dev }

// Bind allocates a device buffer for t (a float32 tensor) and uploads its
// values, or returns the buffer bound before.
func (s *Store) Bind(t *tensor.Dense) (Buffer, error) {
	if b, ok := s.bufs[t]; ok {
		return b, nil
	}
	data, err := float32Data(t)
	if err != nil {
		return nil, err
	}
	b, err := s.dev.Alloc(max(1, len(data)))
	if err != nil {
		return nil, err
	}
	if err := s.dev.Upload(Ptr{Buf: b}, data); err != nil {
		return nil, err
	}
	s.bufs[t] = b
	s.order = append(s.order, t)
	return b, nil
}

// Buffer returns t's buffer, if t is bound.
func (s *Store) Buffer(t *tensor.Dense) (Buffer, bool) {
	b, ok := s.bufs[t]
	return b, ok
}

// Pull copies the device values of every bound tensor into the tensors.
func (s *Store) Pull() error {
	for _, t := range s.order {
		data, _ := float32Data(t)
		if err := s.dev.Download(data, Ptr{Buf: s.bufs[t]}); err != nil {
			return fmt.Errorf("gpu: download %v tensor: %w", t.Shape(), err)
		}
	}
	return nil
}

// Push copies the values of every bound tensor to the device.
func (s *Store) Push() error {
	for _, t := range s.order {
		data, _ := float32Data(t)
		if err := s.dev.Upload(Ptr{Buf: s.bufs[t]}, data); err != nil {
			return fmt.Errorf("gpu: upload %v tensor: %w", t.Shape(), err)
		}
	}
	return nil
}

func float32Data(t *tensor.Dense) ([]float32, error) {
	if t.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("gpu: tensor of shape %v is %v: device programs run float32 only: %w", t.Shape(), t.Dtype(), ErrUnsupported)
	}
	switch d := t.Data().(type) {
	case []float32:
		return d, nil
	case float32:
		return t.Float32s(), nil
	}
	return nil, fmt.Errorf("gpu: tensor of shape %v has no float32 slice", t.Shape())
}

// instr is one launch or matrix product of a program, on virtual buffers
// until the plan assigns device buffers.
type instr struct {
	k     Kernel
	p     Params
	vp    [MaxPtrs]vref // virtual pointers; vp[i].id < 0 for none
	gemm  *GemmArgs
	gv    [3]vref // A, B, C of a product
	node  *G.Node // the node this instruction computes (for errors)
	isMul bool
}

// vref is element off of virtual buffer id (or of a fixed buffer when
// fixed is set).
type vref struct {
	id    int
	off   int
	fixed Buffer
}

var noRef = vref{id: -1}

// vbuf is a virtual buffer: an intermediate value or a scratch area.
type vbuf struct {
	size   int
	first  int // first instruction that writes it
	last   int // last instruction that reads it
	pinned bool
	phys   Buffer
}

// feed is an input tensor copied to the device before each run.
type feed struct {
	t   *tensor.Dense
	buf Buffer
}

// Program is a compiled graph: the launches and matrix products of one
// run, over buffers planned once. Run executes it with no host round trip
// between ops.
type Program struct {
	dev    Device
	store  *Store
	instrs []instr
	feeds  []feed
	values map[*G.Node]vref
	sizes  map[*G.Node]int
	vbufs  []vbuf
	owned  []Buffer // feeds, constants and planned buffers
	// Stats of the plan.
	planned, naive int
}

// Compile compiles the nodes of g into a program on store's device.
// Input nodes whose tensors are bound in store (parameters) are read from
// their store buffers; every other input node is a feed, copied from its
// tensor to the device at the start of each Run. The values of the nodes
// in keep stay readable after a run (Read); every other intermediate
// buffer is reused once its last reader has run. A node with an op that
// has no device kernel, or a dtype other than float32, is refused with an
// error naming the op and the node.
func Compile(g *G.ExprGraph, store *Store, keep []*G.Node) (*Program, error) {
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, fmt.Errorf("gpu: sort graph: %w", err)
	}
	slices.Reverse(sorted) // inputs first
	p := &Program{dev: store.dev, store: store, values: map[*G.Node]vref{}, sizes: map[*G.Node]int{}}
	c := &compiler{p: p, g: g}
	for _, n := range sorted {
		if err := c.node(n); err != nil {
			p.Close()
			return nil, err
		}
	}
	for _, n := range keep {
		r, ok := p.values[n]
		if !ok {
			p.Close()
			return nil, fmt.Errorf("gpu: node %v (%v) to keep is not in the program", n.Name(), n.Op())
		}
		if r.fixed == nil {
			p.vbufs[r.id].pinned = true
		}
	}
	if err := p.plan(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

type compiler struct {
	p *Program
	g *G.ExprGraph
}

func (c *compiler) children(n *G.Node) []*G.Node {
	var out []*G.Node
	it := c.g.From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

func (c *compiler) unsupported(n *G.Node, format string, args ...any) error {
	return fmt.Errorf("gpu: node %q (op %v, shape %v): %s: %w", n.Name(), n.Op(), n.Shape(), fmt.Sprintf(format, args...), ErrUnsupported)
}

// newValue allocates a virtual buffer for n's value.
func (c *compiler) newValue(n *G.Node) vref {
	size := max(1, n.Shape().TotalSize())
	r := c.scratch(size)
	c.p.values[n] = r
	c.p.sizes[n] = size
	return r
}

func (c *compiler) scratch(size int) vref {
	c.p.vbufs = append(c.p.vbufs, vbuf{size: size, first: -1, last: -1})
	return vref{id: len(c.p.vbufs) - 1}
}

func (c *compiler) fixedValue(n *G.Node, b Buffer) {
	c.p.values[n] = vref{id: -1, fixed: b}
	c.p.sizes[n] = max(1, n.Shape().TotalSize())
}

// emit appends a launch of k on the given pointers.
func (c *compiler) emit(n *G.Node, k Kernel, ptrs []vref, ints []int, floats []float32) {
	in := instr{k: k, node: n}
	for i := range in.vp {
		in.vp[i] = noRef
	}
	copy(in.vp[:], ptrs)
	for i, v := range ints {
		in.p.I[i] = int32(v)
	}
	copy(in.p.F[:], floats)
	c.p.instrs = append(c.p.instrs, in)
}

func (c *compiler) emitGemm(n *G.Node, g GemmArgs, a, b, out vref) {
	c.p.instrs = append(c.p.instrs, instr{isMul: true, gemm: &g, gv: [3]vref{a, b, out}, node: n})
}

func (c *compiler) node(n *G.Node) error {
	op := n.Op()
	if op == nil { // an input: a parameter, or a feed
		t, ok := n.Value().(*tensor.Dense)
		if !ok {
			return c.unsupported(n, "input without a tensor value")
		}
		if b, ok := c.p.store.Buffer(t); ok {
			c.fixedValue(n, b)
			return nil
		}
		data, err := float32Data(t)
		if err != nil {
			return c.unsupported(n, "%v", err)
		}
		b, err := c.p.dev.Alloc(max(1, len(data)))
		if err != nil {
			return err
		}
		c.p.owned = append(c.p.owned, b)
		c.p.feeds = append(c.p.feeds, feed{t: t, buf: b})
		c.fixedValue(n, b)
		return nil
	}
	if isReadOp(op) {
		return nil // the caller reads the value through the program
	}
	if dt, ok := dtypeOf(n); !ok || dt != tensor.Float32 {
		return c.unsupported(n, "dtype %v: device programs run float32 only", dt)
	}
	ins := c.children(n)
	for _, in := range ins {
		if _, ok := c.p.values[in]; !ok && !isReadOp(in.Op()) {
			return fmt.Errorf("gpu: node %q: input %q was not compiled before it", n.Name(), in.Name())
		}
	}
	shapes := make([]tensor.Shape, len(ins))
	for i, in := range ins {
		shapes[i] = in.Shape()
	}
	if info, ok, err := ops.Describe(op, shapes); ok {
		if err != nil {
			return c.unsupported(n, "%v", err)
		}
		return c.gogan(n, info, ins)
	}
	typ := gorgoniaOpType(op)
	switch typ {
	case "constantScalar", "constantTensor":
		return c.constant(n)
	case "reshapeOp":
		c.p.values[n] = c.p.values[ins[0]]
		c.p.sizes[n] = c.p.sizes[ins[0]]
		return nil
	case "sizeOp":
		return c.size(n, op, ins)
	case "elemBinOp":
		return c.binary(n, op, ins)
	case "elemUnaryOp":
		return c.unary(n, op, ins)
	case "linAlgBinOp":
		return c.matmul(n, op, ins)
	case "sumOp":
		return c.sum(n, op, ins)
	case "repeatOp":
		return c.repeat(n, op, ins)
	case "concatOp":
		return c.concat(n, op, ins)
	case "sliceOp":
		return c.slice(n, op, ins)
	}
	return c.unsupported(n, "no device kernel for op type %s", typ)
}

// dtypeOf returns n's dtype; Gorgonia panics for nodes whose type is not
// a tensor or scalar type.
func dtypeOf(n *G.Node) (dt tensor.Dtype, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return n.Dtype(), true
}

func isReadOp(op G.Op) bool { return op != nil && gorgoniaOpType(op) == "readOp" }

// gorgoniaOpType names the type of one of Gorgonia's (unexported) ops,
// pointer or not: "elemBinOp", "sumOp", ...; other types keep their
// package ("ops.addBiasOp").
func gorgoniaOpType(op G.Op) string {
	return strings.TrimPrefix(strings.TrimPrefix(reflect.TypeOf(op).String(), "*"), "gorgonia.")
}

// field reads an unexported integer or slice-of-integer field of a
// Gorgonia op by reflection.
func field(op G.Op, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(op)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.FieldByName(name)
	return f, f.IsValid()
}

func intField(op G.Op, name string) (int, bool) {
	f, ok := field(op, name)
	if !ok {
		return 0, false
	}
	switch f.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return int(f.Int()), true
	}
	return 0, false
}

func (c *compiler) constant(n *G.Node) error {
	var vals []float32
	switch v := n.Value().(type) {
	case *tensor.Dense:
		d, err := float32Data(v)
		if err != nil {
			return c.unsupported(n, "%v", err)
		}
		vals = d
	default:
		switch d := n.Value().Data().(type) {
		case float32:
			vals = []float32{d}
		default:
			return c.unsupported(n, "constant of type %T", d)
		}
	}
	return c.constantValue(n, vals)
}

// constantValue makes vals, uploaded once, the value of n.
func (c *compiler) constantValue(n *G.Node, vals []float32) error {
	b, err := c.p.dev.Alloc(len(vals))
	if err != nil {
		return err
	}
	c.p.owned = append(c.p.owned, b)
	if err := c.p.dev.Upload(Ptr{Buf: b}, vals); err != nil {
		return err
	}
	c.fixedValue(n, b)
	return nil
}

func (c *compiler) size(n *G.Node, op G.Op, ins []*G.Node) error {
	val, _ := intField(op, "val")
	if val == 0 {
		axis, ok := intField(op, "axis")
		s := ins[0].Shape()
		if !ok || axis < 0 || axis >= len(s) {
			return c.unsupported(n, "size of axis %d of shape %v", axis, s)
		}
		val = s[axis]
	}
	return c.constantValue(n, []float32{float32(val)})
}

var binaryOps = map[string]BinaryOp{
	"+": OpAdd, "-": OpSub, "⊙": OpMul, "÷": OpDiv,
	">": OpGt, ">=": OpGte, "<": OpLt, "<=": OpLte, "==": OpEq, "!=": OpNe,
}

func (c *compiler) binary(n *G.Node, op G.Op, ins []*G.Node) error {
	sym, retSame, _ := strings.Cut(op.String(), " ")
	bop, ok := binaryOps[sym]
	if !ok {
		return c.unsupported(n, "binary operator %q", sym)
	}
	if bop >= OpGt && retSame != "true" {
		return c.unsupported(n, "comparison returning booleans")
	}
	if len(ins) != 2 {
		return c.unsupported(n, "%d inputs", len(ins))
	}
	size := max(1, n.Shape().TotalSize())
	stride := func(in *G.Node) (int, error) {
		switch c.p.sizes[in] {
		case size:
			return 1, nil
		case 1:
			return 0, nil
		}
		return 0, c.unsupported(n, "operand %q of shape %v does not match the result's %d elements (broadcasting other than a scalar)", in.Name(), in.Shape(), size)
	}
	sa, err := stride(ins[0])
	if err != nil {
		return err
	}
	sb, err := stride(ins[1])
	if err != nil {
		return err
	}
	y := c.newValue(n)
	c.emit(n, KBinary, []vref{y, c.p.values[ins[0]], c.p.values[ins[1]]}, []int{size, int(bop), sa, sb}, nil)
	return nil
}

var unaryOps = map[string]UnaryOp{
	"neg": OpNeg, "abs": OpAbs, "sign": OpSign, "square": OpSquare, "sqrt": OpSqrt, "inv": OpInverse,
	"exp": OpExp, "ln": OpLog, "log1p": OpLog1p, "expm1": OpExpm1, "sigmoid": OpSigmoid,
	"softplus": OpSoftplus, "tanh": OpTanh, "cube": OpCube, "invSqrt": OpInverseSqrt,
}

func (c *compiler) unary(n *G.Node, op G.Op, ins []*G.Node) error {
	uop, ok := unaryOps[op.String()]
	if !ok {
		return c.unsupported(n, "unary operator %q", op.String())
	}
	size := max(1, n.Shape().TotalSize())
	y := c.newValue(n)
	c.emit(n, KUnary, []vref{y, c.p.values[ins[0]]}, []int{size, int(uop)}, nil)
	return nil
}

func (c *compiler) matmul(n *G.Node, op G.Op, ins []*G.Node) error {
	s := op.String()
	if len(ins) != 2 {
		return c.unsupported(n, "%d inputs", len(ins))
	}
	as, bs := ins[0].Shape(), ins[1].Shape()
	ta, tb := strings.Contains(s, "Aᵀ"), strings.Contains(s, "Bᵀ")
	var g GemmArgs
	switch {
	case strings.HasPrefix(s, "A × B") || strings.HasPrefix(s, "Aᵀ × B") || strings.HasPrefix(s, "A × Bᵀ") || strings.HasPrefix(s, "Aᵀ × Bᵀ"):
		if len(as) != 2 || len(bs) != 2 {
			return c.unsupported(n, "matrix product of shapes %v and %v", as, bs)
		}
		m, k := as[0], as[1]
		if ta {
			m, k = k, m
		}
		k2, nn := bs[0], bs[1]
		if tb {
			k2, nn = nn, k2
		}
		if k != k2 {
			return c.unsupported(n, "matrix product of shapes %v and %v", as, bs)
		}
		g = GemmArgs{TransA: ta, TransB: tb, M: m, N: nn, K: k, Alpha: 1, LDA: as[1], LDB: bs[1], LDC: nn}
	case strings.HasPrefix(s, "A × b") || strings.HasPrefix(s, "Aᵀ × b"):
		if len(as) != 2 || len(bs) != 1 {
			return c.unsupported(n, "matrix-vector product of shapes %v and %v", as, bs)
		}
		m, k := as[0], as[1]
		if ta {
			m, k = k, m
		}
		if k != bs[0] {
			return c.unsupported(n, "matrix-vector product of shapes %v and %v", as, bs)
		}
		g = GemmArgs{TransA: ta, M: m, N: 1, K: k, Alpha: 1, LDA: as[1], LDB: 1, LDC: 1}
	default:
		return c.unsupported(n, "linear algebra operator %q", s)
	}
	y := c.newValue(n)
	c.emitGemm(n, g, c.p.values[ins[0]], c.p.values[ins[1]], y)
	return nil
}

func prod(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

func (c *compiler) sum(n *G.Node, op G.Op, ins []*G.Node) error {
	f, ok := field(op, "along")
	if !ok || f.Kind() != reflect.Slice {
		return c.unsupported(n, "sum without axes")
	}
	s := ins[0].Shape()
	axes := make([]int, f.Len())
	for i := range axes {
		axes[i] = int(f.Index(i).Int())
	}
	slices.Sort(axes)
	axes = slices.Compact(axes)
	x := c.p.values[ins[0]]
	if len(s) == 0 || len(axes) == len(s) || len(axes) == 0 && len(s) == 0 {
		y := c.newValue(n)
		c.emit(n, KSumMid, []vref{y, x}, []int{1, max(1, s.TotalSize()), 1}, nil)
		return nil
	}
	contiguous := func(a []int) bool { return len(a) > 0 && a[len(a)-1]-a[0] == len(a)-1 }
	if contiguous(axes) {
		a0, a1 := axes[0], axes[len(axes)-1]
		A, M, B := prod(s[:a0]), prod(s[a0:a1+1]), prod(s[a1+1:])
		y := c.newValue(n)
		c.emit(n, KSumMid, []vref{y, x}, []int{A * B, M, B}, nil)
		return nil
	}
	var kept []int
	for i := range s {
		if !slices.Contains(axes, i) {
			kept = append(kept, i)
		}
	}
	if contiguous(kept) {
		k0, k1 := kept[0], kept[len(kept)-1]
		A, K, B := prod(s[:k0]), prod(s[k0:k1+1]), prod(s[k1+1:])
		y := c.newValue(n)
		c.emit(n, KSumOuter, []vref{y, x}, []int{K, A, B}, nil)
		return nil
	}
	return c.unsupported(n, "sum over axes %v of shape %v", axes, s)
}

func (c *compiler) repeat(n *G.Node, op G.Op, ins []*G.Node) error {
	along, ok := intField(op, "along")
	if !ok {
		return c.unsupported(n, "repeat without an axis")
	}
	xs := ins[0].Shape()
	in, out := c.p.sizes[ins[0]], max(1, n.Shape().TotalSize())
	if out%in != 0 {
		return c.unsupported(n, "repeat of %d elements into %d", in, out)
	}
	B := 1
	if along+1 <= len(xs) {
		B = prod(xs[along+1:])
	}
	y := c.newValue(n)
	c.emit(n, KRepeat, []vref{y, c.p.values[ins[0]]}, []int{out, out / in, B}, nil)
	return nil
}

func (c *compiler) concat(n *G.Node, op G.Op, ins []*G.Node) error {
	axis, ok := intField(op, "axis")
	ys := n.Shape()
	if !ok || axis < 0 || axis >= len(ys) {
		return c.unsupported(n, "concatenation along axis %d", axis)
	}
	y := c.newValue(n)
	off := 0
	for _, in := range ins {
		s := in.Shape()
		if len(s) != len(ys) {
			return c.unsupported(n, "concatenation of shape %v into %v", s, ys)
		}
		C, B := s[axis], prod(s[axis+1:])
		c.emit(n, KConcatPart, []vref{y, c.p.values[in]}, []int{s.TotalSize(), C, B, ys[axis], off}, nil)
		off += C
	}
	return nil
}

func (c *compiler) slice(n *G.Node, op G.Op, ins []*G.Node) error {
	along, ok := intField(op, "along")
	f, okS := field(op, "Slice")
	xs := ins[0].Shape()
	if !ok || along < 0 || along >= len(xs) {
		return c.unsupported(n, "slice along axis %d of shape %v", along, xs)
	}
	start, end, step := 0, xs[along], 1
	if okS && !f.IsNil() {
		sl := f.Interface().(tensor.Slice)
		start, end, step = sl.Start(), sl.End(), sl.Step()
		if end <= start { // a single index
			end = start + 1
		}
	}
	if step != 1 || start < 0 || end > xs[along] {
		return c.unsupported(n, "slice %d:%d:%d of axis %d of shape %v", start, end, step, along, xs)
	}
	C, B := end-start, prod(xs[along+1:])
	size := max(1, n.Shape().TotalSize())
	y := c.newValue(n)
	c.emit(n, KSlicePart, []vref{y, c.p.values[ins[0]]}, []int{size, C, B, xs[along], start}, nil)
	return nil
}

// gogan lowers the ops of package ops.
func (c *compiler) gogan(n *G.Node, info ops.OpInfo, ins []*G.Node) error {
	v := func(i int) vref { return c.p.values[ins[i]] }
	size := max(1, n.Shape().TotalSize())
	switch info.Kind {
	case ops.KindAddBias:
		y := c.newValue(n)
		c.emit(n, KAddBias, []vref{y, v(0), v(1)}, []int{size, info.C, info.Inner}, nil)
	case ops.KindBiasGrad:
		y := c.newValue(n)
		c.emit(n, KSumOuter, []vref{y, v(0)}, []int{info.C, info.N, info.Inner}, nil)
	case ops.KindLeakyReLU:
		y := c.newValue(n)
		c.emit(n, KLeakyReLU, []vref{y, v(0)}, []int{size}, []float32{float32(info.Slope)})
	case ops.KindLeakyReLUGrad:
		y := c.newValue(n)
		c.emit(n, KLeakyReLUGrad, []vref{y, v(0), v(1)}, []int{size}, []float32{float32(info.Slope)})
	case ops.KindBatchMean:
		y := c.newValue(n)
		c.emit(n, KBNMean, []vref{y, v(0)}, []int{info.C, info.N, info.Inner}, nil)
	case ops.KindBatchVar:
		y := c.newValue(n)
		c.emit(n, KBNVar, []vref{y, v(0), v(1)}, []int{info.C, info.N, info.Inner}, nil)
	case ops.KindBatchNorm:
		y := c.newValue(n)
		c.emit(n, KBNForward, []vref{y, v(0), v(1), v(2), v(3), v(4)}, []int{size, info.C, info.Inner}, []float32{float32(info.Eps)})
	case ops.KindBatchNormGradSums:
		y := c.newValue(n)
		c.emit(n, KBNGradSums, []vref{y, v(0), v(1), v(2), v(3)}, []int{info.C, info.N, info.Inner}, []float32{float32(info.Eps)})
	case ops.KindBatchNormGradInput:
		y := c.newValue(n)
		c.emit(n, KBNGradInput, []vref{y, v(0), v(1), v(2), v(3), v(4), v(5)},
			[]int{size, info.C, info.Inner, info.N * info.Inner}, []float32{float32(info.Eps)})
	case ops.KindBatchNormGradShift, ops.KindBatchNormGradScale:
		src := v(0)
		if info.Kind == ops.KindBatchNormGradScale {
			src.off += info.C
		}
		y := c.newValue(n)
		c.emit(n, KCopy, []vref{y, src}, []int{info.C}, nil)
	case ops.KindConvTranspose:
		c.convTranspose(n, info.Conv, v(0), v(1))
	case ops.KindConvTransposeGradInput:
		c.convGradInput(n, info.Conv, v(0), v(1))
	case ops.KindConvTransposeGradKernel:
		c.convGradKernel(n, info.Conv, v(0), v(1))
	case ops.KindMinibatch, ops.KindMinibatchGrad, ops.KindMinibatchGradG, ops.KindMinibatchGradM:
		k := map[ops.OpKind]Kernel{ops.KindMinibatch: KMBD, ops.KindMinibatchGrad: KMBDGrad,
			ops.KindMinibatchGradG: KMBDGradG, ops.KindMinibatchGradM: KMBDGradM}[info.Kind]
		ptrs := []vref{c.newValue(n)}
		for i := range ins {
			ptrs = append(ptrs, v(i))
		}
		c.emit(n, k, ptrs, []int{size, info.N, info.Kernels, info.KernelDim}, nil)
	default:
		return c.unsupported(n, "op kind %d", info.Kind)
	}
	return nil
}

func geomOf(g ops.ConvGeometry) Geom {
	return Geom{N: g.N, Cin: g.Cin, Cout: g.Cout, H: g.H, W: g.W, Hout: g.Hout, Wout: g.Wout,
		KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW, PH: g.PH, PW: g.PW}
}

// geomInts are the launch integers of a conv kernel: n, then the geometry.
func geomInts(n int, g Geom) []int {
	return []int{n, g.N, g.Cout, g.H, g.W, g.Hout, g.Wout, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW}
}

// convTranspose: y = scatter(wᵀ·xT), with x [N, Cin, HW] transposed to
// [Cin, N·HW] and the column matrix [Cout·kH·kW, N·HW].
func (c *compiler) convTranspose(n *G.Node, cg ops.ConvGeometry, x, w vref) {
	g := geomOf(cg)
	hw, rows := g.H*g.W, g.Cout*g.KH*g.KW
	xT := c.scratch(g.Cin * g.N * hw)
	c.emit(n, KTranspose01, []vref{xT, x}, []int{g.N * g.Cin * hw, g.N, g.Cin, hw}, nil)
	cols := c.scratch(rows * g.N * hw)
	c.emitGemm(n, GemmArgs{TransA: true, M: rows, N: g.N * hw, K: g.Cin, Alpha: 1, LDA: rows, LDB: g.N * hw, LDC: g.N * hw}, w, xT, cols)
	y := c.newValue(n)
	c.emit(n, KColScatter, []vref{y, cols}, geomInts(g.N*g.Cout*g.Hout*g.Wout, g), nil)
}

// convGradInput: dx = transpose(w·gather(dy)).
func (c *compiler) convGradInput(n *G.Node, cg ops.ConvGeometry, dy, w vref) {
	g := geomOf(cg)
	hw, rows := g.H*g.W, g.Cout*g.KH*g.KW
	cols := c.scratch(rows * g.N * hw)
	c.emit(n, KColGather, []vref{cols, dy}, geomInts(rows*g.N*hw, g), nil)
	dxT := c.scratch(g.Cin * g.N * hw)
	c.emitGemm(n, GemmArgs{M: g.Cin, N: g.N * hw, K: rows, Alpha: 1, LDA: rows, LDB: g.N * hw, LDC: g.N * hw}, w, cols, dxT)
	dx := c.newValue(n)
	c.emit(n, KTranspose01, []vref{dx, dxT}, []int{g.N * g.Cin * hw, g.Cin, g.N, hw}, nil)
}

// convGradKernel: dw = xT·gather(dy)ᵀ.
func (c *compiler) convGradKernel(n *G.Node, cg ops.ConvGeometry, x, dy vref) {
	g := geomOf(cg)
	hw, rows := g.H*g.W, g.Cout*g.KH*g.KW
	xT := c.scratch(g.Cin * g.N * hw)
	c.emit(n, KTranspose01, []vref{xT, x}, []int{g.N * g.Cin * hw, g.N, g.Cin, hw}, nil)
	cols := c.scratch(rows * g.N * hw)
	c.emit(n, KColGather, []vref{cols, dy}, geomInts(rows*g.N*hw, g), nil)
	dw := c.newValue(n)
	c.emitGemm(n, GemmArgs{TransB: true, M: g.Cin, N: rows, K: g.N * hw, Alpha: 1, LDA: g.N * hw, LDB: g.N * hw, LDC: rows}, xT, cols, dw)
}
