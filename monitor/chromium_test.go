package monitor

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/gan"
	"github.com/gogan/gogan/images"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium on the page with extra arguments and
// returns its standard output.
func chromium(t *testing.T, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	home := t.TempDir()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(home, "profile"),
		// Let the page's load event (and the check script) run first.
		"--virtual-time-budget=5000",
	}, args...)
	all = append(all, "file://"+page)
	cmd := exec.CommandContext(ctx, chromiumPath, all...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// imageCheck loads the page in Chromium and returns what its check
// script found: how many images loaded, out of how many.
func imageCheck(t *testing.T, page string) (loaded, total int) {
	t.Helper()
	dom := chromium(t, page, "--dump-dom")
	doc, err := html.Parse(bytes.NewReader(dom))
	require.NoError(t, err)
	for d := range doc.Descendants() {
		if d.Type == html.ElementNode && attr(d, "id") == "image-check" {
			loaded, err1 := strconv.Atoi(attr(d, "data-loaded"))
			total, err2 := strconv.Atoi(attr(d, "data-total"))
			require.NoError(t, err1)
			require.NoError(t, err2)
			return loaded, total
		}
	}
	t.Fatalf("the dumped DOM has no #image-check: the check script did not run\n%s", dom)
	return 0, 0
}

// blob returns a 28×28 picture of a soft disc whose centre depends on the
// two first latent values, like a toy generator's sample.
func blob(z []float64) image.Image {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	cx, cy := 14+6*math.Tanh(z[0]), 14+6*math.Tanh(z[1])
	for y := range 28 {
		for x := range 28 {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			img.Pix[y*28+x] = uint8(255 * math.Exp(-d*d/30))
		}
	}
	return img
}

// writeRunFigures writes every kind of picture the package makes, as a
// run would, into dir and returns them as report figures.
func writeRunFigures(t *testing.T, dir string) []Figure {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	h := &History{}
	for i := 1; i <= 500; i++ {
		f := math.Exp(-float64(i) / 150)
		n := 0.05 * rng.NormFloat64()
		h.Add(gan.Stats{Step: i, DLoss: 1.39 - 0.6*f + n, GLoss: 0.69 + 1.2*f + n, DReal: 0.5 + 0.4*f + n/2, DFake: 0.5 - 0.4*f + n/2, V: -1.39 + 0.9*f + n})
	}
	opts := PlotOptions{Width: 900, Height: 450, Smooth: 25}
	require.NoError(t, WriteLossPlot(filepath.Join(dir, "losses.png"), h, opts))
	require.NoError(t, WriteDiscriminatorPlot(filepath.Join(dir, "discriminator.png"), h, opts))
	require.NoError(t, WriteValuePlot(filepath.Join(dir, "value.png"), h, opts))

	real, gen := make([]float64, 3000), make([]float64, 3000)
	for i := range real {
		real[i] = rng.NormFloat64()
		gen[i] = 0.8*rng.NormFloat64() + 0.3
	}
	require.NoError(t, WriteHistogram(filepath.Join(dir, "histogram.png"), real, gen, PlotOptions{Width: 900, Height: 450, Bins: 40}))

	ring := data.NewRing8()
	means := ring.Means()
	pts := make([][2]float64, 1000)
	for i := range pts { // a generator that found 6 of the 8 modes
		m := means[rng.IntN(6)]
		pts[i] = [2]float64{m[0] + 0.1*rng.NormFloat64(), m[1] + 0.1*rng.NormFloat64()}
	}
	require.NoError(t, WriteScatter(filepath.Join(dir, "modes.png"), pts, means, PlotOptions{Width: 600, Height: 600}))

	const cols = 8
	fixed := make([][]float64, cols)
	for i := range fixed {
		fixed[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	var rows [][]image.Image
	for ckpt := 1; ckpt <= 4; ckpt++ { // samples sharpen towards their final place
		var row []image.Image
		for _, z := range fixed {
			s := float64(ckpt) / 4
			row = append(row, blob([]float64{s * z[0], s * z[1]}))
		}
		rows = append(rows, row)
	}
	require.NoError(t, images.WriteSampleTimeline(filepath.Join(dir, "timeline.png"), rows, 2))

	gen2 := func(z []float64) ([]image.Image, error) {
		var imgs []image.Image
		for i := 0; i+2 <= len(z); i += 2 {
			imgs = append(imgs, blob(z[i:i+2]))
		}
		return imgs, nil
	}
	require.NoError(t, images.WriteInterpolation(filepath.Join(dir, "interpolation.png"), gen2,
		[]float64{-2, -1}, []float64{2, 1.5}, images.InterpolationOptions{Steps: 10, Scale: 2}))

	return []Figure{
		{"losses.png", "D and G losses (moving average over 25 steps)"},
		{"discriminator.png", "Mean D(x) and D(G(z)); dashed: the equilibrium 1/2"},
		{"value.png", "V(D, G); dashed: the equilibrium −log 4"},
		{"histogram.png", "Real and generated 1-D samples"},
		{"modes.png", "Generated points over the 8 mode centres"},
		{"timeline.png", "Fixed-noise samples at 4 checkpoints (rows)"},
		{"interpolation.png", "Spherical interpolation between two latent vectors"},
	}
}

// TestReportInChromium renders a full report in headless Chromium and
// checks that every image really loads (decoded, natural width > 0); a
// corrupt picture shows that the check can fail. The screenshot is kept
// in the test's temporary folder, and copied to $MONITOR_SCREENSHOT_DIR
// when that is set.
func TestReportInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("headless browser test skipped: %s is absent (install it with: apt-get install -y chromium)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	dir := t.TempDir()
	figs := writeRunFigures(t, dir)
	final := gan.Stats{Step: 500, DLoss: 1.37, GLoss: 0.71, DReal: 0.51, DFake: 0.49, V: -1.37, DUpdates: 1, GUpdates: 1, Diversity: 0.93}
	cfg := map[string]any{"model": "mlp", "loss": "minimax", "batch": 64, "lr": 2e-4, "steps": 500, "seed": 1}
	require.NoError(t, WriteReport(dir, Report{Title: "Toy run", Config: cfg, Final: &final, Figures: figs, CheckImages: true}))
	page := filepath.Join(dir, ReportFile)

	loaded, total := imageCheck(t, page)
	require.Equal(t, len(figs), total, "every figure is an <img>")
	require.Equal(t, total, loaded, "every image loads")

	shot := filepath.Join(t.TempDir(), "report.png")
	chromium(t, page, "--screenshot="+shot, "--window-size=1200,2000", "--hide-scrollbars")
	f, err := os.Open(shot)
	require.NoError(t, err)
	cfgShot, err := png.DecodeConfig(f)
	f.Close()
	require.NoError(t, err)
	require.Equal(t, [2]int{1200, 2000}, [2]int{cfgShot.Width, cfgShot.Height})
	t.Logf("screenshot: %s", shot)
	if keep := os.Getenv("MONITOR_SCREENSHOT_DIR"); keep != "" {
		b, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(keep, "report.png"), b, 0o644))
		for _, fig := range figs {
			b, err := os.ReadFile(filepath.Join(dir, fig.File))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(keep, fig.File), b, 0o644))
		}
	}

	// Negative control: a picture that exists but does not decode.
	bad := t.TempDir()
	good := writeFigures(t, bad, "good.png")
	require.NoError(t, os.WriteFile(filepath.Join(bad, "corrupt.png"), []byte("not a PNG"), 0o644))
	require.NoError(t, WriteReport(bad, Report{Figures: append(good, Figure{File: "corrupt.png"}), CheckImages: true}))
	loaded, total = imageCheck(t, filepath.Join(bad, ReportFile))
	require.Equal(t, [2]int{1, 2}, [2]int{loaded, total}, "the corrupt picture is caught")
}
