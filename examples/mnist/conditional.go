package main

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/images"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/training"
)

// digitClasses is the number of MNIST classes.
const digitClasses = 10

// conditionalSchemes are the values of -conditional.
var conditionalSchemes = append([]string{"none"}, models.Schemes()...)

// checkConditional checks -conditional and, with it, -export.
func checkConditional(c config) error {
	if c.Conditional == "" {
		return nil
	}
	if !slices.Contains(conditionalSchemes, c.Conditional) {
		return fmt.Errorf("unknown -conditional %q (want one of %v)", c.Conditional, conditionalSchemes)
	}
	if c.conditional() && c.Export%digitClasses != 0 {
		return fmt.Errorf("-export %d with -conditional: want a multiple of %d (equal counts per class)", c.Export, digitClasses)
	}
	return nil
}

// conditional reports whether the run trains a class-conditional GAN.
func (c config) conditional() bool { return c.Conditional != "" && c.Conditional != "none" }

// newConditionalModels returns the reference conditional networks of
// c.Model with the scheme c.Conditional.
func newConditionalModels(c config) (gan.Generator, gan.Discriminator, error) {
	var gcfg models.ConditionalGeneratorConfig
	var dcfg models.ConditionalDiscriminatorConfig
	var err error
	switch c.Model {
	case "mlp":
		gcfg, dcfg, err = models.ReferenceConditionalMLP(c.Conditional, digitClasses)
	case "dcgan":
		gcfg, dcfg, err = models.ReferenceConditionalDCGAN(c.Conditional, digitClasses)
	default:
		err = fmt.Errorf("unknown model %q", c.Model)
	}
	if err != nil {
		return nil, nil, err
	}
	gen, err := models.NewConditionalGenerator(gcfg, c.Seed)
	if err != nil {
		return nil, nil, err
	}
	disc, err := models.NewConditionalDiscriminator(dcfg, c.Seed)
	if err != nil {
		return nil, nil, err
	}
	return gen, disc, nil
}

// exportClasses writes n generated digits, n/10 of each class in the
// order 0, 1, …, 9, 0, 1, …, to dir's generated-images-idx3-ubyte and
// their classes to generated-labels-idx1-ubyte.
func exportClasses(tr *gan.Trainer, n int, dir string) error {
	if n%digitClasses != 0 {
		return fmt.Errorf("export: %d digits cannot be shared equally among %d classes", n, digitClasses)
	}
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % digitClasses)
	}
	classOf := func(i int) int { return i % digitClasses }
	if err := exportDigits(tr, n, filepath.Join(dir, "generated-images-idx3-ubyte"), classOf); err != nil {
		return err
	}
	idx, err := data.NewIDXUint8(labels, n)
	if err != nil {
		return err
	}
	return data.WriteIDXFile(filepath.Join(dir, "generated-labels-idx1-ubyte"), idx)
}

// ClassGrid is a training callback that writes classes-NNNNNN.png, a grid
// with one row per class: row c holds the digits of class c for 10 fixed
// latent vectors, the same vectors in every row, so a column shows one
// "style" across the classes. It draws the vectors at Init from the
// trainer's sampling generator and writes every Every steps (0: only at
// the end) and at the end of a run that did not fail.
type ClassGrid struct {
	Dir   string
	Every int
	Scale int
	z     []float64
}

// Record implements training.Callback.
func (g *ClassGrid) Record(s *training.State, e training.Event) error {
	switch e {
	case training.Init:
		g.z = s.Trainer.Noise(digitClasses)
	case training.Step:
		if g.Every > 0 && s.Stats.Step%g.Every == 0 {
			return g.write(s.Trainer)
		}
	case training.End:
		if !s.Failed() {
			return g.write(s.Trainer)
		}
	}
	return nil
}

func (g *ClassGrid) write(tr *gan.Trainer) error {
	k := tr.NumClasses()
	z := make([]float64, 0, k*len(g.z))
	classes := make([]int, 0, k*digitClasses)
	for c := 0; c < k; c++ {
		z = append(z, g.z...)
		for j := 0; j < digitClasses; j++ {
			classes = append(classes, c)
		}
	}
	batch, err := tr.GenerateClasses(z, classes)
	if err != nil {
		return err
	}
	imgs, err := images.FromTensor(batch)
	if err != nil {
		return err
	}
	grid, err := images.Grid(imgs, digitClasses, 2)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("classes-%06d.png", tr.Steps())
	return images.WritePNG(filepath.Join(g.Dir, name), images.Scale(grid, max(g.Scale, 1)))
}
