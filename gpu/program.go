package gpu

import (
	"errors"
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
)

// plan assigns device buffers to the virtual buffers: each lives from the
// instruction that first writes it to the last that reads it (pinned
// ones to the end of the run), and a buffer whose value is dead is
// reused for a later value that fits in it (smallest fit first). The
// buffers are allocated here, once; Run allocates nothing.
func (p *Program) plan() error {
	for i := range p.instrs {
		for _, r := range p.refs(i) {
			if r.fixed != nil || r.id < 0 {
				continue
			}
			v := &p.vbufs[r.id]
			if v.first < 0 {
				v.first = i
			}
			v.last = i
		}
	}
	type free struct {
		buf  Buffer
		size int
	}
	var pool []free
	ends := make([][]int, len(p.instrs)) // virtual buffers whose last use is instruction i
	for id, v := range p.vbufs {
		if v.first < 0 {
			continue // never used (e.g. a value only kept)
		}
		p.naive += v.size
		if !v.pinned {
			ends[v.last] = append(ends[v.last], id)
		}
	}
	for i := range p.instrs {
		for _, r := range p.refs(i) {
			if r.fixed != nil || r.id < 0 {
				continue
			}
			v := &p.vbufs[r.id]
			if v.phys != nil || v.first != i {
				continue
			}
			best := -1
			for j, f := range pool {
				if f.size >= v.size && (best < 0 || f.size < pool[best].size) {
					best = j
				}
			}
			if best >= 0 {
				v.phys = pool[best].buf
				pool = slices.Delete(pool, best, best+1)
				continue
			}
			b, err := p.dev.Alloc(v.size)
			if err != nil {
				return fmt.Errorf("gpu: plan: %w", err)
			}
			p.owned = append(p.owned, b)
			p.planned += v.size
			v.phys = b
		}
		for _, id := range ends[i] {
			v := p.vbufs[id]
			pool = append(pool, free{buf: v.phys, size: v.phys.Len()})
		}
	}
	// Kept values that no instruction reads or writes (none in practice)
	// still need a buffer.
	for id := range p.vbufs {
		v := &p.vbufs[id]
		if v.phys == nil && v.pinned {
			b, err := p.dev.Alloc(v.size)
			if err != nil {
				return fmt.Errorf("gpu: plan: %w", err)
			}
			p.owned = append(p.owned, b)
			v.phys = b
		}
	}
	// Resolve every instruction's pointers.
	for i := range p.instrs {
		in := &p.instrs[i]
		if in.isMul {
			in.gemm.A, in.gemm.B, in.gemm.C = p.resolve(in.gv[0]), p.resolve(in.gv[1]), p.resolve(in.gv[2])
			continue
		}
		for j, r := range in.vp {
			if r.id >= 0 || r.fixed != nil {
				in.p.P[j] = p.resolve(r)
			}
		}
	}
	return nil
}

// refs returns the virtual pointers of instruction i.
func (p *Program) refs(i int) []vref {
	in := &p.instrs[i]
	if in.isMul {
		return in.gv[:]
	}
	return in.vp[:]
}

func (p *Program) resolve(r vref) Ptr {
	if r.fixed != nil {
		return Ptr{Buf: r.fixed, Off: r.off}
	}
	return Ptr{Buf: p.vbufs[r.id].phys, Off: r.off}
}

// Append adds a launch of k with prm at the end of the program, after
// every node's: work on values kept at Compile (for example gathering
// them into one buffer so that a run ends with one download), queued by
// every Run with no further planning. prm's pointers must address kept
// values (Value), inputs, or buffers the caller owns.
func (p *Program) Append(k Kernel, prm Params) {
	in := instr{k: k, p: prm}
	for i := range in.vp {
		in.vp[i] = noRef
	}
	p.instrs = append(p.instrs, in)
}

// Run copies the feeds to the device and queues every launch of the
// program. It does not wait for them: Read, Device.Download and
// Device.Sync do.
func (p *Program) Run() error {
	for _, f := range p.feeds {
		data, err := float32Data(f.t)
		if err != nil {
			return err
		}
		if err := p.dev.Upload(Ptr{Buf: f.buf}, data); err != nil {
			return fmt.Errorf("gpu: upload input %v: %w", f.t.Shape(), err)
		}
	}
	for i := range p.instrs {
		in := &p.instrs[i]
		var err error
		if in.isMul {
			err = p.dev.Gemm(in.gemm)
		} else {
			err = p.dev.Launch(in.k, &in.p)
		}
		if err != nil {
			if in.node == nil {
				return fmt.Errorf("gpu: appended %v: %w", in.what(), err)
			}
			return fmt.Errorf("gpu: node %q (%v): %v: %w", in.node.Name(), in.node.Op(), in.what(), err)
		}
	}
	return nil
}

func (in *instr) what() string {
	if in.isMul {
		return "matrix product"
	}
	return in.k.String()
}

// Value returns where n's value lives after a run and its number of
// elements. n must be one of the nodes kept at Compile (or an input).
func (p *Program) Value(n *G.Node) (Ptr, int, error) {
	r, ok := p.values[n]
	if !ok {
		return Ptr{}, 0, fmt.Errorf("gpu: node %q is not part of the program", n.Name())
	}
	if r.fixed == nil && !p.vbufs[r.id].pinned {
		return Ptr{}, 0, fmt.Errorf("gpu: node %q was not kept at Compile: its buffer is reused", n.Name())
	}
	return p.resolve(r), p.sizes[n], nil
}

// Read copies n's value after a run into dst (len(dst) elements from the
// start of the value).
func (p *Program) Read(n *G.Node, dst []float32) error {
	ptr, size, err := p.Value(n)
	if err != nil {
		return err
	}
	if len(dst) > size {
		return fmt.Errorf("gpu: read %d elements of node %q, which has %d", len(dst), n.Name(), size)
	}
	return p.dev.Download(dst, ptr)
}

// Launches returns the number of kernel launches and of matrix products
// of one run.
func (p *Program) Launches() (kernels, products int) {
	for _, in := range p.instrs {
		if in.isMul {
			products++
		} else {
			kernels++
		}
	}
	return kernels, products
}

// Memory returns the float32 elements the plan allocated for
// intermediate values and the elements it would take without reuse.
func (p *Program) Memory() (planned, unplanned int) { return p.planned, p.naive }

// Close frees the program's buffers (not the store's).
func (p *Program) Close() error {
	var errs []error
	for _, b := range p.owned {
		errs = append(errs, p.dev.Free(b))
	}
	p.owned = nil
	return errors.Join(errs...)
}
