package gan_test

import (
	"errors"
	"fmt"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
)

// CheckMemory refuses a batch size whose training graphs would not fit
// the memory limit, before a trainer of that size allocates anything.
func ExampleCheckMemory() {
	gcfg, dcfg := models.ReferenceDCGAN()
	gen, err := models.NewDCGANGenerator(gcfg, 1)
	if err != nil {
		panic(err)
	}
	disc, err := models.NewDCGANDiscriminator(dcfg, 1)
	if err != nil {
		panic(err)
	}
	gens, discs := []gan.Generator{gen}, []gan.Discriminator{disc}
	for _, batch := range []int{64, 100_000} {
		err := gan.CheckMemory(gens, discs, gan.Config{BatchSize: batch})
		fmt.Printf("batch %d: fits: %v\n", batch, !errors.Is(err, data.ErrTooLarge))
	}
	// Output:
	// batch 64: fits: true
	// batch 100000: fits: false
}
