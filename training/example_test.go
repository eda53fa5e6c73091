package training_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/nn"
	"github.com/gogan/gogan/training"
)

// A custom loop: no progress display, a checkpoint every 50 steps, at the
// end and on Ctrl-C, and a callback of its own. The second loop resumes
// the first one's run from its checkpoint, into a fresh trainer, and
// continues it exactly.
func ExampleLoop() {
	dir, err := os.MkdirTemp("", "gogan-run")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	newTrainer := func() *gan.Trainer {
		act := nn.LeakyReLU(0.2)
		gen, _ := models.NewMLPGenerator(models.MLPGeneratorConfig{LatentDim: 2, Hidden: []int{16}, OutputShape: []int{2},
			Activation: act, Output: nn.Identity()}, 1)
		disc, _ := models.NewMLPDiscriminator(models.MLPDiscriminatorConfig{InputShape: []int{2}, Hidden: []int{16}, Activation: act}, 1)
		tr, _ := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 32, Seed: 1})
		return tr
	}
	ctx, stop := training.NotifyContext(context.Background()) // Ctrl-C or SIGTERM: stop, checkpoint, return
	defer stop()
	every100 := training.Func(func(s *training.State, e training.Event) error {
		if e == training.Step && s.Stats.Step%100 == 0 {
			fmt.Println("step", s.Stats.Step)
		}
		return nil
	})
	for _, budget := range []int{200, 300} {
		ck := &training.Checkpointer{Path: filepath.Join(dir, training.CheckpointFile), Every: 50, Resume: budget > 200}
		res, err := training.Loop{Steps: budget}.Run(ctx, newTrainer(), data.NewSourceLoader(data.NewRing8(), 1), ck, every100)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("trained %d steps; the trainer is at step %d\n", res.Trained, res.Steps)
	}
	// Output:
	// step 100
	// step 200
	// trained 200 steps; the trainer is at step 200
	// step 300
	// trained 100 steps; the trainer is at step 300
}
