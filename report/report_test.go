package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
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
	var sw *introspect.SnapshotWriter
	if snapshots {
		if sw, err = introspect.NewSnapshotWriter(dir, cfg); err != nil {
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

func TestReportOneRun(t *testing.T) {
	dir := trainRun(t, filepath.Join(t.TempDir(), "lenet-a"), "lenet", 2, 1, true)
	r, err := Build([]string{dir}, Options{EmbedN: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sections[:6] {
		sec := r.Runs[0].Sections[s.ID]
		if sec.Missing != "" || len(sec.Images) == 0 {
			t.Errorf("section %s: missing %q, %d images", s.ID, sec.Missing, len(sec.Images))
		}
	}
	if f := r.Runs[0].Sections["filters"]; len(f.Images) != 5 {
		t.Errorf("filters: %d images, want grid, fit, score curve, filmstrip and GIF", len(f.Images))
	}
	for _, e := range Extras {
		sec := r.Runs[0].Sections[e.ID]
		if sec.Missing == "" || !strings.Contains(sec.Make, dir) {
			t.Errorf("extra %s of a run without it: missing %q, make %q", e.ID, sec.Missing, sec.Make)
		}
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	n := checkImages(t, html)
	if n["image/png"] < 9 || n["image/gif"] != 1 {
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

	// An extra figure found in the run's figures/ folder is inlined.
	fig := filepath.Join(dir, "figures")
	if err := os.MkdirAll(fig, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fig, "regions-x.png"), r.Runs[0].Sections["curves"].Images[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if sec := Extras[0].section(r.Runs[0], "", Options{}); sec.Missing != "" || len(sec.Images) != 1 {
		t.Errorf("regions figure on disk: missing %q, %d images", sec.Missing, len(sec.Images))
	}
	p, err := r.WriteFile(fig, false)
	if err != nil || filepath.Base(p) != "report.html" {
		t.Fatalf("WriteFile: %s, %v", p, err)
	}
	if p, err = r.WriteFile(fig, false); err != nil || filepath.Base(p) != "report-2.html" {
		t.Errorf("second WriteFile without force: %s, %v", p, err)
	}
}

// Two runs side by side, one of them an MLP with neither snapshots nor a
// convolution, and a name that is HTML: the sections it cannot have are
// missing with their reason, its name is escaped, and the config rows that
// differ are marked.
func TestReportSideBySide(t *testing.T) {
	tmp := t.TempDir()
	a := trainRun(t, filepath.Join(tmp, "lenet-a"), "lenet", 1, 1, true)
	b := trainRun(t, filepath.Join(tmp, "<script>alert(1)<"), "mlp", 1, 2, false)
	r, err := Build([]string{a, b}, Options{EmbedN: 100, Output: figureSVG()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Overlay == nil {
		t.Error("no overlaid curves of two runs")
	}
	mlp := r.Runs[1].Sections
	if d := mlp["deconv"]; d.Missing == "" {
		t.Error("deconv of an MLP is not missing")
	}
	if f := mlp["filters"]; f.Missing != "" || !strings.Contains(strings.Join(f.Notes, " "), "no time-lapse") {
		t.Errorf("filters of an MLP without snapshots: missing %q, notes %q", f.Missing, f.Notes)
	}
	differs := map[string]bool{}
	for _, row := range r.Config {
		differs[row.Key] = row.Differs
	}
	if !differs["seed"] || !differs["model"] || differs["batch"] {
		t.Errorf("config rows differ: seed %v, model %v, batch %v", differs["seed"], differs["model"], differs["batch"])
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;") {
		t.Error("a run name holding HTML is not escaped")
	}
	if n := checkImages(t, html); n["image/svg+xml"] < 5 {
		t.Errorf("images by type with --format svg: %v", n)
	}
	if !strings.Contains(html, `class="differs"`) {
		t.Error("no highlighted config row")
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
