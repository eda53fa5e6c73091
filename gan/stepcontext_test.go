package gan_test

import (
	"context"
	"testing"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

// TestStepContextIsStepUntilCancelled: StepContext with a live context
// makes exactly Step's steps, and a cancelled one stops a step of many
// discriminator updates between two of them, without counting it.
func TestStepContextIsStepUntilCancelled(t *testing.T) {
	newToy := func(k int) (*gan.Trainer, data.Batches) {
		gen, disc := toyNets(t, 4, true, 0.1)
		tr, err := gan.NewTrainer(gen, disc, gan.Config{BatchSize: 16, DSteps: k, Seed: 4})
		require.NoError(t, err)
		return tr, data.NewSourceLoader(data.NewRing8(), 4)
	}
	a, srcA := newToy(3)
	b, srcB := newToy(3)
	for range 4 {
		sa, err := a.Step(srcA)
		require.NoError(t, err)
		sb, err := b.StepContext(context.Background(), srcB)
		require.NoError(t, err)
		require.Equal(t, sa, sb)
	}
	require.Equal(t, weights(a.Discriminator().Params()), weights(b.Discriminator().Params()))
	require.Equal(t, weights(a.Generator().Params()), weights(b.Generator().Params()))

	long, src := newToy(1_000_000_000)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := long.Train(ctx, src, gan.TrainOptions{Steps: 1})
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, gan.ErrPartialStep)
		require.ErrorContains(t, err, "step 1 stopped after")
		require.Equal(t, 0, long.Steps())
	case <-time.After(30 * time.Second):
		t.Fatal("a cancelled step of 1e9 discriminator updates did not stop")
	}
}
