package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// trainRun trains model for epochs on 64 synthetic images into dir (with a
// snapshot every step when snapshots is set).
func trainRun(t testing.TB, dir, model string, epochs int, seed uint64, snapshots bool) string {
	t.Helper()
	cfg := train.DefaultConfig(model)
	cfg.Dataset, cfg.Epochs, cfg.Batch, cfg.Limit, cfg.TestLimit = data.SyntheticName, epochs, 32, 64, 64
	cfg.Device, cfg.Out, cfg.Seed, cfg.Snapshot = "cpu", dir, seed, "off"
	if snapshots {
		cfg.Snapshot = "every=1steps"
	}
	ds, err := data.Load(cfg.Dataset, "", data.LoadOptions{TrainLimit: 64, TestLimit: 64, SyntheticTrain: 64, SyntheticTest: 64})
	if err != nil {
		t.Fatal(err)
	}
	var ropts train.RunOptions
	var sw *runs.SnapshotWriter
	if snapshots {
		if sw, err = runs.NewSnapshotWriter(dir, cfg); err != nil {
			t.Fatal(err)
		}
		ropts.Hooks = sw.Hooks()
		if err := sw.TakeInitial(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := train.Run(context.Background(), cfg, ds, ropts); err != nil {
		t.Fatal(err)
	}
	if sw != nil {
		if err := sw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var imgSrc = regexp.MustCompile(`<img src="([^"]*)"`)

// checkImages decodes every inlined image of html and returns how many
// there are by MIME type.
func checkImages(t *testing.T, html string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, m := range imgSrc.FindAllStringSubmatch(html, -1) {
		mime, b64, ok := strings.Cut(strings.TrimPrefix(m[1], "data:"), ";base64,")
		if !ok || !strings.HasPrefix(m[1], "data:") {
			t.Errorf("image source %.60q is not a data: URL", m[1])
			continue
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Errorf("%s image: %v", mime, err)
			continue
		}
		switch mime {
		case "image/png":
			_, err = png.Decode(bytes.NewReader(b))
		case "image/gif":
			_, err = gif.DecodeAll(bytes.NewReader(b))
		case "image/svg+xml":
			if !bytes.Contains(b, []byte("<svg")) {
				err = errors.New("no <svg> element")
			}
		default:
			err = errors.New("unexpected type")
		}
		if err != nil {
			t.Errorf("%s image of %d bytes: %v", mime, len(b), err)
		}
		n[mime]++
	}
	return n
}

// fixture is the report every report test reads: a lenet run with
// snapshots beside an MLP run with none, named like HTML; built once.
var fixture struct {
	once   sync.Once
	dir    string
	lenet  string
	mlp    string
	r      *Report
	path   string
	failed error
}

const mlpName = "<script>alert(1)<"

func sharedReport(t *testing.T) *Report {
	t.Helper()
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "gabor-report-test-")
		if err != nil {
			fixture.failed = err
			return
		}
		fixture.dir = dir
		fixture.lenet = trainRun(t, filepath.Join(dir, "lenet-a"), "lenet", 2, 1, true)
		fixture.mlp = trainRun(t, filepath.Join(dir, mlpName), "mlp", 1, 2, false)
		if fixture.r, err = Build([]string{fixture.lenet, fixture.mlp}, Options{EmbedN: 100}); err != nil {
			fixture.failed = err
			return
		}
		fixture.path, fixture.failed = fixture.r.WriteFile(filepath.Join(dir, "out"), false)
	})
	if fixture.failed != nil || fixture.r == nil {
		t.Fatalf("building the shared report: %v", fixture.failed)
	}
	return fixture.r
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func TestReportSections(t *testing.T) {
	r := sharedReport(t)
	lenet := r.Runs[0]
	for _, s := range sections[:6] {
		sec := lenet.Sections[s.ID]
		if sec.Missing != "" || len(sec.Images) == 0 {
			t.Errorf("section %s: missing %q, %d images", s.ID, sec.Missing, len(sec.Images))
		}
	}
	if f := lenet.Sections["filters"]; len(f.Images) != 5 {
		t.Errorf("filters: %d images, want grid, fit, score curve, filmstrip and GIF", len(f.Images))
	}
	for _, e := range Extras {
		sec := lenet.Sections[e.ID]
		if sec.Missing == "" || !strings.Contains(sec.Make, lenet.Dir) {
			t.Errorf("extra %s of a run without it: missing %q, make %q", e.ID, sec.Missing, sec.Make)
		}
	}
	// The MLP: no convolution to project, no snapshots for a time-lapse,
	// 512 units drawn but not fitted.
	mlp := r.Runs[1].Sections
	if d := mlp["deconv"]; d.Missing == "" {
		t.Error("deconv of an MLP is not missing")
	}
	if f := mlp["filters"]; f.Missing != "" || !strings.Contains(strings.Join(f.Notes, " "), "no time-lapse") ||
		!strings.Contains(strings.Join(f.Notes, " "), "no Gabor fit") {
		t.Errorf("filters of an MLP without snapshots: missing %q, notes %q", f.Missing, f.Notes)
	}
	if r.Overlay == nil {
		t.Error("no overlaid curves of two runs")
	}
	differs := map[string]bool{}
	for _, row := range r.Config {
		differs[row.Key] = row.Differs
	}
	if !differs["seed"] || !differs["model"] || differs["batch"] {
		t.Errorf("config rows differ: seed %v, model %v, batch %v", differs["seed"], differs["model"], differs["batch"])
	}
}

func TestReportHTML(t *testing.T) {
	r := sharedReport(t)
	b, err := os.ReadFile(fixture.path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	n := checkImages(t, html)
	if n["image/png"] != 15 || n["image/gif"] != 1 { // lenet 9 + 1 GIF, the MLP 5, the overlay
		t.Errorf("images by type: %v", n)
	}
	// Nothing may leave the file: no URL with a scheme but data:, no script.
	for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	for _, s := range r.Sections {
		if !strings.Contains(html, `<section id="`+s.ID+`"`) {
			t.Errorf("no section %s", s.ID)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;") {
		t.Error("a run name holding HTML is not escaped")
	}
	if !strings.Contains(html, `class="differs"`) || !strings.Contains(html, "missing:") {
		t.Error("no highlighted config row, or no missing section shown")
	}
	// Written beside an existing report unless forced.
	dir := filepath.Dir(fixture.path)
	if p, err := r.WriteFile(dir, false); err != nil || filepath.Base(p) != "report-2.html" {
		t.Errorf("second WriteFile without force: %s, %v", p, err)
	}
	if p, err := r.WriteFile(dir, true); err != nil || p != fixture.path {
		t.Errorf("WriteFile with force: %s, %v", p, err)
	}
}

// An extra figure found in the run's figures/ folder is inlined, every
// match up to maxExtra.
func TestReportExtras(t *testing.T) {
	r := sharedReport(t)
	run := &Run{Dir: t.TempDir(), Name: "x"}
	fig := filepath.Join(run.Dir, "figures")
	if err := os.MkdirAll(fig, 0o755); err != nil {
		t.Fatal(err)
	}
	png := r.Runs[0].Sections["curves"].Images[0].Data
	for i := range maxExtra + 2 {
		if err := os.WriteFile(filepath.Join(fig, fmt.Sprintf("landscape-v%d-x.png", i)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(fig, "regions-lenet-step000002.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if sec := Extras[0].section(run, "", Options{}); sec.Missing != "" || len(sec.Images) != 1 {
		t.Errorf("regions figure on disk: missing %q, %d images", sec.Missing, len(sec.Images))
	}
	if sec := Extras[1].section(run, "", Options{}); len(sec.Images) != maxExtra || sec.Images[0].Caption != "landscape-v0-x.png" {
		t.Errorf("landscape figures on disk: %d images (want %d)", len(sec.Images), maxExtra)
	}
}

// --format svg inlines SVG.
func TestReportSVG(t *testing.T) {
	r := sharedReport(t)
	rc, err := introspect.ReadCurves(r.Runs[0].Dir)
	if err != nil {
		t.Fatal(err)
	}
	fig, err := introspect.CurvesFigure([]*introspect.RunCurves{rc}, introspect.CurvesOptions{X: "step"})
	if err != nil {
		t.Fatal(err)
	}
	im, err := render(fig, "curves", Options{Output: figureSVG()})
	if err != nil {
		t.Fatal(err)
	}
	html := `<img ` + string(im.Src()) + `>`
	if n := checkImages(t, html); n["image/svg+xml"] != 1 {
		t.Errorf("svg image: %v", n)
	}
}

// A path that is not a run directory is a NotRunError; a run that has a
// config but no finished epoch still renders, every section missing.
func TestReportBadInput(t *testing.T) {
	tmp := t.TempDir()
	_, err := Build([]string{tmp}, Options{})
	var nr *NotRunError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "not a run directory") {
		t.Errorf("empty folder: %v", err)
	}
	dir := filepath.Join(tmp, "fresh")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig("lenet")
	cfg.Dataset = data.SyntheticName
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, train.ConfigFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range r.Runs[0].Sections {
		if s.Missing == "" {
			t.Errorf("section %s of a run without checkpoint or metrics is not missing", id)
		}
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "missing:") {
		t.Error("the missing sections are not shown")
	}
}

func figureSVG() figure.Output { return figure.Output{Formats: []string{"svg"}} }
