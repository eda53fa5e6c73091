package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary serve as the command's child processes.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRunTrainsInChildrenResumesAndWritesTheTable(t *testing.T) {
	out := t.TempDir()
	args := []string{"-steps", "3", "-seeds", "1", "-batch", "8", "-samples", "200", "-mbd-kernels", "4",
		"-variants", "plain,pacgan2,minibatch,losing,2x2", "-data", "ring", "-out", out, "-j", "2"}
	o, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	var log bytes.Buffer
	require.NoError(t, run(context.Background(), o, &log))
	require.Contains(t, log.String(), "5 runs, 0 already in")
	rs, err := loadResults(filepath.Join(out, resultsFile))
	require.NoError(t, err)
	require.Len(t, rs, 5)
	for _, r := range rs {
		require.Equal(t, 200, r.Samples)
		require.Len(t, r.Assigned, 8)
		switch r.Variant {
		case "losing": // the literal rule: one update per step
			require.Equal(t, 3, r.DUpdates+r.GUpdates, "%v", r.job)
		default:
			require.Equal(t, []int{3, 3}, []int{r.DUpdates, r.GUpdates}, "%v", r.job)
		}
	}

	// A second seed: the five finished runs are reused, five trained.
	o.Seeds = 2
	log.Reset()
	require.NoError(t, run(context.Background(), o, &log))
	require.Contains(t, log.String(), "10 runs, 5 already in")
	rs, err = loadResults(filepath.Join(out, resultsFile))
	require.NoError(t, err)
	require.Len(t, rs, 10)

	table, err := os.ReadFile(filepath.Join(out, "table.md"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(table)), "\n")
	require.Len(t, lines, 2+2+5) // caption, blank, header, rule, five rows
	require.Contains(t, lines[4], "| ring | plain | ")
	require.Contains(t, lines[4], "| 6.3 ± 0.5 | 98.2 ± 0.2 | 0.45 ± 0.09 |") // the paper's row
	require.Contains(t, lines[8], "| ring | 2x2 | ")
	for _, v := range []string{"plain", "pacgan2", "2x2"} {
		f, err := os.Open(filepath.Join(out, "scatter-ring-"+v+".png"))
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err)
		require.Equal(t, 480, img.Bounds().Dx())
	}

	// Other settings do not reuse the runs.
	o.Steps, o.Seeds, o.Variants = 2, 1, []string{"plain"}
	log.Reset()
	require.NoError(t, run(context.Background(), o, &log))
	require.Contains(t, log.String(), "1 runs, 0 already in")
}

func TestCoverageFromCounts(t *testing.T) {
	// 3 high-quality samples at mode 0, 1 at mode 1, and 4 poor ones all
	// nearest mode 1, of a 4-mode mixture.
	r := record{Samples: 8, Assigned: []int{3, 5, 0, 0}, PerMode: []int{3, 1, 0, 0}}
	c, klHQ := r.coverage()
	require.Equal(t, 2, c.ModesCovered)
	require.Equal(t, 4, c.HighQuality)
	require.Equal(t, 0.5, c.HighQualityShare)
	require.InDelta(t, 0.75*math.Log(3), klHQ, 1e-15)                               // (¾, ¼, 0, 0)
	require.InDelta(t, 3.0/8*math.Log(1.5)+5.0/8*math.Log(2.5), c.ReverseKL, 1e-15) // (3/8, 5/8, 0, 0)
	_, klHQ = record{Samples: 2, Assigned: []int{2, 0}, PerMode: []int{0, 0}}.coverage()
	require.True(t, math.IsNaN(klHQ))
}

func TestMeanSD(t *testing.T) {
	m, s, n := meanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	require.Equal(t, 5.0, m)
	require.InDelta(t, 2.138, s, 1e-3) // sample standard deviation
	require.Equal(t, 8, n)
	m, s, n = meanSD([]float64{3, math.NaN()})
	require.Equal(t, []float64{3, 0, 1}, []float64{m, s, float64(n)})
}

func TestFlags(t *testing.T) {
	_, err := parseFlags([]string{"-j", "0"}, io.Discard)
	require.ErrorContains(t, err, "-j must be positive")
	_, err = parseFlags([]string{"-beta1", "1"}, io.Discard)
	require.ErrorContains(t, err, "-beta1 in [0, 1)")
	_, err = parseFlags([]string{"-variants", "plain,magic"}, io.Discard)
	require.ErrorContains(t, err, `-variants: unknown "magic"`)
	_, err = parseFlags([]string{"-data", "spiral"}, io.Discard)
	require.ErrorContains(t, err, `-data: unknown "spiral"`)
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, allVariants, o.Variants)
	require.Equal(t, settings{Steps: 20000, Batch: 100, Samples: 2500, LR: 1e-4, Beta1: 0.8, MBDKernels: 100, MBDDim: 5}, o.settings)
	require.Equal(t, 5, o.Seeds)
}
