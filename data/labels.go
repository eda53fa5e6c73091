package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Labeled is a Dataset whose samples belong to classes 0 … NumClasses()−1.
// *Images implements it (its labels are those of an MNIST label file);
// NewLabeled gives any Dataset labels, and LoadImageDirClasses makes the
// subfolders of an image folder the classes.
type Labeled interface {
	Dataset
	// NumClasses returns the number of classes, 0 if the samples have no
	// labels.
	NumClasses() int
	// Label returns the class of sample i, in [0, NumClasses()).
	Label(i int) int
}

// LabeledBatches is a stream of batches with the class of every sample:
// what a class-conditional trainer consumes. Loader implements it; its
// NumClasses is 0 when its dataset has no labels.
type LabeledBatches interface {
	Batches
	// NumClasses returns the number of classes (0: the stream has no
	// labels, and NextLabeled fails).
	NumClasses() int
	// NextLabeled is Next that also writes the class of each sample of
	// the batch into labels, whose length must be the batch size.
	NextLabeled(dst []float32, labels []int) error
}

// NumClasses returns 1 + the largest label, or 0 if m has no labels.
func (m *Images) NumClasses() int {
	if m.Labels == nil {
		return 0
	}
	k := 0
	for _, l := range m.Labels {
		k = max(k, int(l)+1)
	}
	return k
}

// Label returns the label of image i (0 if there are no labels). Like
// slice indexing, it panics if i is out of range.
func (m *Images) Label(i int) int {
	if m.Labels == nil {
		return 0
	}
	return int(m.Labels[i])
}

// labeled is the Dataset of NewLabeled.
type labeled struct {
	Dataset
	labels []int
	k      int
}

func (l *labeled) NumClasses() int { return l.k }
func (l *labeled) Label(i int) int { return l.labels[i] }

// NewLabeled returns ds with the given labels, one per sample, each in
// [0, numClasses); labels is copied. Use it for in-memory datasets.
func NewLabeled(ds Dataset, labels []int, numClasses int) (Labeled, error) {
	if ds == nil {
		return nil, errors.New("data: NewLabeled of nil dataset")
	}
	if numClasses < 1 {
		return nil, fmt.Errorf("data: NewLabeled: the number of classes must be positive, got %d", numClasses)
	}
	if len(labels) != ds.Len() {
		return nil, fmt.Errorf("data: NewLabeled: %d labels for %d samples", len(labels), ds.Len())
	}
	for i, l := range labels {
		if l < 0 || l >= numClasses {
			return nil, fmt.Errorf("data: NewLabeled: label %d of sample %d is outside [0, %d)", l, i, numClasses)
		}
	}
	return &labeled{Dataset: ds, labels: append([]int(nil), labels...), k: numClasses}, nil
}

// Slices is an in-memory Dataset: Len samples of shape Shape, one after
// the other in Values.
type Slices struct {
	shape  []int
	values []float32
}

// NewSlices returns the in-memory dataset of the samples in values, each
// of the given shape (values is not copied).
func NewSlices(shape []int, values []float32) (*Slices, error) {
	s := Size(shape)
	if len(shape) == 0 || s <= 0 {
		return nil, fmt.Errorf("data: NewSlices: bad sample shape %v", shape)
	}
	if len(values) == 0 || len(values)%s != 0 {
		return nil, fmt.Errorf("data: NewSlices: %d values are not a positive whole number of samples of shape %v", len(values), shape)
	}
	return &Slices{shape: append([]int(nil), shape...), values: values}, nil
}

// Len returns the number of samples.
func (s *Slices) Len() int { return len(s.values) / Size(s.shape) }

// Shape returns the shape of one sample.
func (s *Slices) Shape() []int { return append([]int(nil), s.shape...) }

// At copies sample i into dst.
func (s *Slices) At(i int, dst []float32) {
	n := Size(s.shape)
	copy(dst, s.values[i*n:(i+1)*n])
}

// classes is the Dataset of LoadImageDirClasses: the images of each class
// one after the other.
type classes struct {
	parts  []*Images
	starts []int // first index of each part
	n      int
}

func (c *classes) Len() int        { return c.n }
func (c *classes) Shape() []int    { return c.parts[0].Shape() }
func (c *classes) NumClasses() int { return len(c.parts) }
func (c *classes) Label(i int) int { return sort.SearchInts(c.starts, i+1) - 1 }
func (c *classes) At(i int, dst []float32) {
	k := c.Label(i)
	c.parts[k].At(i-c.starts[k], dst)
}

// LoadImageDirClasses reads an image folder whose subfolders are the
// classes: dir/NAME/… holds the images of class NAME. The classes are the
// non-hidden subfolders in lexical order, numbered from 0; their names are
// returned in that order. Each subfolder is read, with its own
// subfolders, as LoadImageDir reads a folder with opt (opt.Recursive is
// implied; opt.Limit applies to each class). Files directly in dir are
// ignored. A subfolder without a readable image is an error.
func LoadImageDirClasses(dir string, opt ImageDirOptions) (Labeled, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: load image classes: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("data: load image classes: %s has no subfolders (one per class)", dir)
	}
	opt.Recursive = true
	c := &classes{}
	for _, name := range names {
		m, err := LoadImageDir(filepath.Join(dir, name), opt)
		if err != nil {
			return nil, nil, fmt.Errorf("data: load image classes: class %q: %w", name, err)
		}
		c.parts = append(c.parts, m)
		c.starts = append(c.starts, c.n)
		c.n += m.Len()
	}
	return c, names, nil
}

// NumClasses returns the number of classes of the Loader's dataset: 0 if
// it does not implement Labeled (or has no labels).
func (l *Loader) NumClasses() int {
	if ld, ok := l.ds.(Labeled); ok {
		return ld.NumClasses()
	}
	return 0
}

// NextLabeled is Next that also writes the label of each sample into
// labels (len(labels) must be the batch size). It takes the same samples,
// and leaves the Loader in the same state, as Next would: labelled and
// unlabelled reads can be mixed and checkpointed alike.
func (l *Loader) NextLabeled(dst []float32, labels []int) error {
	ld, ok := l.ds.(Labeled)
	if !ok || ld.NumClasses() == 0 {
		return fmt.Errorf("data: the Loader's dataset (%T) has no labels", l.ds)
	}
	if l.size > 0 && len(labels)*l.size != len(dst) {
		return fmt.Errorf("data: NextLabeled: %d labels for a batch of %d values of sample size %d", len(labels), len(dst), l.size)
	}
	return l.next(dst, func(k, i int) { labels[k] = ld.Label(i) })
}
