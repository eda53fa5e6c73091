package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// loaderStream is the second PCG word; the seed is the first.
const loaderStream = 0x9e3779b97f4a7c15

// Loader batches a Dataset in shuffled epochs. It implements Batches.
//
// Each epoch visits the samples in a new random order. When fewer samples
// are left in an epoch than a batch needs, the rest are dropped (like
// PyTorch's drop_last), the epoch ends and Epoch increments. The order
// depends only on the seed, so two Loaders with the same seed, dataset and
// batch sizes give the same batches. A Loader is not safe for concurrent
// use.
type Loader struct {
	ds    Dataset
	shape []int
	size  int
	pcg   *rand.PCG
	rng   *rand.Rand
	perm  []int
	pos   int
	epoch int
	err   error // the shuffled order does not fit the memory limit
}

// NewLoader returns a Loader over ds, shuffled by a PCG generator seeded
// with seed. If the shuffled order (8 bytes a sample) does not fit the
// memory limit (see MemoryLimit), it is not allocated and Next returns the
// error.
func NewLoader(ds Dataset, seed uint64) *Loader {
	pcg := rand.NewPCG(seed, loaderStream)
	l := &Loader{pcg: pcg, rng: rand.New(pcg)}
	if ds == nil {
		return l
	}
	l.ds = ds
	l.shape = append([]int(nil), ds.Shape()...)
	l.size = Size(l.shape)
	if n := ds.Len(); n > 0 {
		if err := CheckCount(fmt.Sprintf("data: the shuffled order of %d samples", n), int64(n), 8); err != nil {
			l.err = err
			return l
		}
		l.perm = make([]int, n)
		for i := range l.perm {
			l.perm[i] = i
		}
		l.shuffle()
	}
	return l
}

// shuffle permutes l.perm (Fisher–Yates; no closure, so no allocation).
func (l *Loader) shuffle() {
	for i := len(l.perm) - 1; i > 0; i-- {
		j := l.rng.IntN(i + 1)
		l.perm[i], l.perm[j] = l.perm[j], l.perm[i]
	}
}

// Shape returns the shape of one sample.
func (l *Loader) Shape() []int { return append([]int(nil), l.shape...) }

// Epoch returns the number of epochs completed.
func (l *Loader) Epoch() int { return l.epoch }

// Next fills dst with the next len(dst)/size samples of the epoch. It
// returns an error if len(dst) is not a positive multiple of the sample
// size or asks for more samples than the dataset has.
func (l *Loader) Next(dst []float32) error { return l.next(dst, nil) }

// next is Next, calling visit(k, i), if not nil, for the k-th sample of
// the batch, sample i of the dataset.
func (l *Loader) next(dst []float32, visit func(k, i int)) error {
	if l.ds == nil {
		return errors.New("data: Loader has no dataset")
	}
	if l.err != nil {
		return l.err
	}
	b, err := batchSize(len(dst), l.size)
	if err != nil {
		return err
	}
	if b > len(l.perm) {
		return fmt.Errorf("data: batch of %d samples is larger than the dataset of %d", b, len(l.perm))
	}
	if l.pos+b > len(l.perm) {
		l.endEpoch()
	}
	for k := 0; k < b; k++ {
		l.ds.At(l.perm[l.pos+k], dst[k*l.size:(k+1)*l.size])
		if visit != nil {
			visit(k, l.perm[l.pos+k])
		}
	}
	l.pos += b
	if l.pos+b > len(l.perm) {
		l.endEpoch()
	}
	return nil
}

func (l *Loader) endEpoch() {
	l.epoch++
	l.pos = 0
	l.shuffle()
}

// batchSize returns n/size, or an error unless n is a positive multiple of
// size.
func batchSize(n, size int) (int, error) {
	if size <= 0 {
		return 0, fmt.Errorf("data: samples of size %d cannot be batched", size)
	}
	if n <= 0 || n%size != 0 {
		return 0, fmt.Errorf("data: batch buffer of %d values is not a positive multiple of the sample size %d", n, size)
	}
	return n / size, nil
}

// SourceLoader batches an endless Source. It implements Batches; its Epoch
// is always 0. It is not safe for concurrent use.
type SourceLoader struct {
	src   Source
	shape []int
	size  int
	pcg   *rand.PCG
	rng   *rand.Rand
}

// NewSourceLoader returns a SourceLoader drawing from src with a PCG
// generator seeded with seed.
func NewSourceLoader(src Source, seed uint64) *SourceLoader {
	pcg := rand.NewPCG(seed, loaderStream)
	l := &SourceLoader{src: src, pcg: pcg, rng: rand.New(pcg)}
	if src != nil {
		l.shape = append([]int(nil), src.Shape()...)
		l.size = Size(l.shape)
	}
	return l
}

// Shape returns the shape of one sample.
func (l *SourceLoader) Shape() []int { return append([]int(nil), l.shape...) }

// Epoch returns 0: a Source has no epochs.
func (l *SourceLoader) Epoch() int { return 0 }

// Next fills dst with len(dst)/size fresh samples.
func (l *SourceLoader) Next(dst []float32) error {
	if l.src == nil {
		return errors.New("data: SourceLoader has no source")
	}
	b, err := batchSize(len(dst), l.size)
	if err != nil {
		return err
	}
	for k := 0; k < b; k++ {
		l.src.Draw(l.rng, dst[k*l.size:(k+1)*l.size])
	}
	return nil
}

// subset is the Dataset of Subset.
type subset struct {
	ds  Dataset
	idx []int
}

func (s *subset) Len() int                { return len(s.idx) }
func (s *subset) Shape() []int            { return s.ds.Shape() }
func (s *subset) At(i int, dst []float32) { s.ds.At(s.idx[i], dst) }

// Subset returns the Dataset of the samples of ds at indices, in that
// order; indices is copied and every index must be in range.
func Subset(ds Dataset, indices []int) (Dataset, error) {
	if ds == nil {
		return nil, errors.New("data: Subset of nil dataset")
	}
	n := ds.Len()
	for _, i := range indices {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("data: Subset index %d out of range [0, %d)", i, n)
		}
	}
	return &subset{ds: ds, idx: append([]int(nil), indices...)}, nil
}

// limit is the Dataset of Limit.
type limit struct {
	Dataset
	n int
}

func (l *limit) Len() int { return l.n }

// Limit returns the Dataset of the first n samples of ds (all of them if
// it has fewer; none if n < 0). Limit of nil is nil.
func Limit(ds Dataset, n int) Dataset {
	if ds == nil {
		return nil
	}
	return &limit{Dataset: ds, n: max(0, min(n, ds.Len()))}
}
