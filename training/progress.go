package training

import (
	"fmt"
	"io"

	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/ops"
)

// Progress shows the run's progress with a monitor.Progress: a live bar
// (steps/s, ETA and the statistics of gan.StatsFields) on a terminal, a
// plain line every Every steps elsewhere (see monitor.Progress). At the
// start it prints one line "BLAS: ..." naming the BLAS of the CPU's
// matrix products (ops.BLAS), unless the trainer runs on a GPU.
type Progress struct {
	// W receives the progress (nil: the loop's Log).
	W io.Writer
	// Mode selects a bar or plain lines (monitor.ModeAuto: a bar on a
	// terminal, plain lines elsewhere).
	Mode monitor.Mode
	// Every is the number of steps between plain lines
	// (monitor.DefaultEvery if zero).
	Every int
	// Description is shown in front of the bar and the lines, e.g.
	// "train".
	Description string
	// Divergence, if not nil, is a detector of the same loop: once it
	// finds the run diverged, the bar and the lines end with a warning.
	Divergence *Divergence

	p *monitor.Progress
}

// Record implements Callback.
func (p *Progress) Record(s *State, e Event) error {
	w := p.W
	if w == nil {
		w = s.Log
	}
	switch e {
	case Start:
		if d := s.Trainer.Config().Device; d == "" || d == "cpu" || d == "host" {
			fmt.Fprintf(w, "BLAS: %s\n", ops.BLAS()) // the CPU products' (GPU devices use cuBLAS)
		}
		p.p = monitor.NewProgress(w, s.Steps, monitor.ProgressOptions{Mode: p.Mode, Every: p.Every, Start: s.Start,
			Description: p.Description})
	case Step:
		if d := p.Divergence; d != nil {
			if d.observe(s); d.at > 0 {
				p.p.SetNote(fmt.Sprintf("WARNING: diverged at step %d", d.at))
			}
		}
		p.p.Update(s.Stats)
	case End:
		if p.p != nil { // nil if Start did not reach this callback
			return p.p.Finish()
		}
	}
	return nil
}
