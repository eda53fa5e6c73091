// Package training runs a gan.Trainer through a training run made of
// small, composable callbacks, in the spirit of gonum's
// optimize.Recorder: a Loop trains, and every Callback given to it is told
// what happens (the run starts, a step completes, training ends) and does
// one job.
//
//   - Progress shows a live bar on a terminal and plain lines elsewhere.
//   - StatsLog keeps every step's statistics in stats.csv.
//   - Grids writes sample grids from a fixed noise batch, a timeline of
//     them and a latent interpolation strip.
//   - Checkpointer checkpoints atomically every N steps, at the end and
//     when the run is interrupted, resumes a run exactly (bit for bit the
//     run it would have been, its learning rates and rollbacks included),
//     refuses the checkpoint of another run, and writes the trained model
//     at the end.
//   - NaNRollback rolls a run whose loss or gradient turned NaN or
//     infinite back to its last checkpoint and continues it with halved
//     learning rates.
//   - Report writes the plots of the run and a one-page report.html.
//
// Each is optional and each works alone; Func makes a function a callback
// of your own. Checkpoint-on-Ctrl-C and exact resume take one value:
//
//	ctx, stop := training.NotifyContext(context.Background()) // Ctrl-C and SIGTERM cancel ctx
//	defer stop()
//	ck := &training.Checkpointer{Path: "checkpoint.gogan", Resume: resuming}
//	res, err := training.Loop{Steps: 5000}.Run(ctx, tr, batches, ck)
//
// An interrupted run still writes its checkpoint (and every other output)
// and returns ctx's error with Result.Interrupted set; running the same
// loop again with Checkpointer.Resume continues it exactly.
//
// A command that runs in a folder claims it first with Claim, once its
// inputs are checked: a new run then refuses a folder that holds a run
// (or moves it aside), the folder is locked for the run's life, and the
// temporary files of an interrupted save are removed.
//
// Callbacks are told in the order they are given to Run. The examples
// mnist and images use them all, as StatsLog, Progress, Grids,
// Checkpointer, NaNRollback, Report; their run folder holds
// checkpoint.gogan, model.gogan, stats.csv, run.json (the run's
// identity), the samples-NNNNNN.png grids, the plots and report.html.
package training

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
)

// Event is what a Callback is told about.
type Event int

// The events of a run, in the order a Loop sends them. Every callback
// gets each event, in the order the callbacks were given to Run.
const (
	// Init comes first, before anything is loaded or trained: a callback
	// that draws from the trainer's sampling generator (Grids draws its
	// fixed noise) does so here, so that a resumed run draws the same.
	Init Event = iota
	// Resume comes next: a Checkpointer with Resume set loads its
	// checkpoint here. After Resume, State.Start holds the trainer's step
	// count.
	Resume
	// Start comes just before the first step: StatsLog opens its file,
	// Progress starts, a Checkpointer of a new run writes its first
	// checkpoint. A run whose step budget is already spent (a resumed
	// run that had finished, or was killed while writing its outputs)
	// gets Start and End with no Step between, so that its outputs are
	// written whole. A run whose Init or Resume failed ends there,
	// without Start or End. From Start on, End always comes.
	Start
	// Step follows every step; State.Stats holds its statistics.
	// Returning gan.ErrStop ends training early, as if its budget were
	// spent; any other error aborts it.
	Step
	// Fail follows a failed step (or a Step callback's error), with
	// State.Err the error. A callback that repairs the trainer (such as
	// NaNRollback) sets State.Err to nil: training then goes on, after a
	// Rollback event. An error returned replaces State.Err.
	Fail
	// Rollback tells that the trainer was rolled back to an earlier step
	// (its Steps()); StatsLog drops the statistics written after it.
	Rollback
	// End comes last, once training is over: the budget spent
	// (State.Err nil), interrupted (State.Interrupted, State.Err ctx's
	// error) or failed (State.Failed()). End is sent to every callback
	// even if one returns an error; Run returns the first such error,
	// else State.Err.
	End
)

var eventNames = [...]string{"init", "resume", "start", "step", "fail", "rollback", "end"}

// String returns the event's name, e.g. "step".
func (e Event) String() string {
	if e >= 0 && int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("Event(%d)", int(e))
}

// Callback is told about every event of a run. Record returns an error to
// abort the run (see the events for what each error does).
type Callback interface {
	Record(s *State, e Event) error
}

// Func is a function used as a Callback.
type Func func(s *State, e Event) error

// Record calls f.
func (f Func) Record(s *State, e Event) error { return f(s, e) }

// State is what the callbacks of a run share. The Loop fills it in;
// callbacks read it (and may clear Err at Fail).
type State struct {
	// Trainer is the trainer being run and Batches its data.
	Trainer *gan.Trainer
	Batches data.Batches
	// Steps and Epochs are the loop's budget (see Loop).
	Steps, Epochs int
	// Log receives the messages of the loop and its callbacks; never nil.
	Log io.Writer
	// Start is the trainer's step count when training starts (after a
	// resume), set once the Resume event is over.
	Start int
	// Began is when training started, set from Start on, and Elapsed the
	// time training took, set at End.
	Began   time.Time
	Elapsed time.Duration
	// Stats are the statistics of the last step completed by this loop
	// (those of the step just done at Step); Stepped tells whether there
	// was one.
	Stats   gan.Stats
	Stepped bool
	// Err is why training stopped, at Fail and End: nil when its budget
	// was spent (or a callback returned gan.ErrStop).
	Err error
	// Interrupted is set at End when ctx ended the run.
	Interrupted bool
}

// Failed reports whether training stopped on an error other than an
// interruption: then the run's outputs are not written and the last
// checkpoint stays the last good one.
func (s *State) Failed() bool { return s.Err != nil && !s.Interrupted }

// Loop trains a gan.Trainer within a step or epoch budget, telling its
// callbacks. The zero value is not usable: set Steps or Epochs.
type Loop struct {
	// Steps is the run's total step budget: the loop trains until the
	// trainer's step count reaches it, so a resumed run trains only the
	// steps left. Epochs, if positive, bounds the passes over the data
	// instead (or as well).
	Steps, Epochs int
	// Log receives the loop's messages and those of its callbacks (nil:
	// discarded).
	Log io.Writer
}

// Result describes a finished or interrupted run.
type Result struct {
	// Steps is the trainer's step count at the end; Trained the steps of
	// this call.
	Steps, Trained int
	// Elapsed is the time spent training (the outputs written at the end
	// excluded).
	Elapsed time.Duration
	// Interrupted is set when ctx ended the run.
	Interrupted bool
}

// Run trains tr on batches until the budget is spent, ctx is done, a step
// fails or a callback stops it, sending the events to cbs in order. An
// interrupted run still sends End (its callbacks write their outputs)
// and returns ctx's error with Result.Interrupted set. Training goes
// through tr.Train, so the steps are exactly those of a plain Train call.
func (l Loop) Run(ctx context.Context, tr *gan.Trainer, batches data.Batches, cbs ...Callback) (Result, error) {
	if l.Steps < 0 || l.Epochs < 0 {
		return Result{}, fmt.Errorf("training: Steps (%d) and Epochs (%d) must not be negative", l.Steps, l.Epochs)
	}
	if l.Steps == 0 && l.Epochs == 0 {
		return Result{}, errors.New("training: set Steps or Epochs")
	}
	s := &State{Trainer: tr, Batches: batches, Steps: l.Steps, Epochs: l.Epochs, Log: l.Log}
	if s.Log == nil {
		s.Log = io.Discard
	}
	send := func(e Event) error {
		for _, cb := range cbs {
			if err := cb.Record(s, e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := send(Init); err != nil {
		return Result{}, err
	}
	s.Start = tr.Steps()
	if err := send(Resume); err != nil {
		return Result{Steps: tr.Steps()}, err
	}
	s.Start = tr.Steps()
	spent := l.Steps > 0 && tr.Steps() >= l.Steps
	if spent {
		fmt.Fprintf(s.Log, "the run already has %d of %d steps: writing its outputs\n", tr.Steps(), l.Steps)
	}
	s.Began = time.Now()
	opts := gan.TrainOptions{Epochs: l.Epochs, OnStep: func(st gan.Stats) error {
		s.Stats, s.Stepped = st, true
		return send(Step)
	}}
	s.Err = send(Start)
	for s.Err == nil && !spent {
		if l.Steps > 0 {
			opts.Steps = l.Steps - tr.Steps()
		}
		_, s.Err = tr.Train(ctx, batches, opts)
		if s.Err == nil || isInterruption(ctx, s.Err) {
			break
		}
		if err := send(Fail); err != nil {
			s.Err = err
		}
		if s.Err != nil {
			break
		}
		s.Err = send(Rollback)
	}
	if !spent {
		s.Elapsed = time.Since(s.Began)
	}
	s.Interrupted = s.Err != nil && isInterruption(ctx, s.Err)
	res := Result{Steps: tr.Steps(), Trained: tr.Steps() - s.Start, Elapsed: s.Elapsed, Interrupted: s.Interrupted}
	var endErr error
	for _, cb := range cbs {
		if err := cb.Record(s, End); err != nil && endErr == nil {
			endErr = err
		}
	}
	if endErr != nil {
		return res, endErr
	}
	return res, s.Err
}

// isInterruption tells whether err is ctx's ending.
func isInterruption(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// NotifyContext returns a copy of parent that is cancelled on the first
// interrupt (Ctrl-C, os.Interrupt) or SIGTERM, so that a Loop run with it
// stops after the current step, or inside it between two discriminator
// updates (see gan.Trainer.StepContext), and its callbacks save the run.
// After that first signal the default handling is restored: a second one
// ends the process at once. Call stop when done, as with
// signal.NotifyContext.
func NotifyContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
