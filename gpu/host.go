package gpu

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Host is a Device that keeps its buffers in host memory and runs the Go
// reference kernels of hostkernels.go synchronously, on the calling
// goroutine. It is the reference that the CUDA device is compared with,
// and the device of machines without a GPU. Every call checks its
// arguments and reports a problem with an error; none panics. Gemm uses
// gonum's blas32 (row-major Sgemm).
//
// Like every Device, a Host is not safe for concurrent use.
type Host struct {
	bufs   map[*hostBuffer]struct{}
	closed bool
}

// hostBuffer is a Host allocation: a slice of host memory.
type hostBuffer struct {
	data  []float32
	owner *Host
	freed bool
}

// Len returns the number of float32 elements of b (0 once freed).
func (b *hostBuffer) Len() int { return len(b.data) }

// NewHost returns a Host device.
func NewHost() *Host { return &Host{bufs: make(map[*hostBuffer]struct{})} }

var _ Device = (*Host)(nil)

// errClosed is returned by every call on a closed Host.
var errClosed = errors.New("gpu: host: device is closed")

// Name describes the device.
func (h *Host) Name() string { return "host (Go reference kernels)" }

// Alloc returns a zeroed buffer of n float32 elements (n ≥ 1).
func (h *Host) Alloc(n int) (Buffer, error) {
	if h.closed {
		return nil, errClosed
	}
	if n < 1 {
		return nil, fmt.Errorf("gpu: host: Alloc(%d): size must be at least 1", n)
	}
	b := &hostBuffer{data: make([]float32, n), owner: h}
	h.bufs[b] = struct{}{}
	return b, nil
}

// buffer returns b as one of h's live buffers.
func (h *Host) buffer(b Buffer) (*hostBuffer, error) {
	if h.closed {
		return nil, errClosed
	}
	if b == nil {
		return nil, errors.New("gpu: host: nil buffer")
	}
	hb, ok := b.(*hostBuffer)
	if !ok || hb == nil {
		return nil, fmt.Errorf("gpu: host: buffer of type %T is not a host buffer", b)
	}
	if hb.owner != h {
		return nil, errors.New("gpu: host: buffer belongs to another device")
	}
	if hb.freed {
		return nil, errors.New("gpu: host: buffer used after Free")
	}
	return hb, nil
}

// Free releases b. Freeing a buffer twice is an error.
func (h *Host) Free(b Buffer) error {
	hb, err := h.buffer(b)
	if err != nil {
		return fmt.Errorf("%w (Free)", err)
	}
	hb.freed, hb.data = true, nil
	delete(h.bufs, hb)
	return nil
}

// slice returns the elements of p.Buf from p.Off to its end.
func (h *Host) slice(p Ptr) ([]float32, error) {
	hb, err := h.buffer(p.Buf)
	if err != nil {
		return nil, err
	}
	if p.Off < 0 || p.Off > len(hb.data) {
		return nil, fmt.Errorf("gpu: host: offset %d outside a buffer of %d elements", p.Off, len(hb.data))
	}
	return hb.data[p.Off:], nil
}

// Upload copies src to dst.Buf starting at element dst.Off.
func (h *Host) Upload(dst Ptr, src []float32) error {
	s, err := h.slice(dst)
	if err != nil {
		return fmt.Errorf("%w (Upload)", err)
	}
	if len(src) > len(s) {
		return fmt.Errorf("gpu: host: Upload of %d elements at offset %d overruns a buffer of %d elements",
			len(src), dst.Off, dst.Off+len(s))
	}
	copy(s, src)
	return nil
}

// Download copies len(dst) elements from src into dst.
func (h *Host) Download(dst []float32, src Ptr) error {
	s, err := h.slice(src)
	if err != nil {
		return fmt.Errorf("%w (Download)", err)
	}
	if len(dst) > len(s) {
		return fmt.Errorf("gpu: host: Download of %d elements at offset %d overruns a buffer of %d elements",
			len(dst), src.Off, src.Off+len(s))
	}
	copy(dst, s)
	return nil
}

// Launch runs kernel k with arguments p, after checking the kernel, its
// pointer arguments and (where the catalogue defines them) the element
// ranges it reads and writes.
func (h *Host) Launch(k Kernel, p *Params) (err error) {
	if h.closed {
		return errClosed
	}
	if k < 0 || k >= numKernels {
		return fmt.Errorf("gpu: host: Launch: unknown kernel %d", int(k))
	}
	if p == nil {
		return fmt.Errorf("gpu: host: Launch %v: nil Params", k)
	}
	info := k.Info()
	a := hostArgs{k: k, p: p}
	for j := 0; j < info.Ptrs; j++ {
		if p.P[j].Buf == nil {
			if k == KSGD && j == 2 && p.F[1] == 0 {
				continue // the momentum buffer, unused without momentum
			}
			return fmt.Errorf("gpu: host: Launch %v: pointer P[%d] is nil", k, j)
		}
		s, err := h.slice(p.P[j])
		if err != nil {
			return fmt.Errorf("gpu: host: Launch %v: P[%d]: %w", k, j, err)
		}
		a.s[j], a.off[j] = s, p.P[j].Off
	}
	// The checks of the kernels should make this unreachable; it turns a
	// slip in them into an error rather than a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gpu: host: Launch %v: %v", k, r)
		}
	}()
	return hostKernels[k](&a)
}

// Gemm computes c = alpha·op(a)·op(b) + beta·c with gonum's blas32 after
// checking the shapes, leading dimensions and buffer ranges.
func (h *Host) Gemm(g *GemmArgs) error {
	if h.closed {
		return errClosed
	}
	if g == nil {
		return errors.New("gpu: host: Gemm: nil arguments")
	}
	ops, err := g.operands()
	if err != nil {
		return fmt.Errorf("gpu: host: %w", err)
	}
	var m [3]blas32.General
	for i, o := range ops {
		if m[i], err = h.gemmOperand(o.name, o.p, o.rows, o.cols, o.ld); err != nil {
			return err
		}
	}
	a, b, c := m[0], m[1], m[2]
	if g.M == 0 || g.N == 0 {
		return nil
	}
	if g.K == 0 { // an empty product: c = beta·c (c = 0 for beta = 0, as BLAS does)
		for i := 0; i < g.M; i++ {
			row := c.Data[i*g.LDC : i*g.LDC+g.N]
			for j := range row {
				if g.Beta == 0 {
					row[j] = 0
				} else {
					row[j] *= g.Beta
				}
			}
		}
		return nil
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if g.TransA {
		ta = blas.Trans
	}
	if g.TransB {
		tb = blas.Trans
	}
	blas32.Gemm(ta, tb, g.Alpha, a, b, g.Beta, c)
	return nil
}

// gemmOperand checks one matrix of a Gemm, rows×cols with leading
// dimension ld, and returns it as a blas32.General.
func (h *Host) gemmOperand(name string, p Ptr, rows, cols, ld int) (blas32.General, error) {
	if ld < max(1, cols) {
		return blas32.General{}, fmt.Errorf("gpu: host: Gemm: ld%s = %d is less than max(1, %d columns)", name, ld, cols)
	}
	s, err := h.slice(p)
	if err != nil {
		return blas32.General{}, fmt.Errorf("gpu: host: Gemm: %s: %w", name, err)
	}
	need := 0
	if rows > 0 && cols > 0 {
		need = (rows-1)*ld + cols
	}
	if need > len(s) {
		return blas32.General{}, fmt.Errorf("gpu: host: Gemm: %s (%d×%d, ld %d) needs %d elements from offset %d, the buffer has %d",
			name, rows, cols, ld, need, p.Off, p.Off+len(s))
	}
	return blas32.General{Rows: rows, Cols: cols, Stride: ld, Data: s[:need]}, nil
}

// Sync returns nil: the Host runs everything synchronously.
func (h *Host) Sync() error {
	if h.closed {
		return errClosed
	}
	return nil
}

// Close releases every buffer; later calls fail.
func (h *Host) Close() error {
	if h.closed {
		return errClosed
	}
	for b := range h.bufs {
		b.freed, b.data = true, nil
	}
	h.bufs, h.closed = nil, true
	return nil
}
