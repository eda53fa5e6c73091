package monitor

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gogan/gogan/atomicfile"
	"github.com/gogan/gogan/gan"
)

// ReportFile is the name of the page WriteReport writes.
const ReportFile = "report.html"

// Figure is one picture of a report.
type Figure struct {
	// File is the picture's file name inside the report's folder (no
	// directory part), e.g. "losses.png".
	File string
	// Caption is shown under the picture and used as its alt text.
	Caption string
}

// Report is the content of a run's report page.
type Report struct {
	// Title heads the page ("GAN run report" if empty).
	Title string
	// Config is the run's configuration, shown as a table of names and
	// values: a struct (or pointer to one) gives a row per exported field,
	// named by its json tag if it has one (fields tagged "-" are left
	// out); a map gives a row per key, sorted; anything else one row.
	// Values are formatted with fmt's %v (%+v for structs). Nil shows no
	// table.
	Config any
	// Final holds the final statistics, shown with their equilibrium
	// values; nil shows no table.
	Final *gan.Stats
	// Figures are shown in order, each by relative reference to its file.
	Figures []Figure
	// Warnings are shown first, highlighted (e.g. that the run diverged).
	Warnings []string
	// Environment describes where the run ran (e.g. the BLAS of the
	// matrix products, the Go version), shown as a table of names and
	// values after the configuration, in order; nil shows no table.
	Environment []Detail
	// CheckImages adds a small script that, once the page has loaded,
	// appends <div id="image-check" data-loaded="k" data-total="n"> to the
	// body: k of the page's n images decoded with a natural width above
	// zero. It is meant for tests driving a headless browser.
	CheckImages bool
}

// Detail is one named fact of Report.Environment.
type Detail struct {
	Name, Value string
}

// row is one line of a two-column table.
type row struct{ Name, Value, Note string }

// reportData is what the template renders.
type reportData struct {
	Title       string
	Config      []row
	Environment []Detail
	Final       []row
	Figures     []figureData
	Warnings    []string
	CheckImages bool
}

type figureData struct {
	Src     string // "./" + file: a relative path that cannot read as a URL scheme
	Caption string
}

// WriteReport writes ReportFile into dir: one self-contained HTML page
// (inline style, no external resources) with the run's configuration,
// its final statistics and its figures, which must be files in dir and
// are referenced by relative names, so that the folder can be moved or
// archived as a whole. All values are HTML-escaped (html/template). The
// page is written atomically. It is an error if dir is not a directory,
// a figure's file name has a directory part or the file is missing.
func WriteReport(dir string, r Report) error {
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("monitor: report: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("monitor: report: %s is not a directory", dir)
	}
	d := reportData{Title: cmp.Or(r.Title, "GAN run report"), Warnings: r.Warnings, Environment: r.Environment, CheckImages: r.CheckImages}
	var err error
	if d.Config, err = configRows(r.Config); err != nil {
		return fmt.Errorf("monitor: report: config: %w", err)
	}
	if r.Final != nil {
		d.Final = statsRows(*r.Final)
	}
	for i, f := range r.Figures {
		if err := checkFigureFile(dir, f.File); err != nil {
			return fmt.Errorf("monitor: report: figure %d: %w", i, err)
		}
		d.Figures = append(d.Figures, figureData{Src: "./" + f.File, Caption: f.Caption})
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("monitor: report: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ReportFile), buf.Bytes()); err != nil {
		return fmt.Errorf("monitor: report: %w", err)
	}
	return nil
}

// checkFigureFile checks that name is a plain file name of a regular file
// in dir.
func checkFigureFile(dir, name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("%q is not a file name inside the report's folder", name)
	}
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	return nil
}

// configRows turns a configuration into table rows (see Report.Config).
func configRows(cfg any) ([]row, error) {
	if cfg == nil {
		return nil, nil
	}
	v := reflect.ValueOf(cfg)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		var rows []row
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag, ok := f.Tag.Lookup("json"); ok {
				tn, _, _ := strings.Cut(tag, ",")
				if tn == "-" {
					continue
				}
				name = cmp.Or(tn, name)
			}
			rows = append(rows, row{Name: name, Value: formatValue(v.Field(i))})
		}
		return rows, nil
	case reflect.Map:
		rows := make([]row, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			rows = append(rows, row{Name: fmt.Sprint(it.Key().Interface()), Value: formatValue(it.Value())})
		}
		slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.Name, b.Name) })
		return rows, nil
	case reflect.Invalid:
		return nil, errors.New("invalid value")
	}
	return []row{{Name: "value", Value: formatValue(v)}}, nil
}

// formatValue formats one configuration value: %+v for structs, the JSON
// text for json.RawMessage, %v otherwise.
func formatValue(v reflect.Value) string {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if !v.CanInterface() {
		return fmt.Sprint(v)
	}
	x := v.Interface()
	switch x := x.(type) {
	case json.RawMessage:
		return string(x)
	case fmt.Stringer, error:
		return fmt.Sprint(x)
	}
	if v.Kind() == reflect.Struct || (v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct) {
		return fmt.Sprintf("%+v", x)
	}
	return fmt.Sprint(x)
}

// statsRows turns the final statistics into table rows: the step, those
// of gan.StatsFields with their equilibrium values and notes, and the
// step's update counts.
func statsRows(s gan.Stats) []row {
	rows := []row{{"step", strconv.Itoa(s.Step), ""}}
	for _, f := range gan.StatsFields {
		var notes []string
		if e := f.Equilibrium; e != nil {
			notes = append(notes, "equilibrium "+equilibriumText(*e))
		}
		if f.Note != "" {
			notes = append(notes, f.Note)
		}
		rows = append(rows, row{f.Heading(), strconv.FormatFloat(f.Get(s), 'f', 4, 64), strings.Join(notes, "; ")})
	}
	return append(rows, row{"D updates / G updates", fmt.Sprintf("%d / %d", s.DUpdates, s.GUpdates), ""})
}

// equilibriumText writes an equilibrium value: the number ("0.5"), or its
// exact text and the number to 4 decimals ("−log 4 ≈ -1.3863").
func equilibriumText(e gan.Equilibrium) string {
	if e.Text == "" {
		return strconv.FormatFloat(e.Value, 'g', -1, 64)
	}
	return e.Text + " ≈ " + strconv.FormatFloat(e.Value, 'f', 4, 64)
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 0.25em 1em 0.25em 0; border-bottom: 1px solid #eee; vertical-align: top; }
td.value { font-family: ui-monospace, monospace; }
td.note { color: #777; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; image-rendering: pixelated; }
figcaption { color: #555; margin-top: 0.3em; }
#warnings { background: #fff3cd; border: 1px solid #d9a400; padding: 0.2em 1em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{- if .Warnings}}
<div id="warnings">
<h2>Warnings</h2>
<ul>
{{- range .Warnings}}
<li>{{.}}</li>
{{- end}}
</ul>
</div>
{{- end}}
{{- if .Config}}
<h2>Configuration</h2>
<table id="config">
{{- range .Config}}
<tr><th>{{.Name}}</th><td class="value">{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Environment}}
<h2>Environment</h2>
<table id="environment">
{{- range .Environment}}
<tr><th>{{.Name}}</th><td class="value">{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Final}}
<h2>Final statistics</h2>
<table id="final">
{{- range .Final}}
<tr><th>{{.Name}}</th><td class="value">{{.Value}}</td><td class="note">{{.Note}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Figures}}
<h2>Pictures</h2>
{{- range .Figures}}
<figure>
<img src="{{.Src}}" alt="{{.Caption}}">
{{- if .Caption}}
<figcaption>{{.Caption}}</figcaption>
{{- end}}
</figure>
{{- end}}
{{- end}}
{{- if .CheckImages}}
<script>
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  }
  var d = document.createElement("div");
  d.id = "image-check";
  d.setAttribute("data-loaded", String(ok));
  d.setAttribute("data-total", String(imgs.length));
  d.textContent = "images loaded: " + ok + "/" + imgs.length;
  document.body.appendChild(d);
});
</script>
{{- end}}
</body>
</html>
`))
