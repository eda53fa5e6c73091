package training

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/internal/writefault"
	"github.com/gogan/gogan/monitor"
)

// StatsHeader is the header row of the file StatsLog writes: the step,
// its statistics (the Names of gan.StatsFields, in order) and the seconds
// since training started in this process.
var StatsHeader = statsHeader()

// statsHeader builds StatsHeader from the schema of the statistics.
func statsHeader() []string {
	h := []string{"step"}
	for _, f := range gan.StatsFields {
		h = append(h, f.Name)
	}
	return append(h, "seconds")
}

// StatsLog keeps every step's statistics in a CSV file (StatsHeader; the
// values with 6 significant digits), written row by row, and in a
// monitor.History for the plots (Report reads it). A new run (one that
// starts at step 0) starts the file anew; a resumed one keeps the rows up
// to its checkpoint's step, drops those written after it (and a last row
// torn by a crash) and reads them back into the History; it reads a file written by an earlier version by
// the names of its columns, a statistic it lacks being NaN in the History
// and an empty cell in the file. A rollback (NaNRollback) drops the rows
// after the step rolled back to, so the file has every step once, in
// order.
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
		l.hist.Add(s.Stats)
		if err := writefault.Before(writefault.Append, l.Path); err != nil {
			return fmt.Errorf("training: write stats: %w", err)
		}
		l.w.Write(formatRow(s.Stats, time.Since(s.Began).Seconds()))
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
		old, stats, err := readStats(l.Path, fromStep)
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		rows = append(rows, old...)
		for _, st := range stats {
			hist.Add(st)
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

// formatRow formats the row of the statistics st, seconds into the run,
// in the columns of StatsHeader (6 significant digits).
func formatRow(st gan.Stats, seconds float64) []string {
	row := make([]string, 0, len(StatsHeader))
	row = append(row, strconv.Itoa(st.Step))
	for _, f := range gan.StatsFields {
		row = append(row, formatValue(f.Get(st)))
	}
	return append(row, formatValue(seconds))
}

// formatValue formats one value of the stats file.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// readStats reads the stats file at path and returns its rows up to step
// fromStep, in the columns of StatsHeader, and their statistics. The
// file's columns are found by name in its header, in any order; a column
// of StatsHeader it lacks (a statistic added since it was written) is an
// empty cell of the rows returned and NaN in their statistics. A missing
// or empty file has no rows. A last line without its newline is the torn
// write of a process that died while appending it (its step is after any
// checkpoint) and is ignored. It is an error if the header has no step
// column, repeats a column or has one that is not in StatsHeader, or if a
// cell is not a number.
func readStats(path string, fromStep int) ([][]string, []gan.Stats, error) {
	text, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	text = text[:bytes.LastIndexByte(text, '\n')+1] // drop a torn last line
	r := csv.NewReader(bytes.NewReader(text))
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	cols, err := statsColumns(header)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	var rows [][]string
	var stats []gan.Stats
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, stats, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", path, err)
		}
		row := make([]string, len(StatsHeader))
		for i, c := range cols {
			if c >= 0 {
				row[i] = rec[c]
			}
		}
		st, err := parseRow(row)
		if err != nil {
			line, _ := r.FieldPos(0)
			return nil, nil, fmt.Errorf("read %s: line %d: %w", path, line, err)
		}
		if st.Step <= fromStep {
			rows, stats = append(rows, row), append(stats, st)
		}
	}
}

// statsColumns returns, for each column of StatsHeader, its index in the
// header of a stats file, −1 if the file lacks it.
func statsColumns(header []string) ([]int, error) {
	cols := make([]int, len(StatsHeader))
	for i := range cols {
		cols[i] = -1
	}
	for j, name := range header {
		i := slices.Index(StatsHeader, name)
		switch {
		case i < 0:
			return nil, fmt.Errorf("column %q is not one of a stats file's (%s)", name, strings.Join(StatsHeader, ","))
		case cols[i] >= 0:
			return nil, fmt.Errorf("column %q appears twice", name)
		}
		cols[i] = j
	}
	if cols[0] < 0 {
		return nil, fmt.Errorf("no %q column: not a stats file", StatsHeader[0])
	}
	return cols, nil
}

// parseRow reads a row in the columns of StatsHeader: the step, then
// numbers, an empty cell being a missing value (NaN).
func parseRow(row []string) (gan.Stats, error) {
	step, err := strconv.Atoi(row[0])
	if err != nil {
		return gan.Stats{}, fmt.Errorf("column %s: %q is not a step number", StatsHeader[0], row[0])
	}
	st := gan.Stats{Step: step}
	for i, cell := range row[1:] {
		v := math.NaN()
		if cell != "" {
			if v, err = strconv.ParseFloat(cell, 64); err != nil {
				return gan.Stats{}, fmt.Errorf("column %s: %q is not a number", StatsHeader[i+1], cell)
			}
		}
		if i < len(gan.StatsFields) {
			gan.StatsFields[i].Set(&st, v)
		}
	}
	return st, nil
}

// mkdirFor creates the folder of the file path.
func mkdirFor(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("training: create run directory: %w", err)
	}
	return nil
}
