package monitor

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gogan/gogan/gan"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// parseHTML parses the page and returns its root.
func parseHTML(t *testing.T, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	require.NoError(t, err)
	return doc
}

// findAll returns the elements named tag under n, in document order.
func findAll(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.Data == tag {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text returns the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// tableRows returns the cells' texts of the table with the given id.
func tableRows(t *testing.T, doc *html.Node, id string) [][]string {
	t.Helper()
	for _, tbl := range findAll(doc, "table") {
		if attr(tbl, "id") != id {
			continue
		}
		var rows [][]string
		for _, tr := range findAll(tbl, "tr") {
			var cells []string
			for c := range tr.ChildNodes() {
				if c.Type == html.ElementNode {
					cells = append(cells, text(c))
				}
			}
			rows = append(rows, cells)
		}
		return rows
	}
	t.Fatalf("no table %q", id)
	return nil
}

type testConfig struct {
	Model   string        `json:"model"`
	LR      float64       `json:"lr"`
	Steps   int           // no tag: the field name
	Every   time.Duration `json:"every,omitempty"`
	Secret  string        `json:"-"`
	Nested  struct{ A, B int }
	private int
}

// writeFigures writes small PNGs named names into dir.
func writeFigures(t *testing.T, dir string, names ...string) []Figure {
	t.Helper()
	var figs []Figure
	for i, name := range names {
		require.NoError(t, writePNG(filepath.Join(dir, name), grayImage(20+i, 10, 200)))
		figs = append(figs, Figure{File: name, Caption: "figure " + name})
	}
	return figs
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	figs := writeFigures(t, dir, "loss.png", "d out.png", "a:b.png", "timeline.png")
	cfg := testConfig{Model: "<script>alert('x')</script>", LR: 2e-4, Steps: 1000, Every: time.Second, Secret: "hidden"}
	cfg.Nested.A, cfg.Nested.B, cfg.private = 1, 2, 7 // private is not shown
	final := gan.Stats{Step: 1000, DLoss: 1.3863, GLoss: 0.6931, DReal: 0.5, DFake: 0.5, V: -1.3863, DUpdates: 1, GUpdates: 1, Diversity: 0.97}
	env := []Detail{{Name: "BLAS", Value: "gogan (pure Go, AVX2+FMA kernel, 2 threads)"}, {Name: "<b>", Value: "a & b"}}
	require.NoError(t, WriteReport(dir, Report{Title: "Run <1> & co", Config: &cfg, Final: &final, Figures: figs, Environment: env}))

	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	doc := parseHTML(t, page)

	// Values are escaped: the config's script is text, not an element.
	require.Empty(t, findAll(doc, "script"), "no script without CheckImages")
	require.Contains(t, string(page), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
	require.Equal(t, "Run <1> & co", text(findAll(doc, "title")[0]))
	require.Equal(t, "Run <1> & co", text(findAll(doc, "h1")[0]))

	require.Equal(t, [][]string{
		{"model", "<script>alert('x')</script>"},
		{"lr", "0.0002"},
		{"Steps", "1000"},
		{"every", "1s"},
		{"Nested", "{A:1 B:2}"},
	}, tableRows(t, doc, "config"))

	require.Equal(t, [][]string{{"BLAS", "gogan (pure Go, AVX2+FMA kernel, 2 threads)"}, {"<b>", "a & b"}}, tableRows(t, doc, "environment"))

	final2 := tableRows(t, doc, "final")
	require.Equal(t, []string{"step", "1000", ""}, final2[0])
	require.Equal(t, []string{"D(x), real", "0.5000", "equilibrium 0.5"}, final2[3])
	require.Equal(t, []string{"V(D, G)", "-1.3863", "equilibrium −log 4 ≈ -1.3863"}, final2[5])

	// Every figure is referenced, relatively, in order, with its caption.
	var srcs, alts []string
	for _, img := range findAll(doc, "img") {
		srcs = append(srcs, attr(img, "src"))
		alts = append(alts, attr(img, "alt"))
	}
	require.Equal(t, []string{"./loss.png", "./d%20out.png", "./a:b.png", "./timeline.png"}, srcs)
	require.Equal(t, []string{"figure loss.png", "figure d out.png", "figure a:b.png", "figure timeline.png"}, alts)
	require.Len(t, findAll(doc, "figcaption"), 4)
	// Self-contained: nothing is fetched from elsewhere.
	for _, tag := range []string{"link", "iframe"} {
		require.Empty(t, findAll(doc, tag))
	}
	require.NotContains(t, string(page), "http")

	// With CheckImages the page carries its check script.
	require.NoError(t, WriteReport(dir, Report{Figures: figs[:1], CheckImages: true}))
	page, err = os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	doc = parseHTML(t, page)
	require.Len(t, findAll(doc, "script"), 1)
	require.Equal(t, "GAN run report", text(findAll(doc, "h1")[0]))
	require.Empty(t, findAll(doc, "table"))
}

func TestWriteReportConfigKinds(t *testing.T) {
	rows, err := configRows(map[string]any{"b": 2, "a": "x", "c": []int{1, 2}})
	require.NoError(t, err)
	require.Equal(t, []row{{Name: "a", Value: "x"}, {Name: "b", Value: "2"}, {Name: "c", Value: "[1 2]"}}, rows)
	rows, err = configRows(42)
	require.NoError(t, err)
	require.Equal(t, []row{{Name: "value", Value: "42"}}, rows)
	rows, err = configRows((*testConfig)(nil))
	require.NoError(t, err)
	require.Empty(t, rows)
}

func TestWriteReportErrors(t *testing.T) {
	dir := t.TempDir()
	figs := writeFigures(t, dir, "ok.png")
	for _, name := range []string{"", "..", "sub/ok.png", "../ok.png", "missing.png"} {
		err := WriteReport(dir, Report{Figures: append(figs, Figure{File: name})})
		require.ErrorContains(t, err, "monitor: report: figure 1", "%q", name)
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d.png"), 0o755))
	require.ErrorContains(t, WriteReport(dir, Report{Figures: []Figure{{File: "d.png"}}}), "not a regular file")
	require.ErrorContains(t, WriteReport(filepath.Join(dir, "ok.png"), Report{}), "not a directory")
	require.ErrorIs(t, WriteReport(filepath.Join(dir, "nope"), Report{}), os.ErrNotExist)
	_, err := os.Stat(filepath.Join(dir, ReportFile))
	require.ErrorIs(t, err, os.ErrNotExist, "a failed report writes nothing")

	names, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.False(t, slices.ContainsFunc(names, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), ".") }),
		"no temporary file is left behind")
}
