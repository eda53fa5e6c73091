package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunWritesTableAndScatterPlots(t *testing.T) {
	out := t.TempDir()
	o, err := parseFlags([]string{"-steps", "5", "-seeds", "2", "-batch", "16", "-samples", "200",
		"-variants", "plain,pacgan4,2x2", "-data", "ring", "-out", out}, io.Discard)
	require.NoError(t, err)
	var log bytes.Buffer
	require.NoError(t, run(context.Background(), o, &log))
	table, err := os.ReadFile(filepath.Join(out, "table.md"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(table)), "\n")
	require.Len(t, lines, 2+2+3) // caption, blank, header, rule, three rows
	require.Contains(t, lines[4], "| ring | plain | ")
	require.Contains(t, lines[5], "| ring | pacgan4 | ")
	require.Contains(t, lines[6], "/ 8 |")
	require.Contains(t, log.String(), "ring 2x2       seed 2:")
	for _, v := range []string{"plain", "pacgan4", "2x2"} {
		f, err := os.Open(filepath.Join(out, "scatter-ring-"+v+".png"))
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err)
		require.Equal(t, 480, img.Bounds().Dx())
	}
}

func TestMeanSD(t *testing.T) {
	m, s := meanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	require.Equal(t, 5.0, m)
	require.InDelta(t, 2.138, s, 1e-3) // sample standard deviation
	m, s = meanSD([]float64{3})
	require.Equal(t, []float64{3, 0}, []float64{m, s})
}

func TestFlags(t *testing.T) {
	_, err := parseFlags([]string{"-batch", "10"}, io.Discard)
	require.ErrorContains(t, err, "-batch must be a positive multiple of 4, got 10")
	_, err = parseFlags([]string{"-variants", "plain,magic"}, io.Discard)
	require.ErrorContains(t, err, `-variants: unknown "magic"`)
	_, err = parseFlags([]string{"-data", "spiral"}, io.Discard)
	require.ErrorContains(t, err, `-data: unknown "spiral"`)
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, allVariants, o.Variants)
	require.Equal(t, 3, o.Seeds)
}
