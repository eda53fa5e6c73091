package training

import (
	"fmt"
	"math"
)

// DefaultDivergence holds the thresholds a Divergence uses for those it
// leaves at zero.
var DefaultDivergence = Divergence{LossAbove: 100, DLossBelow: 1e-3, DiversityBelow: 0.05, Window: 20}

// Divergence warns when a run has clearly diverged without a NaN (which
// gan.ErrNonFinite and NaNRollback handle), typically after too high a
// learning rate. A step is divergent when a loss explodes (|D loss| or
// |G loss| above LossAbove), or when the discriminator wins outright:
// its loss pinned at zero (|D loss| below DLossBelow) while the
// generator's samples collapse (Diversity below DiversityBelow). The run
// has diverged once Window steps in a row are divergent. Zero thresholds
// take those of DefaultDivergence.
//
// It warns once, on the loop's log. Give it to the loop, or to Progress
// (whose bar and lines then end with a warning), and to Report (whose
// page then shows it). It counts the steps of this process: a resumed run starts
// counting anew. It only reads the statistics: the run goes on.
type Divergence struct {
	// LossAbove is the |loss| over which either network's loss counts as
	// exploding (default 100: with the nonsaturating loss, D(G(z)) ≈
	// e^-100; the losses of a healthy run are of order 1).
	LossAbove float64
	// DLossBelow is the |D loss| under which D's loss counts as pinned
	// at zero (default 1e-3).
	DLossBelow float64
	// DiversityBelow is the Diversity (gan.Stats) under which G's
	// samples count as collapsed (default 0.05).
	DiversityBelow float64
	// Window is the number of divergent steps in a row that make a run
	// diverged (default 20).
	Window int

	last    int // the last step observed
	run     int // divergent steps in a row up to last
	at      int // the step the run was found diverged at (0: not yet)
	warning string
}

// Record implements Callback.
func (d *Divergence) Record(s *State, e Event) error {
	switch e {
	case Init:
		d.last, d.run, d.at, d.warning = 0, 0, 0, ""
	case Step:
		d.observe(s)
	}
	return nil
}

// Diverged reports whether the run has diverged, and at which step.
func (d *Divergence) Diverged() (bool, int) { return d.at > 0, d.at }

// Warning returns the warning about the run's divergence ("" if it has
// not diverged).
func (d *Divergence) Warning() string { return d.warning }

// thresholds returns d's thresholds with the defaults filled in.
func (d *Divergence) thresholds() (above, dBelow, divBelow float64, window int) {
	def := DefaultDivergence
	pick := func(v, dv float64) float64 {
		if v == 0 {
			return dv
		}
		return v
	}
	window = d.Window
	if window <= 0 {
		window = def.Window
	}
	return pick(d.LossAbove, def.LossAbove), pick(d.DLossBelow, def.DLossBelow), pick(d.DiversityBelow, def.DiversityBelow), window
}

// observe takes in the statistics of the step just done, once per step
// (Progress may call it before the Divergence's own Record), and reports
// whether the run has just been found diverged, which it writes to the
// loop's log.
func (d *Divergence) observe(s *State) bool {
	st := s.Stats
	if !s.Stepped || st.Step <= d.last {
		return false
	}
	if st.Step != d.last+1 {
		d.run = 0 // a rollback or a resume: the steps in a row restart
	}
	d.last = st.Step
	above, dBelow, divBelow, window := d.thresholds()
	exploding := math.Abs(st.DLoss) > above || math.Abs(st.GLoss) > above
	won := math.Abs(st.DLoss) < dBelow && st.Diversity < divBelow
	if !exploding && !won {
		d.run = 0
		return false
	}
	d.run++
	if d.run < window || d.at > 0 {
		return false
	}
	d.at = st.Step
	why := fmt.Sprintf("a loss above %g in absolute value", above)
	if !exploding {
		why = fmt.Sprintf("D loss pinned at 0 (below %g) and diversity below %g", dBelow, divBelow)
	}
	d.warning = fmt.Sprintf("the run diverged at step %d: %s for %d steps in a row (now D loss %.3g, G loss %.3g, diversity %.3g); "+
		"lower the learning rate", st.Step, why, window, st.DLoss, st.GLoss, st.Diversity)
	fmt.Fprintf(s.Log, "warning: %s\n", d.warning)
	return true
}
