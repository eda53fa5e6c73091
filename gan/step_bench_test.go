package gan_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
)

// BenchmarkTrainerStepMLP times one gan.Trainer.Step (k = 1: one D update
// on a real and a generated batch, one G update; non-saturating loss,
// Adam) of the reference MLP (models.ReferenceMLP) at batch 64, float32,
// on random 28×28 images held in memory, with allocations and images/s
// (64 real images per step). The DCGAN counterpart is
// models.BenchmarkDCGANStep; cmd/ganbench measures both the same way,
// with peak RSS, for the comparison with PyTorch.
//
//	go test ./gan/ -run '^$' -bench TrainerStep -benchtime 100x
func BenchmarkTrainerStepMLP(b *testing.B) {
	const batch = 64
	rng := rand.New(rand.NewPCG(1, 2))
	pix := make([]uint8, 8*batch*28*28)
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	imgs, err := data.NewImages(1, 28, 28, pix, nil)
	if err != nil {
		b.Fatal(err)
	}
	gc, dc := models.ReferenceMLP()
	gen, err := models.NewMLPGenerator(gc, 1)
	if err != nil {
		b.Fatal(err)
	}
	disc, err := models.NewMLPDiscriminator(dc, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: batch, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	batches := data.NewLoader(imgs, 1)
	for range 3 { // warm up: first-run allocations
		if _, err := tr.Step(batches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.Step(batches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(batch*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
