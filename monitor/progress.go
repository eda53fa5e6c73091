package monitor

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Mode chooses how a Progress shows itself.
type Mode int

const (
	// ModeAuto draws a bar when the writer is a terminal (an *os.File
	// for which term.IsTerminal holds) and prints plain lines otherwise.
	ModeAuto Mode = iota
	// ModeBar always draws a bar, redrawn in place with carriage returns.
	ModeBar
	// ModePlain always prints plain lines, one every ProgressOptions.Every
	// steps, suitable for CI logs and files.
	ModePlain
)

// String returns the mode's name: "auto", "bar" or "plain".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeBar:
		return "bar"
	case ModePlain:
		return "plain"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Defaults of ProgressOptions.
const (
	DefaultEvery    = 100
	DefaultBarWidth = 20
	DefaultThrottle = 100 * time.Millisecond
)

// ProgressOptions configure a Progress. The zero value is usable: auto
// mode, a line every 100 steps, the wall clock.
type ProgressOptions struct {
	// Mode chooses between a bar and plain lines; ModeAuto by default.
	Mode Mode
	// Every is the number of steps between two plain lines: a line is
	// printed whenever the step crosses a multiple of Every, and for the
	// last step (the total). Zero or less means DefaultEvery.
	Every int
	// Start is the number of steps already done when the Progress is
	// created (a resumed run): rates and ETAs count from there, and the
	// bar covers the Total−Start steps still to do.
	Start int
	// Description is shown in front of the bar (e.g. "train").
	Description string
	// BarWidth is the width of the bar in characters (DefaultBarWidth if
	// zero or less); the bar shrinks to fit a narrower terminal.
	BarWidth int
	// Throttle is the least time between two redraws of the bar
	// (DefaultThrottle if zero or less); the last step is always drawn.
	Throttle time.Duration
	// Now is the clock of the plain lines' rates and ETAs, time.Now if
	// nil; set it for reproducible output. The bar always uses the wall
	// clock.
	Now func() time.Time
}

// Progress reports a training run's progress as a bar or as plain lines
// (see Mode). Feed it every step's statistics with Update and call Finish
// at the end. It is safe for concurrent use; write errors are kept and
// returned by Finish.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	opts  ProgressOptions
	bar   *progressbar.ProgressBar // nil in plain mode

	start    time.Time // creation time
	lastLine time.Time // time of the last plain line
	lastStep int       // step of the last plain line (opts.Start before the first)
	last     gan.Stats // the statistics of the last Update
	updated  bool      // whether Update was called at all
	printed  bool      // whether last was printed as a plain line
	note     string    // SetNote's
	finished bool
	err      error
}

// NewProgress returns a Progress writing to w for a run that ends when
// gan.Stats.Step (the number of steps completed) reaches total; total ≤ 0
// means unknown, which always gives plain lines without ETA. A nil w
// discards the output.
func NewProgress(w io.Writer, total int, opts ProgressOptions) *Progress {
	if w == nil {
		w = io.Discard
	}
	if opts.Every <= 0 {
		opts.Every = DefaultEvery
	}
	if opts.BarWidth <= 0 {
		opts.BarWidth = DefaultBarWidth
	}
	if opts.Throttle <= 0 {
		opts.Throttle = DefaultThrottle
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Start = max(opts.Start, 0)
	p := &Progress{w: w, total: total, opts: opts, lastStep: opts.Start}
	p.start = opts.Now()
	p.lastLine = p.start
	if useBar(w, opts.Mode) && total > opts.Start {
		p.bar = newBar(w, total-opts.Start, opts)
		p.bar.StartWithoutRender()
	}
	return p
}

// useBar tells whether mode m on w means a bar.
func useBar(w io.Writer, m Mode) bool {
	switch m {
	case ModeBar:
		return true
	case ModePlain:
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is an *os.File connected to a terminal:
// what ModeAuto checks to choose a bar.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// newBar builds the progress bar of n steps.
func newBar(w io.Writer, n int, opts ProgressOptions) *progressbar.ProgressBar {
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(opts.Description),
		progressbar.OptionSetWidth(opts.BarWidth),
		progressbar.OptionThrottle(opts.Throttle),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionEnableColorCodes(false),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// Update reports the statistics of step s.Step. In bar mode the bar moves
// to s.Step and shows the statistics; in plain mode a line is printed when
// s.Step crosses a multiple of Every or reaches the total. Updates after
// Finish are ignored.
func (p *Progress) Update(s gan.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.last, p.updated, p.printed = s, true, false
	if p.bar != nil {
		p.bar.Describe(p.describe(s))
		// The bar counts this session's steps.
		p.keep(p.bar.Set(min(max(s.Step-p.opts.Start, 0), p.total-p.opts.Start)))
		return
	}
	every := p.opts.Every
	if s.Step/every > p.lastStep/every || (p.total > 0 && s.Step == p.total) {
		p.printLine(s)
	}
}

// SetNote shows note (e.g. a warning) at the end of the bar and of every
// plain line from now on; "" removes it.
func (p *Progress) SetNote(note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.note = note
}

// describe formats the statistics shown at the end of the bar: those of
// gan.StatsFields, each with one decimal fewer than on a plain line.
func (p *Progress) describe(s gan.Stats) string {
	d := formatStats(s, -1)
	if p.opts.Description != "" {
		d = p.opts.Description + "  " + d
	}
	if p.note != "" {
		d += "  " + p.note
	}
	return d
}

// printLine prints the plain line of s and remembers when.
func (p *Progress) printLine(s gan.Stats) {
	now := p.opts.Now()
	line := FormatLine(s, p.total, s.Step-p.lastStep, now.Sub(p.lastLine))
	if p.opts.Description != "" {
		line = p.opts.Description + ": " + line
	}
	if p.note != "" {
		line += "  " + p.note
	}
	_, err := io.WriteString(p.w, line+"\n")
	p.keep(err)
	p.lastLine, p.lastStep, p.printed = now, s.Step, true
}

// keep records the first error.
func (p *Progress) keep(err error) {
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("monitor: progress: %w", err)
	}
}

// Finish completes the report. In bar mode, if the run reached its total
// the bar already shows the final statistics; if it stopped early the bar
// is left where it is and the last statistics follow as a plain line. In
// plain mode the last statistics are printed if they were
// not yet, followed by a summary (steps, time, mean rate). It returns the
// first error met writing the report; later calls do nothing and return
// it again.
func (p *Progress) Finish() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return p.err
	}
	p.finished = true
	if p.bar != nil {
		if p.bar.IsFinished() {
			return p.err // the last step drew the full bar
		}
		// Stopped early: leave the bar where it is and log the last
		// statistics on a line of their own.
		p.keep(p.bar.Exit())
		if p.updated {
			p.printLine(p.last)
		}
		return p.err
	}
	if p.updated && !p.printed {
		p.printLine(p.last)
	}
	if p.updated {
		steps := p.last.Step - p.opts.Start
		elapsed := p.opts.Now().Sub(p.start)
		summary := fmt.Sprintf("done: %d steps in %s (%s steps/s)", steps, formatDuration(elapsed), formatRate(rate(steps, elapsed)))
		if p.opts.Description != "" {
			summary = p.opts.Description + ": " + summary
		}
		_, err := io.WriteString(p.w, summary+"\n")
		p.keep(err)
	}
	return p.err
}

// FormatLine formats the plain progress line of s for a run of total
// steps (≤ 0: unknown), given that the last steps steps took elapsed,
// followed by the statistics of gan.StatsFields with their Digits:
//
//	step 200/1000  50.0 steps/s  ETA 16s  D loss 1.3863  G loss 0.6931  D(x) 0.500  D(G(z)) 0.500  V -1.3863  diversity 0.970
//
// The rate is steps/elapsed and the ETA the remaining steps at that rate,
// rounded to the second; both are "?" when they cannot be computed
// (elapsed ≤ 0). Without a total there is no "/total" and no ETA.
func FormatLine(s gan.Stats, total, steps int, elapsed time.Duration) string {
	r := rate(steps, elapsed)
	head := fmt.Sprintf("step %d", s.Step)
	if total > 0 {
		eta := "?"
		if r > 0 && !math.IsInf(r, 0) {
			eta = formatDuration(time.Duration(float64(max(total-s.Step, 0)) / r * float64(time.Second)))
		}
		head = fmt.Sprintf("step %d/%d  %s steps/s  ETA %s", s.Step, total, formatRate(r), eta)
	} else {
		head += fmt.Sprintf("  %s steps/s", formatRate(r))
	}
	return head + "  " + formatStats(s, 0)
}

// formatStats formats the statistics of gan.StatsFields as "label value"
// pairs two spaces apart, each value with its field's Digits decimals
// plus extra (at least none).
func formatStats(s gan.Stats, extra int) string {
	var b strings.Builder
	for i, f := range gan.StatsFields {
		if i > 0 {
			b.WriteString("  ")
		}
		fmt.Fprintf(&b, "%s %.*f", f.Label, max(f.Digits+extra, 0), f.Get(s))
	}
	return b.String()
}

// rate returns steps per second, NaN when elapsed is not positive.
func rate(steps int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return math.NaN()
	}
	return float64(steps) / elapsed.Seconds()
}

// formatRate formats a rate with one decimal, "?" for NaN.
func formatRate(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "?"
	}
	return fmt.Sprintf("%.1f", r)
}

// formatDuration rounds d to the second ("1m23s"), or to the millisecond
// below one second ("250ms").
func formatDuration(d time.Duration) string {
	if d > 0 && d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
