package gan_test

import (
	"fmt"
	"math"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/losses"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/optim"
)

// pointNets returns a small generator and critic for 2-D points.
func pointNets(seed uint64) (gan.Generator, gan.Discriminator) {
	gen, err := models.NewMLPGenerator(models.MLPGeneratorConfig{
		LatentDim: 2, Hidden: []int{32}, OutputShape: []int{2},
		Activation: nn.LeakyReLU(0.2), Output: nn.Identity(),
	}, seed)
	if err != nil {
		panic(err)
	}
	disc, err := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{
		InputShape: []int{2}, Hidden: []int{32}, Activation: nn.LeakyReLU(0.2),
	}, seed)
	if err != nil {
		panic(err)
	}
	return gen, disc
}

// ExampleGradientPenalty trains a WGAN-GP: losses.WGANGP brings its
// gradient penalty (λ 10, target norm 1) by itself; the optimizer settings
// are the paper's (k = 5 critic updates, Adam 1e-4 with β = (0, 0.9); an
// AdamConfig's Beta1 0 stands for 0.9, and the smallest positive β1
// computes what β1 = 0 does).
func ExampleGradientPenalty() {
	gen, disc := pointNets(1)
	adam := optim.AdamConfig{LR: 1e-4, Beta1: math.SmallestNonzeroFloat64, Beta2: 0.9}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{
		BatchSize: 32, DSteps: 5, Seed: 1, Loss: losses.WGANGP{}, GOptimizer: adam, DOptimizer: adam,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("penalty:", tr.Config().Penalty)
	s, err := tr.Step(data.NewSourceLoader(data.NewGrid25(), 1))
	if err != nil {
		panic(err)
	}
	fmt.Println("critic updates:", s.DUpdates)
	// Output:
	// penalty: gp(weight=10,target=1,every=1)
	// critic updates: 5
}

// ExampleR1 regularizes a non-saturating GAN's discriminator with R1 on
// the real data, lazily: one discriminator update in 4 carries the penalty,
// with weight 4γ (StyleGAN2's lazy regularization).
func ExampleR1() {
	gen, disc := pointNets(2)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 32, Seed: 2, Penalty: gan.R1{Gamma: 10, Every: 4}})
	if err != nil {
		panic(err)
	}
	batches := data.NewSourceLoader(data.NewRing8(), 2)
	for i := 0; i < 8; i++ {
		if _, err := tr.Step(batches); err != nil {
			panic(err)
		}
	}
	fmt.Println(tr.Config().Penalty, "after", tr.Steps(), "steps")
	// Output: r1(gamma=10,every=4) after 8 steps
}

// ExampleParsePenalty reads penalties as command lines give them.
func ExampleParsePenalty() {
	for _, s := range []string{"gp", "r1:10:16", "r2:0.5", "none"} {
		p, err := gan.ParsePenalty(s)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%q: %v\n", s, p)
	}
	// Output:
	// "gp": gp(weight=10,target=1,every=1)
	// "r1:10:16": r1(gamma=10,every=16)
	// "r2:0.5": r2(gamma=0.5,every=1)
	// "none": <nil>
}

// Example_relativistic trains with the relativistic standard GAN: the
// generator's update draws a real batch of its own, because its loss
// mean(softplus(D(x) − D(G(z)))) compares generated with real samples.
func Example_relativistic() {
	gen, disc := pointNets(3)
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 32, Seed: 3, Loss: losses.RSGAN{}})
	if err != nil {
		panic(err)
	}
	s, err := tr.Step(data.NewSourceLoader(data.NewRing8(), 3))
	if err != nil {
		panic(err)
	}
	fmt.Println(tr.Config().Loss.Name(), "step", s.Step, "G loss positive:", s.GLoss > 0)
	// Output: rsgan step 1 G loss positive: true
}
