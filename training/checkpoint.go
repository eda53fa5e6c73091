package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gogan/gogan/gan"
)

// File names inside a run folder, as the examples use them.
const (
	CheckpointFile = "checkpoint.gogan"
	ModelFile      = "model.gogan"
	StatsFile      = "stats.csv"
)

// ErrNoCheckpoint is wrapped by the errors of a Checkpointer asked to
// resume, and of ReadConfig, when the run has no checkpoint (it stopped
// before its first).
var ErrNoCheckpoint = errors.New("resume: no checkpoint")

// Checkpointer keeps a run's checkpoint (gan.Trainer.SaveCheckpoint:
// weights, optimizer states, step, random states and the data's
// position), written atomically:
//
//   - at the start of a new run, so that there is always a last good one;
//   - every Every steps;
//   - at the end, also when the run was interrupted (never lose the work),
//     but not after a failed step, nor when the interruption came inside
//     a step (gan.ErrPartialStep): the last one written stays the last
//     good one.
//
// With Resume it loads the checkpoint before training instead, and the
// run continues exactly: bit for bit the run it would have been.
//
// Every checkpoint also records the RunState: the run's identity, the
// learning rates in force and the NaN rollbacks used, all restored on
// resume. A new run draws its identity and writes it to RunFile beside
// the checkpoint (before its first checkpoint); resuming from a
// checkpoint whose identity is not the one RunFile names (a checkpoint
// copied from another run) is refused, saying so.
type Checkpointer struct {
	// Path is the checkpoint file.
	Path string
	// Every writes the checkpoint every N steps (0: only at the start and
	// the end).
	Every int
	// Resume loads Path (which must exist) at the Resume event, restoring
	// the trainer and the data's position.
	Resume bool
	// Config, if not nil, is saved in every checkpoint as JSON, for
	// ReadConfig: the run's configuration, to resume it with the same.
	Config any
	// Model, if set, is the file the trained networks are written to at
	// the end (gan.Trainer.Save: readable with models.Load).
	Model string

	config json.RawMessage // Config's JSON
	run    RunState        // as last written or loaded
	good   bool            // a checkpoint was written or loaded by this run
	step   int             // the step of that checkpoint
}

// Record implements Callback.
func (c *Checkpointer) Record(s *State, e Event) error {
	switch e {
	case Init:
		config, err := json.Marshal(c.Config)
		if err != nil {
			return fmt.Errorf("training: encode configuration: %w", err)
		}
		if c.Config == nil {
			config = nil
		}
		c.config, c.run, c.good = config, RunState{}, false
		return mkdirFor(c.Path)
	case Resume:
		if c.Resume {
			return c.resume(s)
		}
	case Start:
		if !c.Resume {
			id, err := newRunID()
			if err != nil {
				return err
			}
			c.run.ID = id
			if err := writeRunFile(filepath.Dir(c.Path), id); err != nil {
				return err
			}
			return c.save(s)
		}
	case Step:
		if c.Every > 0 && s.Stats.Step%c.Every == 0 {
			return c.save(s)
		}
	case End:
		if s.Failed() {
			if !c.good {
				return nil
			}
			// A failed step changed no weights: the last checkpoint
			// written stays the last good one.
			return fmt.Errorf("%w (the last good checkpoint is %s)", s.Err, c.Path)
		}
		if s.Interrupted && errors.Is(s.Err, gan.ErrPartialStep) {
			// The step stopped between its discriminator updates: the
			// trainer is in no step's state, so the last checkpoint
			// stays, and so does the model (its discriminator is torn).
			fmt.Fprintf(s.Log, "interrupted inside step %d: keeping the checkpoint of step %d\n",
				s.Trainer.Steps()+1, c.step)
			return nil
		}
		if s.Interrupted {
			fmt.Fprintf(s.Log, "interrupted at step %d: saving a checkpoint\n", s.Trainer.Steps())
		}
		if err := c.save(s); err != nil {
			return err
		}
		if c.Model != "" {
			return s.Trainer.Save(c.Model)
		}
	}
	return nil
}

func (c *Checkpointer) save(s *State) error {
	extra, err := c.encodeExtra(s.Trainer)
	if err != nil {
		return err
	}
	if err := s.Trainer.SaveCheckpoint(c.Path, s.Batches, extra); err != nil {
		return err
	}
	c.run = *c.currentRun(s.Trainer)
	c.good, c.step = true, s.Trainer.Steps()
	return nil
}

// resume loads the checkpoint, checks that it is the run of its folder
// and restores the run state: the learning rates and rollbacks used.
func (c *Checkpointer) resume(s *State) error {
	dir := filepath.Dir(c.Path)
	folderID, err := readRunFile(dir)
	if err != nil {
		return err
	}
	if err := checkpointExists(c.Path); err != nil {
		return err
	}
	mf, err := gan.ReadModel(c.Path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	_, st, err := splitExtra(mf.Info.Extra)
	if err != nil {
		return fmt.Errorf("resume: %s: %w", c.Path, err)
	}
	if err := checkRun(c.Path, st, folderID); err != nil {
		return err
	}
	if _, err := s.Trainer.LoadCheckpoint(c.Path, s.Batches); err != nil {
		return err
	}
	if st == nil { // a checkpoint written before run states: a run of its own from now on
		id, err := newRunID()
		if err != nil {
			return err
		}
		st = c.currentRun(s.Trainer)
		st.ID = id
	} else if err := s.Trainer.SetLearningRates(st.GLR, st.DLR); err != nil {
		return fmt.Errorf("resume: %s: restore the learning rates: %w", c.Path, err)
	}
	if folderID == "" {
		if err := writeRunFile(dir, st.ID); err != nil {
			return err
		}
	}
	c.run = *st
	c.good, c.step = true, s.Trainer.Steps()
	fmt.Fprintf(s.Log, "resumed from %s at step %d\n", c.Path, s.Trainer.Steps())
	if st.Rollbacks > 0 {
		fmt.Fprintf(s.Log, "learning rates G %g, D %g after %d NaN rollbacks\n", st.GLR, st.DLR, st.Rollbacks)
	}
	return nil
}

// checkpointExists returns an error wrapping ErrNoCheckpoint if there is
// no checkpoint at path.
func checkpointExists(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist: the run stopped before its first checkpoint; start it anew", ErrNoCheckpoint, path)
	}
	return nil
}

// ReadConfig reads the configuration a Checkpointer saved in the checkpoint
// at path into cfg (a pointer), to resume a run with it.
func ReadConfig(path string, cfg any) error {
	if err := checkpointExists(path); err != nil {
		return err
	}
	mf, err := gan.ReadModel(path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	config, _, err := splitExtra(mf.Info.Extra)
	if err != nil {
		return fmt.Errorf("resume: %s: %w", path, err)
	}
	if err := json.Unmarshal(config, cfg); err != nil {
		return fmt.Errorf("resume: %s holds no run configuration of this command: %w", path, err)
	}
	return nil
}

// NaNRollback recovers a run whose loss or gradient turned NaN or
// infinite (gan.ErrNonFinite): it reloads the last checkpoint of
// Checkpointer (which must be in the same loop) and continues with both
// learning rates halved, at most Max times. Without it (or once Max is
// spent) such a run stops with the error, its last good checkpoint in
// place.
type NaNRollback struct {
	// Checkpointer is the checkpointer whose checkpoint is reloaded.
	Checkpointer *Checkpointer
	// Max is the number of rollbacks allowed in a run (0: none), a
	// resumed run counting those used before (the Checkpointer records
	// them).
	Max int
}

// Record implements Callback.
func (n *NaNRollback) Record(s *State, e Event) error {
	if e != Fail || !errors.Is(s.Err, gan.ErrNonFinite) {
		return nil
	}
	if n.Checkpointer == nil {
		return errors.New("training: NaNRollback has no Checkpointer")
	}
	if n.Checkpointer.run.Rollbacks >= n.Max {
		return nil
	}
	if _, err := s.Trainer.LoadCheckpoint(n.Checkpointer.Path, s.Batches); err != nil {
		return fmt.Errorf("%w; rolling back failed: %w", s.Err, err)
	}
	cfg := s.Trainer.Config()
	gLR, dLR := cfg.GOptimizer.LearningRate()/2, cfg.DOptimizer.LearningRate()/2
	if err := s.Trainer.SetLearningRates(gLR, dLR); err != nil {
		return err
	}
	n.Checkpointer.run.Rollbacks++
	fmt.Fprintf(s.Log, "%v\nrolled back to step %d; learning rates halved to G %g, D %g (rollback %d of %d)\n",
		s.Err, s.Trainer.Steps(), gLR, dLR, n.Checkpointer.run.Rollbacks, n.Max)
	s.Err = nil
	return nil
}
