package monitor

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

// distinctStats returns statistics whose every field of gan.StatsFields
// has a value of its own.
func distinctStats(step int) gan.Stats {
	s := gan.Stats{Step: step, DUpdates: 1, GUpdates: 1}
	for i, f := range gan.StatsFields {
		f.Set(&s, 0.1234*float64(i+1)+float64(step))
	}
	return s
}

// TestSchemaDrivesEveryConsumer checks that every statistic of
// gan.StatsFields shows in the history, both progress lines, the report's
// rows and a curve plot.
func TestSchemaDrivesEveryConsumer(t *testing.T) {
	s := distinctStats(7)
	line := FormatLine(s, 10, 7, time.Second)
	bar := (&Progress{}).describe(s)
	rows := statsRows(s)
	var h History
	h.Add(distinctStats(6))
	h.Add(s)
	last, ok := h.Last()
	require.True(t, ok)
	plots := CurvePlots()
	var plotNames []string
	for _, p := range plots {
		plotNames = append(plotNames, p.Name)
	}
	for _, f := range gan.StatsFields {
		v := f.Get(s)
		require.Contains(t, line, fmt.Sprintf("  %s %.*f", f.Label, f.Digits, v), f.Name)
		require.Contains(t, bar, fmt.Sprintf("%s %.*f", f.Label, f.Digits-1, v), f.Name)
		require.True(t, slices.ContainsFunc(rows, func(r row) bool {
			return r.Name == f.Heading() && r.Value == fmt.Sprintf("%.4f", v)
		}), "report row of %s", f.Name)
		require.Equal(t, []float64{f.Get(distinctStats(6)), v}, h.Values(f.Name), f.Name)
		require.Equal(t, v, f.Get(last), f.Name)
		if f.Plot != "" {
			require.Contains(t, plotNames, f.Plot, f.Name)
		}
	}
	require.Len(t, rows, len(gan.StatsFields)+2, "step, the statistics, the update counts")
	want := s
	want.DUpdates, want.GUpdates = 0, 0 // History keeps the step and the statistics
	require.Equal(t, want, last)
	require.Len(t, h.Series, len(gan.StatsFields))
}

// TestSchemaLineAppearsEverywhere adds a line to the schema (reading an
// existing field under a new name, label and plot) and finds it in every
// consumer: none of them lists the statistics itself.
func TestSchemaLineAppearsEverywhere(t *testing.T) {
	saved := gan.StatsFields
	t.Cleanup(func() { gan.StatsFields = saved })
	gan.StatsFields = append(slices.Clip(saved), gan.StatField{Name: "twice_v", Label: "2V", Title: "twice V", Digits: 2,
		Plot: "twice", Equilibrium: &gan.Equilibrium{Value: 42}, Note: "a test",
		Field: func(s *gan.Stats) *float64 { return &s.V }})
	s := gan.Stats{Step: 3, V: -1.25}
	require.True(t, strings.HasSuffix(FormatLine(s, 0, 3, time.Second), "  2V -1.25"), FormatLine(s, 0, 3, time.Second))
	require.True(t, strings.HasSuffix((&Progress{}).describe(s), "  2V -1.2"))
	rows := statsRows(s)
	require.Equal(t, row{"twice V", "-1.2500", "equilibrium 42; a test"}, rows[len(rows)-2])
	var h History
	h.Add(s)
	require.Equal(t, []float64{-1.25}, h.Values("twice_v"))
	plots := CurvePlots()
	require.Equal(t, CurvePlot{Name: "twice", Title: "twice V", YLabel: "twice V", Caption: "twice V; equilibrium 42; a test"}, plots[len(plots)-1])
	path := filepath.Join(t.TempDir(), plots[len(plots)-1].File())
	require.NoError(t, WriteCurvePlot(path, &h, "twice", PlotOptions{Width: 200, Height: 150}))
}

func TestCurvePlotsOfTheSchema(t *testing.T) {
	var names []string
	for _, p := range CurvePlots() {
		names = append(names, p.File())
		require.NotEmpty(t, p.Title)
		require.NotEmpty(t, p.Caption)
	}
	var want []string // one plot per distinct Plot of the schema, in its order
	for _, f := range gan.StatsFields {
		if f.Plot != "" && !slices.Contains(want, f.Plot+".png") {
			want = append(want, f.Plot+".png")
		}
	}
	require.Equal(t, want, names)
	require.Equal(t, []string{"losses.png", "discriminator.png", "value.png", "diversity.png"}, names[:4])
	dir := t.TempDir()
	h := testHistory(50)
	for _, p := range CurvePlots() {
		require.NoError(t, WriteCurvePlot(filepath.Join(dir, p.File()), h, p.Name, PlotOptions{Width: 300, Height: 200}), p.Name)
	}
}
