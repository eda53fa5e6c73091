package training

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/ops"
)

// Report writes, at the end of a run that did not fail, the curve plots of
// its statistics (monitor.CurvePlots: losses.png, discriminator.png,
// value.png, diversity.png...) and
// monitor.ReportFile (report.html): one page with the configuration, the
// final statistics and the pictures, into Dir.
type Report struct {
	// Dir is the folder of the page and its pictures.
	Dir string
	// Title heads the page; Config is the configuration it shows (see
	// monitor.Report).
	Title  string
	Config any
	// Stats, if not nil, supplies the plotted statistics: the whole run's,
	// a resumed one's included. Without it there are no plots, and the
	// final statistics are those of this loop's last step.
	Stats *StatsLog
	// Grids, if not nil, supplies the pictures of the generator (the last
	// grid, the timeline, the interpolation). Both must be callbacks of
	// the same loop.
	Grids *Grids
	// Smooth is the moving-average window of the plots (25 if zero).
	Smooth int
	// Divergence, if not nil, is a detector of the same loop: its
	// warning, if the run diverged, heads the page.
	Divergence *Divergence
}

// Record implements Callback.
func (r *Report) Record(s *State, e Event) error {
	switch e {
	case Init:
		if err := os.MkdirAll(r.Dir, 0o755); err != nil {
			return fmt.Errorf("training: create run directory: %w", err)
		}
	case End:
		if !s.Failed() {
			return r.write(s)
		}
	}
	return nil
}

func (r *Report) write(s *State) error {
	var hist *monitor.History
	if r.Stats != nil {
		hist = r.Stats.History()
	}
	var final *gan.Stats
	if s.Stepped {
		final = &s.Stats
	} else if last, ok := hist.Last(); ok { // a resumed run that trained no step
		final = &last
	}
	var figs []monitor.Figure
	if hist.Len() > 0 {
		smooth := r.Smooth
		if smooth == 0 {
			smooth = 25
		}
		for _, p := range monitor.CurvePlots() {
			err := monitor.WriteCurvePlot(filepath.Join(r.Dir, p.File()), hist, p.Name, monitor.PlotOptions{Smooth: smooth})
			if errors.Is(err, monitor.ErrNothingToPlot) {
				continue // e.g. a statistic the stats file of a resumed run lacks, and no step since
			}
			if err != nil {
				return err
			}
			figs = append(figs, monitor.Figure{File: p.File(), Caption: p.Caption})
		}
	}
	if r.Grids != nil {
		if err := r.Grids.finish(s.Trainer); err != nil {
			return err
		}
		figs = append(figs, r.Grids.Figures()...)
	}
	var warnings []string
	if r.Divergence != nil && r.Divergence.Warning() != "" {
		warnings = append(warnings, r.Divergence.Warning())
	}
	return monitor.WriteReport(r.Dir, monitor.Report{Title: r.Title, Config: r.Config, Final: final, Figures: figs, Warnings: warnings,
		Environment: environment(s.Trainer)})
}

// environment describes where t trains for the report: the device, the
// BLAS of the CPU's matrix products (as the progress output's first line
// names it), GOMAXPROCS, Go and the platform.
func environment(t *gan.Trainer) []monitor.Detail {
	dev := t.Config().Device
	env := []monitor.Detail{{Name: "device", Value: cmp.Or(dev, "cpu")}}
	if dev == "" || dev == "cpu" || dev == "host" {
		env = append(env, monitor.Detail{Name: "BLAS", Value: ops.BLAS()})
	}
	return append(env,
		monitor.Detail{Name: "GOMAXPROCS", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
		monitor.Detail{Name: "Go", Value: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH})
}
