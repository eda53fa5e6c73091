package training_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gogan/gogan/data"
	"github.com/gogan/gogan/monitor"
	"github.com/gogan/gogan/ops"
	"github.com/gogan/gogan/training"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// TestProgressNamesTheBLAS: the progress starts with one line naming the
// BLAS of the CPU's matrix products.
func TestProgressNamesTheBLAS(t *testing.T) {
	var log bytes.Buffer
	_, err := training.Loop{Steps: 2, Log: &log}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1),
		&training.Progress{Mode: monitor.ModePlain, Every: 1})
	require.NoError(t, err)
	first, _, _ := strings.Cut(log.String(), "\n")
	require.Equal(t, "BLAS: "+ops.BLAS(), first)
}

// TestReportNamesTheBLAS: report.html's environment table names the BLAS
// as the progress output's first line does.
func TestReportNamesTheBLAS(t *testing.T) {
	dir := t.TempDir()
	_, err := training.Loop{Steps: 2}.Run(context.Background(), newTrainer(t), data.NewLoader(&poisoned{}, 1),
		&training.Report{Dir: dir})
	require.NoError(t, err)
	page, err := os.ReadFile(filepath.Join(dir, monitor.ReportFile))
	require.NoError(t, err)
	doc, err := html.Parse(bytes.NewReader(page))
	require.NoError(t, err)
	var rows [][2]string
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode && n.Data == "table" {
			for _, a := range n.Attr {
				in = in || (a.Key == "id" && a.Val == "environment")
			}
		}
		if in && n.Type == html.ElementNode && n.Data == "tr" {
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.FirstChild != nil {
					cells = append(cells, c.FirstChild.Data)
				}
			}
			require.Len(t, cells, 2)
			rows = append(rows, [2]string{cells[0], cells[1]})
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, false)
	require.Equal(t, [][2]string{
		{"device", "cpu"},
		{"BLAS", ops.BLAS()},
		{"GOMAXPROCS", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"Go", runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH},
	}, rows)
}
