package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gogan/gogan/models"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
)

// writePNGs writes n non-square colour PNGs (gradients with a moving
// disc) and one file that is not an image.
func writePNGs(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
		for y := range 30 {
			for x := range 40 {
				c := color.NRGBA{R: uint8(6 * x), G: uint8(8 * y), B: uint8(20 * i), A: 255}
				if dx, dy := x-10-2*i, y-15; dx*dx+dy*dy < 36 {
					c = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		require.NoError(t, png.Encode(&buf, img))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "img"+strconv.Itoa(i)+".png"), buf.Bytes(), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.png"), []byte("not a png"), 0o644))
}

// TestTrainsOnAFolder runs the command for 2 steps at -size 16 on a few
// generated PNGs and checks that every output is there and readable.
func TestTrainsOnAFolder(t *testing.T) {
	dir := t.TempDir()
	writePNGs(t, dir, 6)
	out := filepath.Join(t.TempDir(), "run")
	c, err := parseFlags([]string{"-data", dir, "-size", "16", "-steps", "2", "-batch", "4", "-out", out, "-log-every", "1"}, io.Discard)
	require.NoError(t, err)
	var log bytes.Buffer
	require.NoError(t, run(context.Background(), c, &log))
	require.Contains(t, log.String(), "data: 6 images of 3x16x16")
	require.Contains(t, log.String(), "skipping "+filepath.Join(dir, "broken.png"))

	f, err := os.Open(filepath.Join(out, "stats.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, training.StatsHeader, rows[0])
	for _, r := range rows[1:] {
		for _, s := range r {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
		}
	}

	gridFile, err := os.Open(filepath.Join(out, "samples-000002.png"))
	require.NoError(t, err)
	defer gridFile.Close()
	grid, err := png.Decode(gridFile)
	require.NoError(t, err)
	// 8×8 samples of 16 pixels with 2-pixel gaps, scaled 4×.
	require.Equal(t, 4*(8*16+9*2), grid.Bounds().Dx())

	gen, disc, info, err := models.Load(filepath.Join(out, "model.gogan"))
	require.NoError(t, err)
	require.Equal(t, 2, info.Steps)
	require.Equal(t, []int{3, 16, 16}, gen.SampleShape())
	require.Equal(t, []int{3, 16, 16}, disc.InputShape())
}

func TestFlagsAreValidated(t *testing.T) {
	cases := map[string][]string{
		"-data is required":             {},
		"-size 48: want a power of two": {"-data", "x", "-size", "48"},
		"-size 4: want a power of two":  {"-data", "x", "-size", "4"},
		"-batch must be positive":       {"-data", "x", "-batch", "0"},
		"-steps must be positive":       {"-data", "x", "-steps", "0"},
		"-lr must be positive":          {"-data", "x", "-lr", "-1"},
		"-limit must not be negative":   {"-data", "x", "-limit", "-1"},
		"unexpected arguments":          {"-data", "x", "extra"},
		"-log-every must be positive":   {"-data", "x", "-log-every", "0"},
	}
	for want, args := range cases {
		_, err := parseFlags(args, io.Discard)
		require.ErrorContains(t, err, want, "%v", args)
	}
	c, err := parseFlags([]string{"-data", "x", "-gray", "-size", "32"}, io.Discard)
	require.NoError(t, err)
	gcfg, dcfg := c.modelConfigs()
	require.Equal(t, 1, gcfg.Channels)
	require.Equal(t, 32, dcfg.ImageSize)
	c, err = parseFlags([]string{"-data", "x"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 64, c.Size)
	require.Equal(t, 64, c.Batch)
}

func TestDataProblemsAreNamed(t *testing.T) {
	dir := t.TempDir()
	c := config{Data: dir, Out: filepath.Join(dir, "out"), Size: 16, Steps: 1, Batch: 4, LR: 1e-3, LogEvery: 1}
	err := run(context.Background(), c, io.Discard)
	require.ErrorContains(t, err, "no PNG or JPEG images in "+dir)

	writePNGs(t, dir, 2)
	err = run(context.Background(), c, io.Discard)
	require.ErrorContains(t, err, "has 2 usable images, fewer than one batch of 4")
}

// TestResumeContinuesExactly trains 4 steps straight, and 2 then 2 more
// resumed with -resume: the saved models are identical bit for bit.
func TestResumeContinuesExactly(t *testing.T) {
	dir := t.TempDir()
	writePNGs(t, dir, 6)
	straight, split := filepath.Join(t.TempDir(), "run"), filepath.Join(t.TempDir(), "run")
	for _, args := range [][]string{
		{"-data", dir, "-size", "16", "-steps", "4", "-batch", "4", "-out", straight, "-checkpoint-every", "3"},
		{"-data", dir, "-size", "16", "-steps", "2", "-batch", "4", "-out", split, "-checkpoint-every", "3"},
		{"-resume", split, "-steps", "4"},
	} {
		c, err := parseFlags(args, io.Discard)
		require.NoError(t, err)
		require.NoError(t, run(context.Background(), c, io.Discard), "%v", args)
	}
	a, err := os.ReadFile(filepath.Join(straight, "model.gogan"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(split, "model.gogan"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "the resumed run's model differs from the straight run's")

	_, err = parseFlags([]string{"-resume", split, "-size", "32"}, io.Discard)
	require.ErrorContains(t, err, "-resume reuses the run's configuration; drop [-size]")
	c, err := parseFlags([]string{"-resume", t.TempDir()}, io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, run(context.Background(), c, io.Discard), "resume:")
}
