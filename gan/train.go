package gan

import (
	"context"
	"errors"
	"fmt"

	"github.com/gogan/gogan/data"
)

// ErrStop may be returned by a hook to end Train early without an error.
var ErrStop = errors.New("gan: stop requested by hook")

// TrainOptions bounds a call to Train and hooks into it.
type TrainOptions struct {
	// Steps stops training after this many steps of this call (0: no
	// limit on steps).
	Steps int
	// Epochs stops training once the data has been passed over this many
	// times in all (0: no limit on epochs). An endless Source has no
	// epochs: use Steps.
	Epochs int
	// OnStep, if not nil, is called after every step. Returning ErrStop
	// ends training; any other error aborts it.
	OnStep func(s Stats) error
	// OnEpoch, if not nil, is called after every completed epoch with the
	// number of epochs completed and the last step's statistics.
	OnEpoch func(epoch int, s Stats) error
}

// Train runs steps until the step or epoch budget of opt is spent, ctx is
// done, a hook stops it or a step fails. It returns the statistics of the
// last step completed. Cancellation is checked between steps and between
// the discriminator updates of a step (see StepContext), so Train returns
// within one update of ctx being cancelled, with ctx's error (wrapped
// with ErrPartialStep if a step was abandoned part way).
func (t *Trainer) Train(ctx context.Context, batches data.Batches, opt TrainOptions) (Stats, error) {
	if opt.Steps < 0 || opt.Epochs < 0 {
		return Stats{}, fmt.Errorf("gan: train: Steps (%d) and Epochs (%d) must not be negative", opt.Steps, opt.Epochs)
	}
	if opt.Steps == 0 && opt.Epochs == 0 {
		return Stats{}, fmt.Errorf("gan: train: set Steps or Epochs")
	}
	var last Stats
	epoch := batches.Epoch()
	if opt.Epochs > 0 && epoch >= opt.Epochs {
		return last, nil
	}
	for i := 0; opt.Steps == 0 || i < opt.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return last, err
		}
		s, err := t.StepContext(ctx, batches)
		if err != nil {
			return last, err
		}
		last = s
		if opt.OnStep != nil {
			if err := opt.OnStep(s); err != nil {
				return last, hookErr(err)
			}
		}
		for e := batches.Epoch(); epoch < e; {
			epoch++
			if opt.OnEpoch != nil {
				if err := opt.OnEpoch(epoch, s); err != nil {
					return last, hookErr(err)
				}
			}
		}
		if opt.Epochs > 0 && epoch >= opt.Epochs {
			break
		}
	}
	return last, nil
}

func hookErr(err error) error {
	if errors.Is(err, ErrStop) {
		return nil
	}
	return fmt.Errorf("gan: train: hook: %w", err)
}
