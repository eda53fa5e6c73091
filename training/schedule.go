package training

import "fmt"

// Schedule is a learning-rate schedule: before every step it sets each
// network's learning rate to the value its function gives for the step
// about to run (numbered from 1, as gan.Stats.Step), through
// gan.Trainer.SetLearningRates, which keeps the optimizers' state. A nil
// function leaves that network's rate as it is. A resumed run continues
// the schedule where it stopped, and after a rollback (NaNRollback, which
// halves the rates) the schedule sets them again at the next step:
// put NaNRollback's halving into your functions if it should stay.
type Schedule struct {
	G, D func(step int) float64
}

// Record sets the rates for the next step at Start, Step and Rollback.
func (s Schedule) Record(st *State, ev Event) error {
	if ev != Start && ev != Step && ev != Rollback {
		return nil
	}
	tr := st.Trainer
	next := tr.Steps() + 1
	cfg := tr.Config()
	g, d := cfg.GOptimizer.LearningRate(), cfg.DOptimizer.LearningRate()
	if s.G != nil {
		g = s.G(next)
	}
	if s.D != nil {
		d = s.D(next)
	}
	if g == cfg.GOptimizer.LearningRate() && d == cfg.DOptimizer.LearningRate() {
		return nil
	}
	if err := tr.SetLearningRates(g, d); err != nil {
		return fmt.Errorf("training: schedule at step %d: %w", next, err)
	}
	return nil
}
