package gan_test

import (
	"context"
	"fmt"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
)

// Example trains a small GAN on the ring of eight Gaussians for a few
// steps and draws samples from it.
func Example() {
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: 2, Hidden: []int{32}, OutputShape: []int{2},
		Activation: nn.LeakyReLU(0.2), Output: nn.Identity(),
	}, 1)
	if err != nil {
		panic(err)
	}
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{
		InputShape: []int{2}, Hidden: []int{32}, Activation: nn.LeakyReLU(0.2),
	}, 1)
	if err != nil {
		panic(err)
	}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 32, Seed: 1})
	if err != nil {
		panic(err)
	}
	last, err := tr.Train(context.Background(), data.NewSourceLoader(data.NewRing8(), 1), gan.TrainOptions{Steps: 10})
	if err != nil {
		panic(err)
	}
	samples, err := tr.Sample(5)
	if err != nil {
		panic(err)
	}
	fmt.Println("steps:", last.Step, "samples:", samples.Shape())
	// Output: steps: 10 samples: (5, 2)
}

// ExampleTrainer_Step shows the statistics of a single step of Algorithm 1
// with k = 2 discriminator updates.
func ExampleTrainer_Step() {
	gen, _ := models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: 4, Hidden: []int{16}, OutputShape: []int{1}, Output: nn.Identity(),
	}, 7)
	disc, _ := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{1}, Hidden: []int{16}}, 7)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, DSteps: 2, Seed: 7})
	if err != nil {
		panic(err)
	}
	s, err := tr.Step(data.NewSourceLoader(data.NewGaussian1D(), 7))
	if err != nil {
		panic(err)
	}
	fmt.Printf("step %d: %d D updates, %d G update; D loss = -V: %v\n", s.Step, s.DUpdates, s.GUpdates, fmt.Sprintf("%.4f", s.DLoss) == fmt.Sprintf("%.4f", -s.V))
	// Output: step 1: 2 D updates, 1 G update; D loss = -V: true
}
