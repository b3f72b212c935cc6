package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// These tests open the report and the live page in a real browser:
// Debian's chromium, headless, which scripts/setup-test.sh installs for
// make test. Without it they fail, unless GABOR_NO_BROWSER=1 says to leave
// them out on purpose.

// chromium finds the browser: $GABOR_CHROMIUM, else chromium on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GABOR_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("GABOR_NO_BROWSER") != "" {
		t.Skip("GABOR_NO_BROWSER is set: the browser tests are left out")
	}
	t.Fatal("no chromium found: run scripts/setup-test.sh (it installs Debian's chromium), set GABOR_CHROMIUM, or GABOR_NO_BROWSER=1 to leave the browser tests out")
	return ""
}

// page is a browser tab and what it reported: requests, console errors and
// uncaught exceptions.
type page struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	errors   []string
}

func newPage(t *testing.T) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1400, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, tcancel := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { tcancel(); cancel(); acancel() })
	p := &page{ctx: ctx}
	// The first Run starts the browser; the listener is set before any page.
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("starting %s: %v", chromium(t), err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			p.requests = append(p.requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value))
				}
				p.errors = append(p.errors, "console.error: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			p.errors = append(p.errors, "exception: "+msg)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				p.errors = append(p.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *page) seen() (requests, errors []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...), append([]string(nil), p.errors...)
}

func eval[T any](t *testing.T, p *page, js string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// The report opens from a file with the network off, every section is
// there, every image decodes, nothing is requested but the file and its
// data: URLs, and nothing is logged as an error.
func TestBrowserReport(t *testing.T) {
	r := sharedReport(t)
	path := fixture.path
	p := newPage(t)
	if _, err := chromedp.Call(p.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
		t.Fatalf("network off: %v", err)
	}
	if err := chromedp.Do(p.ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	ids := eval[[]string](t, p, `Array.from(document.querySelectorAll("section.report-section")).map(s => s.id)`)
	want := []string{"config"}
	for _, s := range r.Sections {
		want = append(want, s.ID)
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("sections in the page: %v, want %v", ids, want)
	}
	// Every image loaded and has pixels (an image that does not decode has
	// naturalWidth 0), and each run's column of each made section has one.
	imgs := eval[[]map[string]any](t, p, `Array.from(document.images).map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, src: i.src.slice(0, 22)}))`)
	if len(imgs) != 16 {
		t.Errorf("%d images in the page", len(imgs))
	}
	for i, im := range imgs {
		if im["ok"] != true || !strings.HasPrefix(im["src"].(string), "data:image/") {
			t.Errorf("image %d broken: %v", i, im)
		}
	}
	for _, id := range []string{"curves", "confusion", "filters", "activations", "embed", "deconv"} {
		n := eval[int](t, p, fmt.Sprintf(`document.querySelectorAll("#%s .run img").length`, id))
		want := 2 // a column per run
		if id == "deconv" {
			want = 1 // the MLP has no convolution
		}
		if n < want {
			t.Errorf("section %s shows %d images, want ≥ %d", id, n, want)
		}
	}
	missing := eval[int](t, p, `document.querySelectorAll("#regions .missing, #deconv .missing").length`)
	differs := eval[[]string](t, p, `Array.from(document.querySelectorAll("tr.differs td:first-child")).map(td => td.textContent)`)
	name := eval[string](t, p, `document.querySelectorAll("#curves .run h3")[1].textContent`)
	scripts := eval[int](t, p, `document.scripts.length`)
	if missing != 3 || !strings.Contains(strings.Join(differs, ","), "seed") || name != mlpName || scripts != 0 {
		t.Errorf("missing boxes %d (want 3), differing rows %v, second run %q (want %q), %d scripts", missing, differs, name, mlpName, scripts)
	}
	reqs, errs := p.seen()
	for _, u := range reqs {
		if !strings.HasPrefix(u, "data:") && u != "file://"+path {
			t.Errorf("request leaving the file: %.100s", u)
		}
	}
	for _, e := range errs {
		t.Errorf("browser: %s", e)
	}
}

// The live page of a run training in this process: the loss chart grows by
// several updates, the filter image changes, the page survives a dropped
// stream (reconnects with Last-Event-ID and is sent exactly what it
// missed) and the end of training, shows a hostile run name as text, and
// logs no error.
func TestBrowserLive(t *testing.T) {
	p := newPage(t)
	name := `<img src=x onerror="window.pwned=1">`
	dir := filepath.Join(t.TempDir(), "run")
	h := NewHub()
	s, err := Listen("", h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan struct{})
	go func() { s.Serve(ctx); close(served) }()
	defer func() { cancel(); <-served }()
	go Watch(ctx, h, dir, WatchOptions{Name: name, Interval: 50 * time.Millisecond})
	if err := chromedp.Do(p.ctx, chromedp.Navigate(s.URL())); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](`window.gaborLive && window.gaborLive.connects > 0`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the page did not connect: %v", err)
	}

	// Train 3 epochs of 20 steps, a progress event every 2 steps, a
	// snapshot every 10, each step held 15 ms so the updates come apart.
	cfg := train.DefaultConfig("lenet")
	cfg.Dataset, cfg.Epochs, cfg.Batch, cfg.Limit, cfg.TestLimit = data.SyntheticName, 3, 16, 320, 64
	cfg.Device, cfg.Out, cfg.Snapshot = "cpu", dir, "every=10steps"
	ds, err := data.Load(cfg.Dataset, "", data.LoadOptions{TrainLimit: 320, TestLimit: 64, SyntheticTrain: 320, SyntheticTest: 64})
	if err != nil {
		t.Fatal(err)
	}
	sw, err := runs.NewSnapshotWriter(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ropts := train.RunOptions{ProgressEvery: 2, Progress: ProgressFunc(h, name, nil),
		Hooks: append(sw.Hooks(), train.Hook{Every: 1, Fn: func(*train.Snapshot) error { time.Sleep(15 * time.Millisecond); return nil }})}
	trained := make(chan error, 1)
	go func() {
		res, err := train.Run(ctx, cfg, ds, ropts)
		if cerr := sw.Close(); err == nil {
			err = cerr
		}
		PublishDone(h, name, res, err)
		trained <- err
	}()
	js := func(expr string) string {
		return fmt.Sprintf(`(() => { const r = window.gaborLive.runs[%q]; return r ? (%s) : 0; })()`, name, expr)
	}
	// Watch the chart grow while the run trains.
	var points []int
	for len(points) < 200 {
		n := eval[int](t, p, js("r.loss.u.data[0].length"))
		if len(points) == 0 || n != points[len(points)-1] {
			points = append(points, n)
		}
		if n >= 10 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(points) < 3 {
		t.Errorf("the loss chart grew in %d updates (%v), want ≥ 3", len(points), points)
	}
	// Drop the stream mid-run: the page reconnects and catches up.
	s.Kick()
	if err := <-trained; err != nil {
		t.Fatal(err)
	}
	// Every snapshot written is drawn, then the page has caught up.
	snaps, _ := os.ReadDir(filepath.Join(dir, runs.SnapshotDir))
	lastID := 0
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		evs, _ := h.Since(0)
		lastID = evs[len(evs)-1].ID
		if eval[int](t, p, `window.gaborLive.lastId`) == lastID && eval[int](t, p, js("r.actSrc ? 1 : 0")) == 1 &&
			eval[int](t, p, js("r.filterSteps.length")) == len(snaps) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The watcher may still publish (a snapshot drawn late) while the page
	// is read: read the page and the hub again until they agree on the last
	// event, so what is compared is one moment of both.
	var got map[string]any
	var evs []Event
	for settle := time.Now().Add(10 * time.Second); ; {
		got = eval[map[string]any](t, p, fmt.Sprintf(`(() => { const l = window.gaborLive, r = l.runs[%q];
			return {events: l.events, lastId: l.lastId, connects: l.connects, loss: r.loss.u.data[0].length,
				snapshots: r.filterSteps.length, changes: r.filterChanges, act: !!r.actSrc, done: !!r.done,
				status: r.status.textContent, title: r.box.querySelector("h2").textContent,
				imgs: Array.from(r.box.querySelectorAll("img")).map(i => i.naturalWidth), pwned: !!window.pwned}; })()`, name))
		evs, _ = h.Since(0)
		lastID = evs[len(evs)-1].ID
		if int(got["lastId"].(float64)) == lastID || time.Now().After(settle) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	progress := 0
	for _, e := range evs {
		if e.Type == "progress" {
			progress++
		}
	}
	if got["connects"].(float64) < 2 || int(got["lastId"].(float64)) != lastID || int(got["events"].(float64)) != len(evs) {
		t.Errorf("after a dropped stream: %v connects, last id %v (hub %d), %v events applied (hub %d: none lost, none twice)",
			got["connects"], got["lastId"], lastID, got["events"], len(evs))
	}
	if int(got["loss"].(float64)) != progress || got["changes"].(float64) < 1 || int(got["snapshots"].(float64)) != len(snaps) || len(snaps) < 3 || got["act"] != true {
		t.Errorf("page state: %d loss points (hub %d progress events), %v snapshots (%d written), filter image changed %v times, activations %v",
			int(got["loss"].(float64)), progress, got["snapshots"], len(snaps), got["changes"], got["act"])
	}
	if got["done"] != true || !strings.Contains(got["status"].(string), "finished") {
		t.Errorf("the end of training: done %v, status %q", got["done"], got["status"])
	}
	for i, w := range got["imgs"].([]any) {
		if w.(float64) == 0 {
			t.Errorf("live image %d does not show", i)
		}
	}
	if got["title"] != name || got["pwned"] != false {
		t.Errorf("a run named %q: title %q, script ran %v", name, got["title"], got["pwned"])
	}
	reqs, errs := p.seen()
	for _, u := range reqs {
		if !strings.HasPrefix(u, s.URL()) && !strings.HasPrefix(u, "data:") {
			t.Errorf("request off the server: %.100s", u)
		}
	}
	for _, e := range errs {
		t.Errorf("browser: %s", e)
	}
}
