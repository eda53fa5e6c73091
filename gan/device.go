package gan

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gogan/gogan/gpu"
	"github.com/gogan/gogan/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// parseDevice checks a Config.Device name: "" or "cpu" (Gorgonia's tape
// machine), or a device of package gpu ("host", "cuda", "cuda:N").
func parseDevice(dev string) error {
	if dev == "" || dev == "cpu" {
		return nil
	}
	if _, _, err := gpu.ParseName(dev); err != nil {
		return fmt.Errorf("unknown device (want cpu, host, cuda or cuda:N)")
	}
	return nil
}

// openDevice opens the device that cfg.Device names; nil for the CPU.
func openDevice(name string) (gpu.Device, error) {
	if name == "" || name == "cpu" {
		return nil, nil
	}
	return gpu.Open(name)
}

// deviceRun is the device side of a trainer whose Config.Device is not the
// CPU: the parameters, running statistics and optimizer states live in
// the device's store for the whole run; each pass is a compiled program.
type deviceRun struct {
	dev          gpu.Device
	store        *gpu.Store
	dOpts, gOpts []*gpu.Optimizer
	clamps       []gpu.Params // KClamp of every discriminator weight (Wasserstein clipping)
	dirty        bool         // the device holds updates the host tensors lack
}

// devPass is a pass's compiled program and what a run reads back.
type devPass struct {
	prog  *gpu.Program
	reads []passRead
	grads [][]gpu.Ptr // per network, per learnable
	sizes [][]int     // their element counts
	bad   []bool      // per network: a gradient was not finite in the last run
	badAt [][]int     // per network: which gradients
	// back gathers, after each run, one flag per gradient (1 if it is not
	// finite), the sum of the squares of each gradient, and then every
	// value in reads, so that one download brings back all a step reads.
	back     gpu.Buffer
	backHost []float32
	nGrads   int
	offsets  []int // of each read in back
	// squares holds the squares of one gradient at a time, on their way
	// to their sum in back: as many elements as the largest gradient.
	squares gpu.Buffer
	// running are the launches that fold the batch statistics into the
	// running ones (KBNRunning), one per batch norm layer.
	running []gpu.Params
}

// passRead is a value a step reads after a run: n's value is copied into
// the host tensor that *dst is set to.
type passRead struct {
	n   *G.Node
	dst *G.Value
	t   *tensor.Dense
}

// read arranges for n's value to be available in *dst after each run.
func (p *pass) read(n *G.Node, dst *G.Value) *G.Node {
	p.reads = append(p.reads, passRead{n: n, dst: dst})
	return G.Read(n, dst)
}

// newDeviceRun opens the device, binds every network's tensors and
// compiles the training passes.
func newDeviceRun(t *Trainer, dev gpu.Device) (*deviceRun, error) {
	r := &deviceRun{dev: dev, store: gpu.NewStore(dev)}
	for _, ps := range t.allParams() {
		for _, p := range ps.All() {
			if _, err := r.store.Bind(p.Value); err != nil {
				return nil, fmt.Errorf("gan: device %s: parameter %s: %w", dev.Name(), p.Name, err)
			}
		}
	}
	for _, p := range []*pass{t.d, t.g} {
		if err := r.compile(p); err != nil {
			return nil, err
		}
	}
	for i, o := range t.dOpts {
		bufs, err := r.buffers(t.dParams[i])
		if err != nil {
			return nil, err
		}
		d, err := gpu.NewOptimizer(dev, o, bufs)
		if err != nil {
			return nil, fmt.Errorf("gan: discriminator optimizer: %w", err)
		}
		r.dOpts = append(r.dOpts, d)
	}
	for i, o := range t.gOpts {
		bufs, err := r.buffers(t.gParams[i])
		if err != nil {
			return nil, err
		}
		g, err := gpu.NewOptimizer(dev, o, bufs)
		if err != nil {
			return nil, fmt.Errorf("gan: generator optimizer: %w", err)
		}
		r.gOpts = append(r.gOpts, g)
	}
	if t.clip > 0 { // the Wasserstein loss's weight clipping, after each D update
		for _, ts := range t.dParams {
			bufs, err := r.buffers(ts)
			if err != nil {
				return nil, err
			}
			for _, b := range bufs {
				var pr gpu.Params
				pr.P[0], pr.I[0] = gpu.Ptr{Buf: b}, int32(b.Len())
				pr.F[0], pr.F[1] = float32(-t.clip), float32(t.clip)
				r.clamps = append(r.clamps, pr)
			}
		}
	}
	return r, nil
}

func (r *deviceRun) buffers(ts []*tensor.Dense) ([]gpu.Buffer, error) {
	out := make([]gpu.Buffer, len(ts))
	for i, t := range ts {
		b, ok := r.store.Buffer(t)
		if !ok {
			return nil, fmt.Errorf("gan: device: parameter %d (%v) is not on the device", i, t.Shape())
		}
		out[i] = b
	}
	return out, nil
}

func (t *Trainer) allParams() []*nn.Params {
	var out []*nn.Params
	for _, g := range t.gens {
		out = append(out, g.Params())
	}
	for _, d := range t.discs {
		out = append(out, d.Params())
	}
	return out
}

// compile compiles p's graph to a device program.
func (r *deviceRun) compile(p *pass) error {
	if sns := p.b.SpectralNorms(); len(sns) > 0 { // its power iteration runs on the host, before each run
		return fmt.Errorf("gan: compile the %s graph for %s: spectral normalisation of %s: %w",
			p.b.Mode(), r.dev.Name(), sns[0].W.Name, gpu.ErrUnsupported)
	}
	keep := make([]*G.Node, 0, len(p.reads))
	for _, rd := range p.reads {
		keep = append(keep, rd.n)
	}
	norms := p.b.Norms()
	for _, nm := range norms {
		keep = append(keep, nm.Mean, nm.Variance)
	}
	for _, gs := range p.gradNodes {
		keep = append(keep, gs...)
	}
	prog, err := gpu.Compile(p.prog, r.store, keep)
	if err != nil {
		return fmt.Errorf("gan: compile the %s graph for %s: %w", p.b.Mode(), r.dev.Name(), err)
	}
	dp := &devPass{prog: prog}
	for _, rd := range p.reads {
		_, size, err := prog.Value(rd.n)
		if err != nil {
			return err
		}
		rd.t = tensor.New(tensor.WithShape(rd.n.Shape()...), tensor.Of(tensor.Float32))
		if size != rd.t.Shape().TotalSize() && !(size == 1 && rd.t.Shape().TotalSize() == 0) {
			return fmt.Errorf("gan: device: read of %q: %d elements for shape %v", rd.n.Name(), size, rd.n.Shape())
		}
		dp.reads = append(dp.reads, rd)
	}
	for _, nm := range norms {
		mean, _, err := prog.Value(nm.Mean)
		if err != nil {
			return err
		}
		variance, _, err := prog.Value(nm.Variance)
		if err != nil {
			return err
		}
		rm, err := r.store.Bind(nm.RunMean.Value)
		if err != nil {
			return err
		}
		rv, err := r.store.Bind(nm.RunVar.Value)
		if err != nil {
			return err
		}
		var pr gpu.Params
		pr.P[0], pr.P[1], pr.P[2], pr.P[3] = gpu.Ptr{Buf: rm}, gpu.Ptr{Buf: rv}, mean, variance
		pr.I[0] = int32(rm.Len())
		pr.F[0], pr.F[1] = float32(nm.Momentum), float32(nm.Unbias)
		dp.running = append(dp.running, pr)
	}
	for _, gs := range p.gradNodes {
		ptrs, sizes := make([]gpu.Ptr, len(gs)), make([]int, len(gs))
		for j, g := range gs {
			if ptrs[j], sizes[j], err = prog.Value(g); err != nil {
				return err
			}
		}
		dp.grads, dp.sizes = append(dp.grads, ptrs), append(dp.sizes, sizes)
	}
	dp.bad = make([]bool, len(p.gradNodes))
	dp.badAt = make([][]int, len(p.gradNodes))
	largest := 0
	for n, gs := range p.gradNodes {
		dp.nGrads += len(gs)
		for _, size := range dp.sizes[n] {
			largest = max(largest, size)
		}
	}
	if largest > 0 {
		if dp.squares, err = r.dev.Alloc(largest); err != nil {
			return err
		}
	}
	size := 2 * dp.nGrads // the finiteness flags, then the sums of squares
	for _, rd := range dp.reads {
		dp.offsets = append(dp.offsets, size)
		size += max(1, rd.t.Shape().TotalSize())
	}
	if dp.back, err = r.dev.Alloc(max(1, size)); err != nil {
		return err
	}
	dp.backHost = make([]float32, max(1, size))
	dp.appendReadBack()
	p.dev = dp
	return nil
}

// appendReadBack appends to the program the launches that gather, in
// back, one finiteness flag and the sum of squares of every gradient and
// a copy of every read value, so that a run ends with one download.
func (dp *devPass) appendReadBack() {
	back := gpu.Ptr{Buf: dp.back}
	if dp.nGrads > 0 {
		var fill gpu.Params
		fill.P[0], fill.I[0] = back, int32(dp.nGrads)
		dp.prog.Append(gpu.KFill, fill)
	}
	slot := 0
	for n, gs := range dp.grads {
		for j, g := range gs {
			size := int32(dp.sizes[n][j])
			var check gpu.Params
			check.P[0], check.P[1] = back, g
			check.I[0], check.I[1] = size, int32(slot)
			dp.prog.Append(gpu.KCheckFinite, check)
			var sq gpu.Params
			sq.P[0], sq.P[1] = gpu.Ptr{Buf: dp.squares}, g
			sq.I[0], sq.I[1] = size, int32(gpu.OpSquare)
			dp.prog.Append(gpu.KUnary, sq)
			var sum gpu.Params // the squares as [A=1, M=n, B=1]: one output
			sum.P[0], sum.P[1] = gpu.Ptr{Buf: dp.back, Off: dp.nGrads + slot}, gpu.Ptr{Buf: dp.squares}
			sum.I[0], sum.I[1], sum.I[2] = 1, size, 1
			dp.prog.Append(gpu.KSumMid, sum)
			slot++
		}
	}
	for i, rd := range dp.reads {
		src, size, _ := dp.prog.Value(rd.n) // checked at compile
		var cp gpu.Params
		cp.P[0], cp.P[1] = gpu.Ptr{Buf: dp.back, Off: dp.offsets[i]}, src
		cp.I[0] = int32(size)
		dp.prog.Append(gpu.KCopy, cp)
	}
}

// runDevice runs p's program, checks its gradients and copies back the
// values the step reads.
func (t *Trainer) runDevice(p *pass) error {
	r, dp := t.dev, p.dev
	if dp == nil { // a sampler, compiled on first use
		if err := r.compile(p); err != nil {
			return err
		}
		dp = p.dev
	}
	if err := dp.prog.Run(); err != nil {
		return err
	}
	back := gpu.Ptr{Buf: dp.back}
	if err := r.dev.Download(dp.backHost, back); err != nil {
		return err
	}
	slot := 0
	p.gradNorm = 0
	for n, gs := range dp.grads {
		dp.bad[n], dp.badAt[n] = false, dp.badAt[n][:0]
		sq := 0.0
		for j := range gs {
			if dp.backHost[slot] != 0 {
				dp.bad[n] = true
				dp.badAt[n] = append(dp.badAt[n], j)
			}
			sq += float64(dp.backHost[dp.nGrads+slot])
			slot++
		}
		p.gradNorm += math.Sqrt(sq) / float64(len(dp.grads))
	}
	for i := range dp.reads {
		rd := &dp.reads[i]
		vals := dp.backHost[dp.offsets[i]:]
		if rd.t.Shape().TotalSize() <= 1 && rd.n.IsScalar() {
			*rd.dst = G.NewF32(vals[0])
			continue
		}
		copy(rd.t.Float32s(), vals)
		*rd.dst = rd.t
	}
	return nil
}

// applyDevice folds the batch statistics of p's last run into the
// running ones and, unless skip, applies the device optimizers to p's
// gradients.
func (t *Trainer) applyDevice(p *pass, opts []*gpu.Optimizer, skip bool) error {
	r, dp := t.dev, p.dev
	for i := range dp.running {
		if err := r.dev.Launch(gpu.KBNRunning, &dp.running[i]); err != nil {
			return err
		}
	}
	r.dirty = true
	if skip {
		return nil
	}
	for n, o := range opts {
		if err := o.Step(dp.grads[n]); err != nil {
			return fmt.Errorf("gan: step %d: device update: %w", t.step+1, err)
		}
	}
	return nil
}

// clipDevice clamps the discriminators' learnable weights on the device.
func (t *Trainer) clipDevice() error {
	for i := range t.dev.clamps {
		if err := t.dev.dev.Launch(gpu.KClamp, &t.dev.clamps[i]); err != nil {
			return err
		}
	}
	return nil
}

// Sync copies the state that training on a device keeps there (weights,
// batch norm running statistics, optimizer states) into the networks'
// parameters and the host optimizers, so that reading Params, SaveModel
// and the like see the current values. SaveCheckpoint, Save and the
// sampling methods sync by themselves. On the CPU it does nothing.
func (t *Trainer) Sync() error {
	r := t.dev
	if r == nil || !r.dirty {
		return nil
	}
	if err := r.store.Pull(); err != nil {
		return fmt.Errorf("gan: sync from %s: %w", r.dev.Name(), err)
	}
	for i, o := range r.dOpts {
		s, err := o.State()
		if err != nil {
			return err
		}
		if err := t.dOpts[i].SetState(s); err != nil {
			return fmt.Errorf("gan: sync discriminator %d optimizer: %w", i, err)
		}
	}
	for i, o := range r.gOpts {
		s, err := o.State()
		if err != nil {
			return err
		}
		if err := t.gOpts[i].SetState(s); err != nil {
			return fmt.Errorf("gan: sync generator %d optimizer: %w", i, err)
		}
	}
	r.dirty = false
	return nil
}

// push uploads the host state (after a restore) to the device.
func (t *Trainer) push() error {
	r := t.dev
	if r == nil {
		return nil
	}
	if err := r.store.Push(); err != nil {
		return fmt.Errorf("gan: upload to %s: %w", r.dev.Name(), err)
	}
	for i, o := range r.dOpts {
		if err := o.SetState(t.dOpts[i].State()); err != nil {
			return err
		}
	}
	for i, o := range r.gOpts {
		if err := o.SetState(t.gOpts[i].State()); err != nil {
			return err
		}
	}
	r.dirty = false
	return nil
}

// DeviceName describes where the trainer runs: "cpu (Gorgonia tape
// machine)" or the device's name.
func (t *Trainer) DeviceName() string {
	if t.dev == nil {
		return "cpu (Gorgonia tape machine)"
	}
	return t.dev.dev.Name()
}

// Close releases the trainer's device (its buffers and context); the
// trainer must not be used afterwards. On the CPU it does nothing.
func (t *Trainer) Close() error {
	if t.dev == nil {
		return nil
	}
	err := t.Sync()
	var errs []error
	errs = append(errs, err)
	for _, p := range slices.Concat([]*pass{t.d, t.g}, t.samplers) {
		if p != nil && p.dev != nil {
			errs = append(errs, p.dev.prog.Close())
		}
	}
	errs = append(errs, t.dev.dev.Close())
	t.dev = nil
	return errors.Join(errs...)
}
