package mnistclf

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
	"github.com/gogan/gogan/tensorfile"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TrainConfig configures Train. The zero value of a field selects the
// default given with it.
type TrainConfig struct {
	// Epochs is the number of passes over the training digits (default 30).
	Epochs int
	// BatchSize is the mini-batch size (default 50). Each epoch visits the
	// training digits in a fresh seeded order and drops the last partial
	// batch.
	BatchSize int
	// LR is Adam's initial learning rate (default 1e-3; β1 0.9, β2
	// 0.999). It decays linearly from epoch to epoch, reaching LR/10 in
	// the last epoch.
	LR float64
	// Seed seeds the weight initialisation, the shuffling and the
	// augmentation; the same seed and data give the same weights bit for
	// bit.
	Seed uint64
	// Shift is the largest random translation, in pixels along each axis,
	// applied to a training digit each time it is drawn; the pixels
	// shifted in are background (−1). 0 turns augmentation off.
	Shift int
	// Command is recorded in the metadata as the command that made the
	// file.
	Command string
	// Log, if not nil, receives one line per epoch.
	Log io.Writer
}

func (cfg TrainConfig) withDefaults() TrainConfig {
	if cfg.Epochs == 0 {
		cfg.Epochs = 30
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 50
	}
	if cfg.LR == 0 {
		cfg.LR = 1e-3
	}
	return cfg
}

// net is the network's parameters, for the training graph.
type net struct {
	ps                     *nn.Params
	w1, b1, w2, b2, w3, b3 *nn.Param
}

// heNormal draws from N(0, 2/fanIn), the initialisation of He et al.
// (2015) for layers followed by a ReLU.
func heNormal() nn.Init {
	return func(rng *rand.Rand, shape []int, vals []float64) {
		fanIn, _ := nn.Fans(shape)
		std := math.Sqrt(2 / float64(fanIn))
		for i := range vals {
			vals[i] = std * rng.NormFloat64()
		}
	}
}

// newNet returns freshly initialised parameters drawn from rng (or zeros
// if rng is nil).
func newNet(rng *rand.Rand) (*net, error) {
	ps, err := nn.NewParams(tensor.Float32)
	if err != nil {
		return nil, err
	}
	init := heNormal()
	if rng == nil {
		init = nn.Zeros()
	}
	n := &net{ps: ps}
	dst := [...]**nn.Param{&n.w1, &n.b1, &n.w2, &n.b2, &n.w3, &n.b3}
	for i, name := range tensorNames {
		in := init
		if len(tensorShapes[i]) == 1 {
			in = nn.Zeros()
		}
		if *dst[i], err = ps.New(name, tensorShapes[i], in, rng); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// netFrom returns parameters holding a copy of c's weights.
func netFrom(c *Classifier) (*net, error) {
	n, err := newNet(nil)
	if err != nil {
		return nil, err
	}
	src := [...][]float32{c.w1, c.b1, c.w2, c.b2, c.w3, c.b3}
	for i, p := range n.ps.All() {
		copy(p.Value.Data().([]float32), src[i])
	}
	return n, nil
}

// classifier returns a Classifier holding a copy of n's weights.
func (n *net) classifier(meta Meta) *Classifier {
	cp := func(p *nn.Param) []float32 { return append([]float32(nil), p.Value.Data().([]float32)...) }
	return &Classifier{w1: cp(n.w1), b1: cp(n.b1), w2: cp(n.w2), b2: cp(n.b2), w3: cp(n.w3), b3: cp(n.b3), meta: meta}
}

// build adds the network to b's graph for input x of shape [batch, 784]
// and returns the logits [batch, 10] and features [batch, 64].
func (n *net) build(b *nn.Builder, x *G.Node) (logits, feat *G.Node, err error) {
	h, err := nn.Dense(b, x, n.w1, n.b1)
	if err != nil {
		return nil, nil, err
	}
	if h, err = nn.ReLU().Apply(h); err != nil {
		return nil, nil, err
	}
	if feat, err = nn.Dense(b, h, n.w2, n.b2); err != nil {
		return nil, nil, err
	}
	if feat, err = nn.ReLU().Apply(feat); err != nil {
		return nil, nil, err
	}
	if logits, err = nn.Dense(b, feat, n.w3, n.b3); err != nil {
		return nil, nil, err
	}
	return logits, feat, nil
}

// crossEntropy returns the mean softmax cross-entropy of logits [batch,
// classes] against one-hot targets of the same shape, computed stably as
// logsumexp(z − max z) − (z − max z)[label]. The row maximum only shifts
// the logits, so its gradient contribution cancels.
func crossEntropy(logits, onehot *G.Node) (*G.Node, error) {
	shape := logits.Shape()
	m, err := G.Max(logits, 1)
	if err != nil {
		return nil, err
	}
	if m, err = G.Reshape(m, tensor.Shape{shape[0], 1}); err != nil {
		return nil, err
	}
	z, err := G.BroadcastSub(logits, m, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(z)
	if err != nil {
		return nil, err
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, err
	}
	lse, err := G.Log(s)
	if err != nil {
		return nil, err
	}
	picked, err := G.HadamardProd(z, onehot)
	if err != nil {
		return nil, err
	}
	target, err := G.Sum(picked, 1)
	if err != nil {
		return nil, err
	}
	nll, err := G.Sub(lse, target)
	if err != nil {
		return nil, err
	}
	return G.Mean(nll)
}

// trainGraph is the compiled training step.
type trainGraph struct {
	vm     G.VM
	x, y   *tensor.Dense
	loss   G.Value
	grads  []G.Value
	params []*tensor.Dense
}

func newTrainGraph(n *net, batch int) (tg *trainGraph, err error) {
	defer func() {
		if r := recover(); r != nil {
			tg, err = nil, fmt.Errorf("gorgonia: %v", r)
		}
	}()
	b := nn.NewBuilder(G.NewGraph(), nn.Training)
	x := b.Input("x", tensor.Float32, batch, InputSize)
	y := b.Input("onehot", tensor.Float32, batch, NumClasses)
	logits, _, err := n.build(b, x)
	if err != nil {
		return nil, err
	}
	loss, err := crossEntropy(logits, y)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy: %w", err)
	}
	learn := b.Learnables(n.ps)
	grads, err := G.Grad(loss, learn...)
	if err != nil {
		return nil, fmt.Errorf("differentiate: %w", err)
	}
	tg = &trainGraph{x: x.Value().(*tensor.Dense), y: y.Value().(*tensor.Dense), grads: make([]G.Value, len(grads))}
	G.Read(loss, &tg.loss)
	for i, g := range grads {
		G.Read(g, &tg.grads[i])
	}
	for _, p := range n.ps.Learnables() {
		tg.params = append(tg.params, p.Value)
	}
	tg.vm = G.NewTapeMachine(b.Graph())
	return tg, nil
}

// step runs one forward and backward pass on the batch already in tg.x
// and tg.y and applies opt; it returns the batch's loss.
func (tg *trainGraph) step(opt optim.Optimizer) (loss float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	defer tg.vm.Reset()
	if err := tg.vm.RunAll(); err != nil {
		return 0, err
	}
	loss = float64(tg.loss.Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("loss is %v", loss)
	}
	gt := make([]*tensor.Dense, len(tg.grads))
	for i, g := range tg.grads {
		gt[i] = g.(*tensor.Dense)
	}
	return loss, opt.Step(tg.params, gt)
}

// graphForward runs the Gorgonia network, as built for training but in
// inference mode, on n images and returns the logits and features, each
// row-major. It is the reference for the plain-Go forward pass.
func graphForward(c *Classifier, images []float32, n int) (logits, feat []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	if err := checkImages("graph forward", images, n); err != nil {
		return nil, nil, err
	}
	nt, err := netFrom(c)
	if err != nil {
		return nil, nil, err
	}
	b := nn.NewBuilder(G.NewGraph(), nn.Inference)
	x := b.Input("x", tensor.Float32, n, InputSize)
	copy(x.Value().(*tensor.Dense).Data().([]float32), images)
	l, f, err := nt.build(b, x)
	if err != nil {
		return nil, nil, err
	}
	var lv, fv G.Value
	G.Read(l, &lv)
	G.Read(f, &fv)
	vm := G.NewTapeMachine(b.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, nil, err
	}
	return append([]float32(nil), lv.Data().([]float32)...), append([]float32(nil), fv.Data().([]float32)...), nil
}

// epochLR returns the learning rate of an epoch (1-based): linear from
// cfg.LR in the first epoch to cfg.LR/10 in the last.
func epochLR(cfg TrainConfig, epoch int) float64 {
	if cfg.Epochs == 1 {
		return cfg.LR
	}
	return cfg.LR * (1 - 0.9*float64(epoch-1)/float64(cfg.Epochs-1))
}

// adamAt returns an Adam optimizer with learning rate lr and the state of
// opt (an exact copy: float32 moments survive the float64 round trip).
func adamAt(opt *optim.Adam, lr float64) (*optim.Adam, error) {
	next, err := optim.NewAdam(optim.AdamConfig{LR: lr})
	if err != nil {
		return nil, err
	}
	if err := next.SetState(opt.State()); err != nil {
		return nil, err
	}
	return next, nil
}

// shiftInto writes src, a 28×28 image, translated by (dx, dy) pixels into
// dst, filling the uncovered pixels with the background value −1.
func shiftInto(dst, src []float32, dx, dy int) {
	for y := 0; y < 28; y++ {
		sy := y - dy
		for x := 0; x < 28; x++ {
			sx := x - dx
			v := float32(-1)
			if sy >= 0 && sy < 28 && sx >= 0 && sx < 28 {
				v = src[sy*28+sx]
			}
			dst[y*28+x] = v
		}
	}
}

// Accuracy returns the share of the n images (laid out as for Predict)
// whose predicted digit equals their label.
func (c *Classifier) Accuracy(images []float32, labels []uint8, n int) (float64, error) {
	if len(labels) != n {
		return 0, fmt.Errorf("mnistclf: accuracy: %d labels for %d images", len(labels), n)
	}
	if n == 0 {
		return 0, fmt.Errorf("mnistclf: accuracy of no images")
	}
	pred, err := c.Predict(images, n)
	if err != nil {
		return 0, fmt.Errorf("mnistclf: accuracy: %w", err)
	}
	right := 0
	for i, p := range pred {
		if p == int(labels[i]) {
			right++
		}
	}
	return float64(right) / float64(n), nil
}

// Train trains a classifier of the package's architecture on the first
// TrainSize digits of images (10,000 labelled 1×28×28 MNIST digits, as
// data.LoadMNIST returns for mnist10k) with Adam on the softmax
// cross-entropy, and measures its accuracy on the last HeldOutSize digits,
// which it never trains on. It returns the weights file (tensors and Meta)
// and the classifier. Training is deterministic: the same data and
// configuration give the same file bit for bit.
func Train(images *data.Images, cfg TrainConfig) (*tensorfile.File, *Classifier, error) {
	cfg = cfg.withDefaults()
	if images == nil {
		return nil, nil, fmt.Errorf("mnistclf: train: nil images")
	}
	if images.C != 1 || images.H != 28 || images.W != 28 {
		return nil, nil, fmt.Errorf("mnistclf: train: images are %d×%d×%d, want 1×28×28", images.C, images.H, images.W)
	}
	if images.N != TrainSize+HeldOutSize || len(images.Labels) != images.N || len(images.Bytes) != images.N*InputSize {
		return nil, nil, fmt.Errorf("mnistclf: train: %d images with %d labels, want %d labelled digits", images.N, len(images.Labels), TrainSize+HeldOutSize)
	}
	for i, l := range images.Labels {
		if l >= NumClasses {
			return nil, nil, fmt.Errorf("mnistclf: train: label %d is %d, want 0…9", i, l)
		}
	}
	if cfg.Epochs < 1 || cfg.BatchSize < 1 || cfg.BatchSize > TrainSize || cfg.Shift < 0 || cfg.Shift > 4 || !(cfg.LR > 0) {
		return nil, nil, fmt.Errorf("mnistclf: train: bad configuration: epochs %d, batch size %d, lr %v, shift %d (want epochs ≥ 1, 1 ≤ batch ≤ %d, lr > 0, 0 ≤ shift ≤ 4)",
			cfg.Epochs, cfg.BatchSize, cfg.LR, cfg.Shift, TrainSize)
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d6e697374636c66)) // "mnistclf"
	nt, err := newNet(rng)
	if err != nil {
		return nil, nil, fmt.Errorf("mnistclf: train: %w", err)
	}
	tg, err := newTrainGraph(nt, cfg.BatchSize)
	if err != nil {
		return nil, nil, fmt.Errorf("mnistclf: train: build graph: %w", err)
	}
	defer tg.vm.Close()
	opt, err := optim.NewAdam(optim.AdamConfig{LR: cfg.LR})
	if err != nil {
		return nil, nil, fmt.Errorf("mnistclf: train: %w", err)
	}

	pixels, err := images.Floats(0, images.N)
	if err != nil {
		return nil, nil, fmt.Errorf("mnistclf: train: %w", err)
	}
	heldPix := pixels[TrainSize*InputSize:]
	heldLab := images.Labels[TrainSize:]
	meta := Meta{
		Format: FileFormat, Architecture: Architecture, Data: "mnist10k",
		Split:     fmt.Sprintf("train on digits [0, %d), hold out [%d, %d), in file order", TrainSize, TrainSize, TrainSize+HeldOutSize),
		TrainSize: TrainSize, HeldOutSize: HeldOutSize,
		Seed: cfg.Seed, Epochs: cfg.Epochs, BatchSize: cfg.BatchSize, LR: cfg.LR,
		LRSchedule: "linear per epoch from lr to lr/10", Shift: cfg.Shift,
		Command: cfg.Command,
	}
	xs := tg.x.Data().([]float32)
	ys := tg.y.Data().([]float32)
	batches := TrainSize / cfg.BatchSize
	var acc float64
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		if epoch > 1 {
			if opt, err = adamAt(opt, epochLR(cfg, epoch)); err != nil {
				return nil, nil, fmt.Errorf("mnistclf: train: epoch %d: %w", epoch, err)
			}
		}
		order := rng.Perm(TrainSize)
		sum := 0.0
		for bi := 0; bi < batches; bi++ {
			clear(ys)
			for k := 0; k < cfg.BatchSize; k++ {
				idx := order[bi*cfg.BatchSize+k]
				src := pixels[idx*InputSize : (idx+1)*InputSize]
				dst := xs[k*InputSize : (k+1)*InputSize]
				if cfg.Shift > 0 {
					dx := rng.IntN(2*cfg.Shift+1) - cfg.Shift
					dy := rng.IntN(2*cfg.Shift+1) - cfg.Shift
					shiftInto(dst, src, dx, dy)
				} else {
					copy(dst, src)
				}
				ys[k*NumClasses+int(images.Labels[idx])] = 1
			}
			loss, err := tg.step(opt)
			if err != nil {
				return nil, nil, fmt.Errorf("mnistclf: train: epoch %d, batch %d: %w", epoch, bi+1, err)
			}
			sum += loss
		}
		meanLoss := sum / float64(batches)
		meta.TrainLoss = append(meta.TrainLoss, meanLoss)
		acc, err = nt.classifier(meta).Accuracy(heldPix, heldLab, HeldOutSize)
		if err != nil {
			return nil, nil, fmt.Errorf("mnistclf: train: epoch %d: %w", epoch, err)
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "epoch %2d/%d  train loss %.4f  held-out accuracy %.2f%%\n", epoch, cfg.Epochs, meanLoss, 100*acc)
		}
	}
	meta.HeldOutAccuracy = acc
	c := nt.classifier(meta)
	mj, err := json.Marshal(meta)
	if err != nil {
		return nil, nil, fmt.Errorf("mnistclf: train: metadata: %w", err)
	}
	f := &tensorfile.File{Meta: mj}
	for i, p := range nt.ps.All() {
		f.Tensors = append(f.Tensors, tensorfile.Tensor{Name: tensorNames[i], Shape: tensorShapes[i], Data: append([]float32(nil), p.Value.Data().([]float32)...)})
	}
	return f, c, nil
}
