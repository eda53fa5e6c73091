package models_test

import (
	"fmt"

	"github.com/gogan/gogan/models"
)

// The reference 28×28 DCGAN made class-conditional for the ten digits,
// with a projection discriminator; examples/mnist -model dcgan
// -conditional projection trains it.
func ExampleReferenceConditionalDCGAN() {
	gcfg, dcfg, err := models.ReferenceConditionalDCGAN(models.SchemeProjection, 10)
	if err != nil {
		panic(err)
	}
	gen, err := models.NewConditionalGenerator(gcfg, 1)
	if err != nil {
		panic(err)
	}
	disc, err := models.NewConditionalDiscriminator(dcfg, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println("classes:", gen.NumClasses(), disc.NumClasses())
	fmt.Println("noise:", gen.LatentDim(), "samples:", gen.SampleShape())
	e, _ := disc.Params().Get("cond/embed")
	fmt.Println("class embedding:", e.Value.Shape())
	// Output:
	// classes: 10 10
	// noise: 100 samples: [1 28 28]
	// class embedding: (10, 6272)
}
