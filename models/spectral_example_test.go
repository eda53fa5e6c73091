package models_test

import (
	"fmt"

	"github.com/gogan/gogan/models"
)

// ExampleMLPDiscriminatorConfig_spectralNorm builds the reference MLP
// discriminator with spectral normalisation: the same learnable weights,
// plus two power-iteration buffers per dense weight, saved with the model.
func ExampleMLPDiscriminatorConfig_spectralNorm() {
	_, dcfg := models.ReferenceMLP()
	dcfg.SpectralNorm = true
	d, err := models.NewMLPDiscriminator(dcfg, 1)
	if err != nil {
		panic(err)
	}
	u, _ := d.Params().Get("dense0/w/sn_u")
	v, _ := d.Params().Get("dense0/w/sn_v")
	fmt.Println(len(d.Params().Learnables()), len(d.Params().All()), u.Value.Shape(), v.Value.Shape())
	// Output: 6 12 (784) (512)
}
