package monitor

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

// fakeClock returns a clock that advances by step at every call.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func statsAt(step int) gan.Stats {
	return gan.Stats{Step: step, DLoss: 1.25, GLoss: 0.75, DReal: 0.625, DFake: 0.375, V: -1.5, Diversity: 0.875}
}

func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	// The clock advances 0.5 s per reading; it is read at creation and at
	// each printed line, so every 100-step interval lasts 0.5 s.
	p := NewProgress(&buf, 250, ProgressOptions{Mode: ModePlain, Every: 100, Now: fakeClock(500 * time.Millisecond)})
	for step := 1; step <= 250; step++ {
		p.Update(statsAt(step))
	}
	require.NoError(t, p.Finish())
	stats := "  " + formatStats(statsAt(0), 0) // TestStatsFormat checks them
	require.Equal(t, []string{
		"step 100/250  200.0 steps/s  ETA 750ms" + stats,
		"step 200/250  200.0 steps/s  ETA 250ms" + stats,
		"step 250/250  100.0 steps/s  ETA 0s" + stats,
		"done: 250 steps in 2s (125.0 steps/s)",
	}, strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"))
}

func TestProgressPlainSparseUpdatesAndEarlyStop(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 1000, ProgressOptions{Mode: ModePlain, Every: 100, Start: 500, Description: "run", Now: fakeClock(time.Second)})
	// Updates every 30 steps still give a line per crossed multiple of 100.
	for step := 530; step <= 740; step += 30 {
		p.Update(statsAt(step))
	}
	require.NoError(t, p.Finish())
	p.Update(statsAt(900)) // ignored after Finish
	require.NoError(t, p.Finish())
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 4, buf.String())
	require.True(t, strings.HasPrefix(lines[0], "run: step 620/1000  120.0 steps/s  ETA 3s  "), lines[0])
	require.True(t, strings.HasPrefix(lines[1], "run: step 710/1000  90.0 steps/s  ETA 3s  "), lines[1])
	// 740, the last update, was not printed yet: Finish prints it.
	require.True(t, strings.HasPrefix(lines[2], "run: step 740/1000  30.0 steps/s  ETA 9s  "), lines[2])
	require.Equal(t, "run: done: 240 steps in 4s (60.0 steps/s)", lines[3])
}

// TestStatsFormat checks the statistics of the plain lines and the bar:
// those of gan.StatsFields, each with its Digits (one fewer on the bar).
func TestStatsFormat(t *testing.T) {
	plain, bar := formatStats(statsAt(1), 0), formatStats(statsAt(1), -1)
	require.True(t, strings.HasPrefix(plain, "D loss 1.2500  G loss 0.7500  D(x) 0.625  D(G(z)) 0.375  V -1.5000  diversity 0.875"), plain)
	require.True(t, strings.HasPrefix(bar, "D loss 1.250  G loss 0.750  D(x) 0.62  D(G(z)) 0.38  V -1.500  diversity 0.88"), bar)
	require.Equal(t, len(gan.StatsFields), strings.Count(plain, "  ")+1)
}

func TestFormatLineUnknownTotalAndRate(t *testing.T) {
	s := statsAt(42)
	stats := "  " + formatStats(s, 0)
	require.Equal(t, "step 42  ? steps/s"+stats,
		FormatLine(s, 0, 42, 0))
	require.Equal(t, "step 42/100  ? steps/s  ETA ?"+stats,
		FormatLine(s, 100, 42, 0))
	require.Contains(t, FormatLine(s, 100, 0, time.Second), "0.0 steps/s  ETA ?")
	require.Contains(t, FormatLine(gan.Stats{Step: 10}, 100, 10, time.Second), "10.0 steps/s  ETA 9s")
	require.Contains(t, FormatLine(gan.Stats{Step: 3600}, 7200, 1, time.Second), "ETA 1h0m0s")
}

func TestProgressBarShowsStatistics(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 50, ProgressOptions{Mode: ModeBar, Description: "train"})
	require.NotNil(t, p.bar, "ModeBar must draw a bar")
	for step := 1; step <= 50; step++ {
		s := statsAt(step)
		s.DLoss = 1 + float64(step)/100 // the last is 1.500
		p.Update(s)
	}
	require.NoError(t, p.Finish())
	out := buf.String()
	require.Contains(t, out, "100%")
	require.Contains(t, out, "50/50")
	require.Contains(t, out, "steps/s")
	require.Contains(t, out, "train  D loss 1.500  G loss 0.750  D(x) 0.62  D(G(z)) 0.38  V -1.500  diversity 0.88")
	require.Contains(t, out, "\r", "the bar is redrawn in place")
	require.True(t, strings.HasSuffix(out, "\n"), "a finished bar ends its line")
	require.NotContains(t, out, "done:", "no plain summary under a finished bar")
}

func TestProgressBarStoppedEarly(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 100, ProgressOptions{Mode: ModeBar})
	for step := 1; step <= 30; step++ {
		p.Update(statsAt(step))
	}
	require.NoError(t, p.Finish())
	out := buf.String()
	require.NotContains(t, out, "100%")
	// The last statistics follow the bar on a plain line.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.True(t, strings.HasPrefix(lines[len(lines)-1], "step 30/100  "), out)
}

func TestProgressAutoModeOnNonTerminal(t *testing.T) {
	var buf bytes.Buffer
	require.False(t, IsTerminal(&buf))
	require.Nil(t, NewProgress(&buf, 10, ProgressOptions{}).bar)

	f, err := os.CreateTemp(t.TempDir(), "log")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, IsTerminal(f), "a regular file is not a terminal")
	p := NewProgress(f, 10, ProgressOptions{Every: 5})
	require.Nil(t, p.bar)
	for step := 1; step <= 10; step++ {
		p.Update(statsAt(step))
	}
	require.NoError(t, p.Finish())
	b, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(b), "\n"))
	require.NotContains(t, string(b), "\r")

	// A bar needs a known total.
	require.Nil(t, NewProgress(&buf, 0, ProgressOptions{Mode: ModeBar}).bar)
	require.Equal(t, "bar", ModeBar.String())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestProgressKeepsWriteError(t *testing.T) {
	p := NewProgress(failingWriter{}, 10, ProgressOptions{Mode: ModePlain, Every: 1})
	p.Update(statsAt(1))
	err := p.Finish()
	require.ErrorIs(t, err, os.ErrClosed)
	require.ErrorContains(t, err, "monitor: progress")
}
