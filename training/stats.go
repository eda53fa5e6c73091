package training

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/internal/atomicfile"
	"github.com/gogan/gogan/monitor"
)

// StatsHeader is the header row of the file StatsLog writes: the step,
// its statistics (gan.Stats) and the seconds since training started in
// this process.
var StatsHeader = []string{"step", "d_loss", "g_loss", "d_real", "d_fake", "v", "diversity", "seconds"}

// StatsLog keeps every step's statistics in a CSV file (StatsHeader; the
// values with 6 significant digits), written row by row, and in a
// monitor.History for the plots (Report reads it). A new run (one that
// starts at step 0) starts the file anew; a resumed one keeps the rows up
// to its checkpoint's step, drops those written after it and reads them
// back into the History. A rollback (NaNRollback) drops the rows after
// the step rolled back to, so the file has every step once, in order.
type StatsLog struct {
	// Path is the CSV file (e.g. stats.csv in the run folder).
	Path string

	hist *monitor.History
	f    *os.File
	w    *csv.Writer
}

// History returns the statistics of the run so far: those read back from
// the file for a resumed run, and every step since. It is nil before the
// run starts.
func (l *StatsLog) History() *monitor.History { return l.hist }

// Record implements Callback.
func (l *StatsLog) Record(s *State, e Event) error {
	switch e {
	case Init:
		return mkdirFor(l.Path)
	case Start, Rollback:
		if err := l.close(); err != nil {
			return err
		}
		return l.open(s.Trainer.Steps())
	case Step:
		st := s.Stats
		l.hist.Add(st)
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		l.w.Write([]string{strconv.Itoa(st.Step), f(st.DLoss), f(st.GLoss), f(st.DReal), f(st.DFake), f(st.V),
			f(st.Diversity), f(time.Since(s.Began).Seconds())})
		l.w.Flush() // a checkpoint written after this step finds its rows on disk
		if err := l.w.Error(); err != nil {
			return fmt.Errorf("training: write stats: %w", err)
		}
	case End:
		return l.close()
	}
	return nil
}

// open starts the file with the rows up to fromStep that it already holds
// (none for a new run) and reads them into the history.
func (l *StatsLog) open(fromStep int) error {
	hist := &monitor.History{}
	rows := [][]string{StatsHeader}
	if fromStep > 0 {
		if f, err := os.Open(l.Path); err == nil {
			old, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				return fmt.Errorf("resume: read %s: %w", l.Path, err)
			}
			for _, r := range old[min(1, len(old)):] {
				st, ok := parseRow(r)
				if ok && st.Step <= fromStep {
					rows = append(rows, r)
					hist.Add(st)
				}
			}
		}
	}
	err := atomicfile.Write(l.Path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
		return cw.Error()
	})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(l.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("training: open stats file: %w", err)
	}
	l.hist, l.f, l.w = hist, f, csv.NewWriter(f)
	return nil
}

// close flushes and closes the file, if open.
func (l *StatsLog) close() error {
	if l.f == nil {
		return nil
	}
	l.w.Flush()
	err := l.w.Error()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f, l.w = nil, nil
	if err != nil {
		return fmt.Errorf("training: write stats: %w", err)
	}
	return nil
}

// parseRow reads a row of the stats file.
func parseRow(r []string) (gan.Stats, bool) {
	if len(r) < 7 {
		return gan.Stats{}, false
	}
	step, err := strconv.Atoi(r[0])
	if err != nil {
		return gan.Stats{}, false
	}
	v := make([]float64, 6)
	for i := range v {
		if v[i], err = strconv.ParseFloat(r[i+1], 64); err != nil {
			return gan.Stats{}, false
		}
	}
	return gan.Stats{Step: step, DLoss: v[0], GLoss: v[1], DReal: v[2], DFake: v[3], V: v[4], Diversity: v[5]}, true
}

// mkdirFor creates the folder of the file path.
func mkdirFor(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("training: create run directory: %w", err)
	}
	return nil
}
