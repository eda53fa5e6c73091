package mnistclf

import (
	"bytes"
	_ "embed" // for the shipped weights
	"encoding/json"
	"fmt"
	"math"
	"sync"

	"github.com/gogan/gogan/metrics"
	"github.com/gogan/gogan/tensorfile"
)

// The classifier's sizes.
const (
	// InputSize is the number of values of one image, 1×28×28.
	InputSize = 28 * 28
	// HiddenSize is the width of the first hidden layer.
	HiddenSize = 256
	// FeatureSize is the width of the second hidden layer, whose ReLU
	// activations are the features of Features and FrechetDistance.
	FeatureSize = 64
	// NumClasses is the number of classes, the digits 0 to 9.
	NumClasses = 10
)

// The split of the 10,000 digits of mnist10k used to train and evaluate
// the shipped classifier.
const (
	// TrainSize is the number of digits trained on: the first 8,000.
	TrainSize = 8000
	// HeldOutSize is the number of held-out digits: the last 2,000.
	HeldOutSize = 2000
)

// Architecture describes the network, as recorded in the weights file.
const Architecture = "mlp 784-256-64-10: dense+relu, dense+relu (64 features), dense (10 logits)"

// FileFormat identifies a classifier weights file in its metadata.
const FileFormat = "gogan-mnistclf/1"

// The names of the weight tensors in the weights file. Weights have shape
// [in, out] and biases [out]; a layer computes x·w + b.
var tensorNames = [...]string{"fc1/w", "fc1/b", "fc2/w", "fc2/b", "out/w", "out/b"}

// tensorShapes are the shapes of the tensors named by tensorNames.
var tensorShapes = [...][]int{
	{InputSize, HiddenSize}, {HiddenSize},
	{HiddenSize, FeatureSize}, {FeatureSize},
	{FeatureSize, NumClasses}, {NumClasses},
}

//go:embed classifier.gogan
var shipped []byte

// Meta is the metadata of a weights file: how the classifier was made and
// how well it does.
type Meta struct {
	// Format is FileFormat.
	Format string `json:"format"`
	// Architecture is the Architecture the weights are for.
	Architecture string `json:"architecture"`
	// Data names the data set trained on.
	Data string `json:"data"`
	// Split describes which digits were trained on and which held out.
	Split string `json:"split"`
	// TrainSize and HeldOutSize are the sizes of the two parts.
	TrainSize   int `json:"train_size"`
	HeldOutSize int `json:"held_out_size"`
	// Seed seeded the initialisation, the shuffling and the augmentation.
	Seed uint64 `json:"seed"`
	// Epochs, BatchSize, LR and Shift are the training settings (see
	// TrainConfig).
	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	LR        float64 `json:"lr"`
	Shift     int     `json:"shift"`
	// LRSchedule describes how the learning rate changes over training.
	LRSchedule string `json:"lr_schedule"`
	// TrainLoss is the mean training loss of each epoch.
	TrainLoss []float64 `json:"train_loss"`
	// HeldOutAccuracy is the share of held-out digits classified
	// correctly after the last epoch.
	HeldOutAccuracy float64 `json:"held_out_accuracy"`
	// Command is the command that made the file.
	Command string `json:"command,omitempty"`
}

// Classifier is a trained MNIST digit classifier. Its methods only read
// it, so it is safe for concurrent use.
type Classifier struct {
	w1, b1, w2, b2, w3, b3 []float32
	meta                   Meta
}

var loadShipped = sync.OnceValues(func() (*Classifier, error) {
	f, err := tensorfile.Read(bytes.NewReader(shipped))
	if err != nil {
		return nil, fmt.Errorf("mnistclf: embedded weights: %w", err)
	}
	c, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("mnistclf: embedded weights: %w", err)
	}
	return c, nil
})

// Load returns the classifier shipped with the package, whose weights are
// embedded in the binary. The file's checksum, tensors and metadata are
// verified; the result is decoded once and shared by every call.
func Load() (*Classifier, error) { return loadShipped() }

// LoadFile returns the classifier stored in the weights file path, such
// as one written by the trainclassifier command.
func LoadFile(path string) (*Classifier, error) {
	f, err := tensorfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mnistclf: %w", err)
	}
	c, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("mnistclf: %s: %w", path, err)
	}
	return c, nil
}

// Decode returns the classifier held in a weights file read with package
// tensorfile. It checks the metadata's format and architecture and the
// names, dtypes, shapes and finiteness of the tensors.
func Decode(f *tensorfile.File) (*Classifier, error) {
	if f == nil {
		return nil, fmt.Errorf("mnistclf: decode: nil file")
	}
	c := &Classifier{}
	if err := json.Unmarshal(f.Meta, &c.meta); err != nil {
		return nil, fmt.Errorf("mnistclf: decode metadata: %w", err)
	}
	if c.meta.Format != FileFormat {
		return nil, fmt.Errorf("mnistclf: decode: format %q, want %q", c.meta.Format, FileFormat)
	}
	if c.meta.Architecture != Architecture {
		return nil, fmt.Errorf("mnistclf: decode: architecture %q, want %q", c.meta.Architecture, Architecture)
	}
	dst := [...]*[]float32{&c.w1, &c.b1, &c.w2, &c.b2, &c.w3, &c.b3}
	for i, name := range tensorNames {
		t, ok := f.Get(name)
		if !ok {
			return nil, fmt.Errorf("mnistclf: decode: tensor %q: %w", name, tensorfile.ErrNotFound)
		}
		d, err := f.Float32s(name)
		if err != nil {
			return nil, fmt.Errorf("mnistclf: decode: %w", err)
		}
		if !equalInts(t.Shape, tensorShapes[i]) {
			return nil, fmt.Errorf("mnistclf: decode: tensor %q has shape %v, want %v", name, t.Shape, tensorShapes[i])
		}
		for k, v := range d {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("mnistclf: decode: tensor %q: element %d is %v", name, k, v)
			}
		}
		*dst[i] = d
	}
	return c, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Meta returns the metadata of the classifier's weights file.
func (c *Classifier) Meta() Meta {
	m := c.meta
	m.TrainLoss = append([]float64(nil), m.TrainLoss...)
	return m
}

// checkImages checks that images holds n images of InputSize finite
// values.
func checkImages(what string, images []float32, n int) error {
	if n < 0 {
		return fmt.Errorf("mnistclf: %s: negative number of images %d", what, n)
	}
	if len(images) != n*InputSize {
		return fmt.Errorf("mnistclf: %s: images have length %d, want n·%d = %d for n = %d (28×28 pixels per image)",
			what, len(images), InputSize, n*InputSize, n)
	}
	for i, v := range images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("mnistclf: %s: image %d, pixel %d is %v", what, i/InputSize, i%InputSize, v)
		}
	}
	return nil
}

// forward runs the network on one image x, writing the features (the
// second hidden layer's activations) to feat and the logits to logits.
// h is scratch space of HiddenSize values. It computes in float32 with
// the same products as the training graph.
func (c *Classifier) forward(x []float32, h, feat, logits []float32) {
	dense(x, c.w1, c.b1, h)
	relu(h)
	dense(h, c.w2, c.b2, feat)
	relu(feat)
	dense(feat, c.w3, c.b3, logits)
}

// dense sets y = x·w + b for w of shape [len(x), len(y)], row-major.
func dense(x, w, b, y []float32) {
	out := len(y)
	for j := range y {
		y[j] = 0
	}
	for i, xi := range x {
		row := w[i*out : (i+1)*out]
		for j, wij := range row {
			y[j] += xi * wij
		}
	}
	for j := range y {
		y[j] += b[j]
	}
}

func relu(v []float32) {
	for i, x := range v {
		if x < 0 {
			v[i] = 0
		}
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// each runs the network on the n images and calls f with the index,
// features and logits of each.
func (c *Classifier) each(images []float32, n int, f func(i int, feat, logits []float32)) {
	h := make([]float32, HiddenSize)
	feat := make([]float32, FeatureSize)
	logits := make([]float32, NumClasses)
	for i := 0; i < n; i++ {
		c.forward(images[i*InputSize:(i+1)*InputSize], h, feat, logits)
		f(i, feat, logits)
	}
}

// Predict returns the most likely digit of each of n images. images holds
// the images one after the other, n·784 values, each image 28 rows of 28
// pixels in [-1, 1] (background −1): the layout of data.Images.Floats and
// of a generator's [n, 1, 28, 28] output. It returns an error if the
// length is not n·784 or a value is not finite.
func (c *Classifier) Predict(images []float32, n int) ([]int, error) {
	if err := checkImages("predict", images, n); err != nil {
		return nil, err
	}
	out := make([]int, n)
	c.each(images, n, func(i int, _, logits []float32) { out[i] = argmax(logits) })
	return out, nil
}

// Logits returns the classifier's n×10 logits (unnormalised log
// probabilities) of n images laid out as for Predict.
func (c *Classifier) Logits(images []float32, n int) ([][]float64, error) {
	if err := checkImages("logits", images, n); err != nil {
		return nil, err
	}
	out := make([][]float64, n)
	c.each(images, n, func(i int, _, logits []float32) { out[i] = toFloat64(logits) })
	return out, nil
}

// Features returns the FeatureSize = 64 activations of the classifier's
// last hidden layer (after its ReLU) for each of n images laid out as for
// Predict: the features on which FrechetDistance is computed.
func (c *Classifier) Features(images []float32, n int) ([][]float64, error) {
	if err := checkImages("features", images, n); err != nil {
		return nil, err
	}
	out := make([][]float64, n)
	c.each(images, n, func(i int, feat, _ []float32) { out[i] = toFloat64(feat) })
	return out, nil
}

func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// ClassHistogram returns the share of the n images (laid out as for
// Predict) that the classifier assigns to each digit 0…9; the shares sum
// to 1. For a generator's samples it is the generated distribution over
// digits: uniform-ish for a generator that covers every digit, peaked for
// one that has collapsed (see metrics.KLFromUniform). It returns an error
// for n = 0.
func (c *Classifier) ClassHistogram(images []float32, n int) ([]float64, error) {
	labels, err := c.Predict(images, n)
	if err != nil {
		return nil, fmt.Errorf("mnistclf: class histogram: %w", err)
	}
	hist, err := metrics.ClassHistogram(labels, NumClasses)
	if err != nil {
		return nil, fmt.Errorf("mnistclf: class histogram: %w", err)
	}
	return hist, nil
}

// FrechetDistance returns the squared Fréchet distance between Gaussians
// fitted (metrics.MeanCov) to the classifier's 64 features (see Features)
// of nReal real and nGen generated images, laid out as for Predict
// (metrics.FrechetDistance). It is FID-like: the formula of the Fréchet
// Inception Distance, but on MNIST-classifier features, not Inception
// ones, so its values are not comparable with published FIDs, only with
// each other. Both sets need at least 2 images; with fewer than 65 the
// covariances are singular, which the formula allows, but the estimate is
// noisy and biased upwards for small sets, so compare values computed on
// sets of the same sizes (a few thousand images are typical).
func (c *Classifier) FrechetDistance(real, gen []float32, nReal, nGen int) (float64, error) {
	fr, err := c.Features(real, nReal)
	if err != nil {
		return 0, fmt.Errorf("mnistclf: Fréchet distance: real images: %w", err)
	}
	fg, err := c.Features(gen, nGen)
	if err != nil {
		return 0, fmt.Errorf("mnistclf: Fréchet distance: generated images: %w", err)
	}
	mr, cr, err := metrics.MeanCov(fr)
	if err != nil {
		return 0, fmt.Errorf("mnistclf: Fréchet distance: real images: %w", err)
	}
	mg, cg, err := metrics.MeanCov(fg)
	if err != nil {
		return 0, fmt.Errorf("mnistclf: Fréchet distance: generated images: %w", err)
	}
	d, err := metrics.FrechetDistance(mr, cr, mg, cg)
	if err != nil {
		return 0, fmt.Errorf("mnistclf: %w", err)
	}
	return d, nil
}
