package gan_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
)

// ExampleConfig_generatorEMA trains with an exponential moving average of
// the generator's weights (β 0.999 is usual; 0.9 here for a short run),
// saves the model (the generator's weights in the file are the average)
// and samples from the file alone, with no discriminator.
func ExampleConfig_generatorEMA() {
	gen, _ := models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: 2, Hidden: []int{16}, OutputShape: []int{2}, Output: nn.Identity(),
	}, 1)
	disc, _ := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16}}, 1)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, Seed: 1, GeneratorEMA: 0.9})
	if err != nil {
		panic(err)
	}
	ring := data.NewSourceLoader(data.NewRing8(), 1)
	for i := 0; i < 20; i++ {
		if _, err := tr.Step(ring); err != nil {
			panic(err)
		}
	}
	dir, _ := os.MkdirTemp("", "ema")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.gogan")
	if err := tr.Save(path); err != nil {
		panic(err)
	}

	g, d, _, err := models.Load(path)
	if err != nil {
		panic(err)
	}
	s, err := gan.NewSampler(g, nil, 1)
	if err != nil {
		panic(err)
	}
	z := tr.Noise(3)
	fromFile, _ := s.GenerateFrom(z)
	fromTrainer, _ := tr.GenerateFrom(z) // also the average
	fmt.Println(fromFile.Shape(), fmt.Sprint(fromFile.Data()) == fmt.Sprint(fromTrainer.Data()), d != nil)
	// Output: (3, 2) true true
}
