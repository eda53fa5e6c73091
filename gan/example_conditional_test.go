package gan_test

import (
	"encoding/json"
	"fmt"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
)

// A class-conditional GAN (here with a projection discriminator) learns
// two classes of points, class 0 near x = −2 and class 1 near x = 2, and
// then makes points of the class asked for.
func ExampleTrainer_SampleClasses() {
	// 256 labelled points in memory.
	vals, labels := make([]float32, 2*256), make([]int, 256)
	for i := range labels {
		labels[i] = i % 2
		vals[2*i] = float32(4*labels[i]-2) + float32(i%7)/20
		vals[2*i+1] = float32(i%5)/10 - 0.2
	}
	points, err := data.NewSlices([]int{2}, vals)
	if err != nil {
		panic(err)
	}
	ds, err := data.NewLabeled(points, labels, 2)
	if err != nil {
		panic(err)
	}
	// The base networks take the class too: G's latent size is 2 (noise)
	// + 2 (one-hot class).
	base, _ := json.Marshal(models.MLPGeneratorConfig{LatentDim: 4, Hidden: []int{16}, OutputShape: []int{2},
		Activation: nn.LeakyReLU(0.2), Output: nn.Identity()})
	gen, err := models.NewConditionalGenerator(models.ConditionalGeneratorConfig{Classes: 2,
		Base: gan.NetworkSpec{Kind: models.KindMLPGenerator, Config: base}}, 1)
	if err != nil {
		panic(err)
	}
	dbase, _ := json.Marshal(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16, 16}, Activation: nn.LeakyReLU(0.2)})
	disc, err := models.NewConditionalDiscriminator(models.ConditionalDiscriminatorConfig{Classes: 2,
		Scheme: models.SchemeProjection, InputShape: []int{2},
		Base: gan.NetworkSpec{Kind: models.KindMLPDiscriminator, Config: dbase}}, 1)
	if err != nil {
		panic(err)
	}
	adam := optim.AdamConfig{LR: 2e-3, Beta1: 0.5, Beta2: 0.999}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 32, Seed: 2, GOptimizer: adam, DOptimizer: adam})
	if err != nil {
		panic(err)
	}
	loader := data.NewLoader(ds, 1) // a data.LabeledBatches: batches with their classes
	for i := 0; i < 300; i++ {
		if _, err := tr.Step(loader); err != nil {
			panic(err)
		}
	}
	s, err := tr.SampleClasses([]int{0, 0, 0, 1, 1, 1})
	if err != nil {
		panic(err)
	}
	for i, v := range s.Data().([]float32) {
		if i%2 == 0 {
			fmt.Printf("class %d: x > 0 is %v\n", i/6, v > 0)
		}
	}
	// Output:
	// class 0: x > 0 is false
	// class 0: x > 0 is false
	// class 0: x > 0 is false
	// class 1: x > 0 is true
	// class 1: x > 0 is true
	// class 1: x > 0 is true
}
