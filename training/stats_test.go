package training

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
)

func TestStatsHeaderFollowsTheSchema(t *testing.T) {
	require.Equal(t, "step", StatsHeader[0])
	require.Equal(t, "seconds", StatsHeader[len(StatsHeader)-1])
	require.Len(t, StatsHeader, len(gan.StatsFields)+2)
	for i, f := range gan.StatsFields {
		require.Equal(t, f.Name, StatsHeader[i+1])
	}
	// The columns of the files written so far keep their places.
	require.Equal(t, []string{"step", "d_loss", "g_loss", "d_real", "d_fake", "v", "diversity"}, StatsHeader[:7])
}

// writeFile writes text to a file of a fresh folder and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), StatsFile)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestStatsRoundTrip(t *testing.T) {
	var want []gan.Stats
	text := strings.Join(StatsHeader, ",") + "\n"
	for step := 1; step <= 3; step++ {
		s := gan.Stats{Step: step}
		for i, f := range gan.StatsFields {
			f.Set(&s, float64(step)+float64(i)/8) // exact in 6 digits
		}
		want = append(want, s)
		text += strings.Join(formatRow(s, float64(step)/4), ",") + "\n"
	}
	path := writeFile(t, text)
	rows, stats, err := readStats(path, 2)
	require.NoError(t, err)
	require.Equal(t, want[:2], stats, "rows up to the step resumed from")
	require.Len(t, rows, 2)
	require.Equal(t, "0.5", rows[1][len(StatsHeader)-1], "the seconds are kept")
	_, stats, err = readStats(path, 10)
	require.NoError(t, err)
	require.Equal(t, want, stats)

	rows, stats, err = readStats(filepath.Join(t.TempDir(), "missing.csv"), 10)
	require.NoError(t, err)
	require.Empty(t, rows)
	require.Empty(t, stats)
	_, stats, err = readStats(writeFile(t, ""), 10)
	require.NoError(t, err)
	require.Empty(t, stats)
}

// TestOldStatsFileResumes reads a file of an earlier version, without the
// diversity column and with its columns in another order: the statistics
// are read by name, the missing one is NaN, and the rows come back in the
// current columns with an empty cell for it.
func TestOldStatsFileResumes(t *testing.T) {
	path := writeFile(t, "step,g_loss,d_loss,d_real,d_fake,v,seconds\n1,0.5,1.5,0.75,0.25,-1,0.1\n2,0.25,1.25,0.5,0.5,-1.25,0.2\n3,1,1,1,1,1,0.3\n")
	rows, stats, err := readStats(path, 2)
	require.NoError(t, err)
	require.Len(t, stats, 2)
	s := stats[1]
	require.Equal(t, 2, s.Step)
	require.Equal(t, [5]float64{1.25, 0.25, 0.5, 0.5, -1.25}, [5]float64{s.DLoss, s.GLoss, s.DReal, s.DFake, s.V})
	require.True(t, math.IsNaN(s.Diversity))
	div := slices.Index(StatsHeader, "diversity")
	require.Equal(t, "", rows[1][div])
	require.Equal(t, "0.2", rows[1][len(StatsHeader)-1])
	require.Equal(t, "1.25", rows[1][1])

	// StatsLog.open rewrites it in the current columns and keeps the
	// statistics in its history.
	l := &StatsLog{Path: path}
	require.NoError(t, l.open(2))
	require.NoError(t, l.close())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, StatsHeader, all[0])
	require.Equal(t, rows, all[1:])
	require.Equal(t, 2, l.History().Len())
	require.Equal(t, []float64{1.5, 1.25}, l.History().Values("d_loss"))
	// The rewritten file reads again.
	_, again, err := readStats(path, 2)
	require.NoError(t, err)
	require.Equal(t, stats[0].Step, again[0].Step)
	require.Equal(t, stats[1].V, again[1].V)
}

func TestStatsFileGarbageFails(t *testing.T) {
	for text, msg := range map[string]string{
		"step,d_loss,nonsense\n1,2,3\n":         `column "nonsense" is not one of a stats file's (step,d_loss,`,
		"d_loss,g_loss\n1,2\n":                  `no "step" column: not a stats file`,
		"step,d_loss,d_loss\n1,2,3\n":           `column "d_loss" appears twice`,
		"step,d_loss\n1,2\n2,x\n":               `line 3: column d_loss: "x" is not a number`,
		"step,d_loss\n1.5,2\n":                  `line 2: column step: "1.5" is not a step number`,
		"step,d_loss,seconds\n1,2,soon\n":       `column seconds: "soon" is not a number`,
		"step,d_loss\n1,2\n2,3,4\n":             "wrong number of fields",
		"<html><body>not a csv</body></html>\n": `column "<html><body>not a csv</body></html>" is not one of`,
	} {
		path := writeFile(t, text)
		_, _, err := readStats(path, 10)
		require.ErrorContains(t, err, msg, text)
		require.ErrorContains(t, err, path)
		require.ErrorContains(t, (&StatsLog{Path: path}).open(10), "resume: read "+path)
	}
}
