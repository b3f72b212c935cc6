package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/train"
)

// DefaultDPI is the PNG resolution of the report's figures: sharp on a
// screen, a fraction of the size of the figure verbs' print resolution.
const DefaultDPI = 110

// Options configure Build.
type Options struct {
	// Output carries the format figures are inlined in (png or svg, the
	// first of Formats), DPI, width, title policy and provenance. Its Dir is
	// not used: each section renders into a scratch folder.
	Output figure.Output
	Device string // backend of the forward passes ("" : auto)
	// EmbedN is the number of test images of the embeddings (0: 1000).
	EmbedN int
	// Index is the test image drawn through every layer.
	Index int
	// Progress, when set, gets a line per section made.
	Progress io.Writer
	// Now stamps the report (nil: time.Now).
	Now func() time.Time
}

// Report is what Build gathered: one column per run.
type Report struct {
	Title   string
	Created time.Time
	Command string
	Version string
	Runs    []*Run
	Config  []ConfigRow // one row per config field, a value per run
	// Overlay is the curves of all runs in one figure (nil for one run).
	Overlay *Image
	// Sections are the section titles in order, by id.
	Sections []SectionInfo
}

// SectionInfo names a section of the report.
type SectionInfo struct{ ID, Title string }

// Run is one run directory's column.
type Run struct {
	Dir      string
	Name     string
	Config   train.Config
	Sections map[string]*Section
}

// Section is one run's part of a report section: its figures and notes, or
// why it is missing.
type Section struct {
	Images  []Image
	Notes   []string
	Missing string // non-empty: the section could not be made, and why
	// Make is the command that would make a missing figure, shown beside it.
	Make string
}

// Image is one inlined figure.
type Image struct {
	Caption string
	Mime    string
	Data    []byte
}

// Src is the image's src attribute: a data: URL. It is written as an
// attribute, not a URL, because html/template would escape every + of the
// base64 as &#43; (a quarter more bytes); base64 needs no escaping inside
// quotes.
func (im Image) Src() template.HTMLAttr {
	return template.HTMLAttr(`src="` + im.dataURL() + `"`)
}

func (im Image) dataURL() string {
	return "data:" + im.Mime + ";base64," + base64.StdEncoding.EncodeToString(im.Data)
}

// ConfigRow is one config field across the runs; Differs marks a field
// whose value is not the same in every run.
type ConfigRow struct {
	Key     string
	Values  []string
	Differs bool
}

// NotRunError says a path given as a run is not a run directory.
type NotRunError struct {
	Path string
	Err  error
}

func (e *NotRunError) Error() string {
	return fmt.Sprintf("report: %s is not a run directory (%v)", e.Path, e.Err)
}
func (e *NotRunError) Unwrap() error { return e.Err }

// Build reads the run directories and makes every section of the report.
// A path that is not a run directory (no readable config.json) is a
// *NotRunError; a section that cannot be made is recorded as missing.
func Build(dirs []string, o Options) (*Report, error) {
	if len(dirs) == 0 {
		return nil, errors.New("report: no run directory given")
	}
	if len(o.Output.Formats) == 0 {
		o.Output.Formats = []string{"png"}
	}
	switch o.Output.Formats[0] {
	case "png", "svg":
	default:
		return nil, fmt.Errorf("report: figures are inlined as png or svg, not %q", o.Output.Formats[0])
	}
	o.Output.Formats = o.Output.Formats[:1]
	if o.Output.DPI == 0 {
		o.Output.DPI = DefaultDPI
	}
	if o.EmbedN == 0 {
		o.EmbedN = 1000
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	r := &Report{Created: now().UTC(), Command: o.Output.Command, Version: o.Output.Version, Sections: sectionList()}
	for _, d := range dirs {
		cfg, err := train.ReadConfig(filepath.Join(d, train.ConfigFile))
		if err != nil {
			return nil, &NotRunError{d, err}
		}
		r.Runs = append(r.Runs, &Run{Dir: d, Name: filepath.Base(filepath.Clean(d)), Config: cfg, Sections: map[string]*Section{}})
	}
	r.Title = "gabor report: " + r.Runs[0].Name
	if len(r.Runs) > 1 {
		r.Title = fmt.Sprintf("gabor report: %d runs", len(r.Runs))
	}
	r.Config = configRows(r.Runs)
	scratch, err := os.MkdirTemp("", "gabor-report-")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(scratch)
	for i, run := range r.Runs {
		dir := filepath.Join(scratch, fmt.Sprint(i))
		for _, s := range sections {
			o.progressf("%s: %s", run.Name, s.Title)
			sec := s.make(run, dir, o)
			run.Sections[s.ID] = sec
		}
	}
	if len(r.Runs) > 1 {
		r.Overlay = overlayCurves(r.Runs, o)
	}
	return r, nil
}

func (o Options) progressf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// configRows flattens each run's config (its JSON form) into rows, one per
// field, sorted by name.
func configRows(runs []*Run) []ConfigRow {
	flat := make([]map[string]string, len(runs))
	keys := map[string]bool{}
	for i, r := range runs {
		flat[i] = map[string]string{}
		b, _ := json.Marshal(r.Config)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for k, v := range m {
			flat[i][k] = configValue(v)
			keys[k] = true
		}
	}
	var rows []ConfigRow
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		row := ConfigRow{Key: k}
		for i := range runs {
			v, ok := flat[i][k]
			if !ok {
				v = "—"
			}
			row.Values = append(row.Values, v)
			if v != row.Values[0] {
				row.Differs = true
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// configValue is a config field as text: strings as they are, lists
// joined with commas, anything else as JSON.
func configValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, e := range v {
			parts = append(parts, configValue(e))
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// WriteFile writes the report as dir/report.html (or report-2.html… beside
// an existing one, unless force) and returns the path.
func (r *Report) WriteFile(dir string, force bool) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		return "", err
	}
	p, err := figure.WriteSide(dir, "report.html", b.Bytes(), force)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return p, nil
}

// Write writes the report's HTML.
func (r *Report) Write(w io.Writer) error {
	css, err := assets.ReadFile("assets/report.css")
	if err != nil {
		return err
	}
	err = reportTmpl.Execute(w, struct {
		*Report
		CSS template.CSS
	}{r, template.CSS(css)})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

var reportTmpl = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"section": func(run *Run, id string) *Section { return run.Sections[id] },
}).ParseFS(assets, "assets/report.html"))

// readImages reads the files of a section's figures (in the order given)
// as images, with captions.
func readImages(files []string, caption func(string) string) ([]Image, error) {
	var out []Image
	for _, f := range files {
		mime := mimeOf(f)
		if mime == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return out, fmt.Errorf("report: %w", err)
		}
		out = append(out, Image{Caption: caption(f), Mime: mime, Data: b})
	}
	return out, nil
}

func mimeOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".gif":
		return "image/gif"
	}
	return ""
}

// globAll is the files under dir matching the patterns, sorted by name
// within each pattern, at most n in all.
func globAll(dir string, patterns []string, n int) []string {
	var out []string
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join(dir, p))
		sort.Strings(m)
		out = append(out, m...)
	}
	return out[:min(len(out), n)]
}
