package mnistclf_test

import (
	"fmt"
	"log"

	"github.com/gogan/gogan/metrics/mnistclf"
)

func Example() {
	c, err := mnistclf.Load()
	if err != nil {
		log.Fatal(err)
	}
	m := c.Meta()
	fmt.Println(m.Architecture)
	fmt.Printf("held-out accuracy %.2f%% on %d digits, trained on %d\n", 100*m.HeldOutAccuracy, m.HeldOutSize, m.TrainSize)
	fmt.Println(m.Command)

	// Two blank images (every pixel background, -1): wrong length first.
	blank := make([]float32, 2*mnistclf.InputSize)
	for i := range blank {
		blank[i] = -1
	}
	if _, err := c.Predict(blank[:100], 1); err != nil {
		fmt.Println(err)
	}
	feats, err := c.Features(blank, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(feats), "feature vectors of", len(feats[0]))
	// Output:
	// mlp 784-256-64-10: dense+relu, dense+relu (64 features), dense (10 logits)
	// held-out accuracy 97.65% on 2000 digits, trained on 8000
	// go run ./cmd/trainclassifier -epochs 30 -batch 50 -lr 0.001 -shift 2 -seed 1
	// mnistclf: predict: images have length 100, want n·784 = 784 for n = 1 (28×28 pixels per image)
	// 2 feature vectors of 64
}
