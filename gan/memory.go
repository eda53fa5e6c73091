package gan

import (
	"fmt"
	"math"
	"strings"

	"github.com/gogan/gogan/data"
	G "gorgonia.org/gorgonia"
)

// GraphBytes estimates the memory the trainer's training graphs take when
// they run: the sum of the sizes of the values of every node of the
// discriminator's and the generator's graphs (inputs, activations,
// gradients and parameters), in bytes, at the trainer's dtype. Most of it grows with the batch
// size, so it is what a too large batch makes too large; an op's scratch
// space (such as a convolution's unfolded input) comes on top. The
// estimate is saturated at MaxInt64.
func (t *Trainer) GraphBytes() int64 {
	var total float64
	for _, p := range []*pass{t.d, t.g} {
		if p == nil {
			continue
		}
		total += graphValues(p.b.Graph()) * float64(t.dtype.Size())
	}
	if total >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(total)
}

// graphValues sums the number of elements of the values of g's nodes.
func graphValues(g *G.ExprGraph) float64 {
	var n float64
	for _, node := range g.AllNodes() {
		size := 1.0
		for _, d := range node.Shape() {
			size *= float64(d)
		}
		n += size
	}
	return n
}

// EstimateGraphBytes estimates GraphBytes of a trainer of gens and discs
// with cfg without building one at cfg.BatchSize, whose buffers alone could
// exhaust memory: it builds three small trainers on the CPU, of 2, 3 and 4
// times cfg.Pack samples a batch, and extrapolates their GraphBytes, a
// polynomial of degree at most 2 in the batch size (pairwise layers such as
// minibatch discrimination make it quadratic), to cfg.BatchSize. (A batch
// of one sample can make other graphs, so it is not a probe; its estimate
// is the extrapolation too.)
func EstimateGraphBytes(gens []Generator, discs []Discriminator, cfg Config) (int64, error) {
	pack := max(cfg.Pack, 1)
	if cfg.BatchSize < 1 || cfg.BatchSize%pack != 0 {
		return 0, fmt.Errorf("gan: estimate memory: batch size %d is not a positive multiple of Pack %d", cfg.BatchSize, pack)
	}
	var y [3]float64
	for i := range y {
		c := cfg
		c.BatchSize, c.Device = (i+2)*pack, ""
		tr, err := NewMultiTrainer(gens, discs, c)
		if err != nil {
			return 0, fmt.Errorf("gan: estimate memory: %w", err)
		}
		y[i] = float64(tr.GraphBytes())
		if err := tr.Close(); err != nil {
			return 0, fmt.Errorf("gan: estimate memory: %w", err)
		}
	}
	x := float64(cfg.BatchSize/pack) - 2 // the probes are at x = 0, 1, 2
	c2 := (y[2] - 2*y[1] + y[0]) / 2
	est := y[0] + x*(y[1]-y[0]) + x*(x-1)*c2
	if est >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(est), nil
}

// CheckMemory checks that training gens and discs with cfg fits the memory
// limit of data.MemoryLimit: its EstimateGraphBytes with half as much again
// for the ops' scratch space. A batch size too large for memory is so
// refused, with an error that says what it needs, before anything of its
// size is allocated. On a CUDA device (cfg.Device "cuda" or "cuda:N") the
// values live in the device's memory, whose allocations fail with an
// error, so CheckMemory checks nothing there.
func CheckMemory(gens []Generator, discs []Discriminator, cfg Config) error {
	if strings.HasPrefix(cfg.Device, "cuda") {
		return nil
	}
	est, err := EstimateGraphBytes(gens, discs, cfg)
	if err != nil {
		return err
	}
	need := est + est/2
	if need < est {
		need = math.MaxInt64
	}
	if err := data.CheckBytes(fmt.Sprintf("training with a batch of %d", cfg.BatchSize), need); err != nil {
		return fmt.Errorf("gan: %w; or lower the batch size", err)
	}
	return nil
}
