package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// The events of the live page, each with the run it belongs to.

// RunInfo is the "run" event: a run the page shows.
type RunInfo struct {
	Run    string       `json:"run"`
	Dir    string       `json:"dir"`
	Config train.Config `json:"config"`
}

// Progress is the "progress" event: the sampled training loss and where
// the run is. Steps and ETAS are 0 while unknown.
type Progress struct {
	Run   string  `json:"run"`
	Step  int     `json:"step"`
	Steps int     `json:"steps"`
	Epoch int     `json:"epoch"`
	Loss  float64 `json:"loss"`
	ETAS  float64 `json:"eta_s"`
	IPS   float64 `json:"images_per_s,omitempty"`
}

// EpochInfo is the "epoch" event: one line of metrics.jsonl.
type EpochInfo struct {
	Run string `json:"run"`
	train.Record
}

// SnapshotInfo is the "snapshot" event: the first layer's filters at a
// step, as a PNG data URL, with their Gabor score when fitted.
type SnapshotInfo struct {
	Run        string   `json:"run"`
	Step       int      `json:"step"`
	Epoch      int      `json:"epoch"`
	Layer      string   `json:"layer"`
	Filters    int      `json:"filters"`
	Image      string   `json:"image"`
	GaborScore *float64 `json:"gabor_score"`
	MeanR2     *float64 `json:"mean_r2,omitempty"`
}

// ActivationsInfo is the "activations" event: a fixed test image through
// every layer at a checkpoint, as a PNG data URL.
type ActivationsInfo struct {
	Run       string `json:"run"`
	Step      int    `json:"step"`
	Epoch     int    `json:"epoch"`
	Index     int    `json:"index"`
	Label     string `json:"label"`
	Predicted string `json:"predicted"`
	Image     string `json:"image"`
}

// DoneInfo is the "done" event: the run has finished (or stopped).
type DoneInfo struct {
	Run     string   `json:"run"`
	Epochs  int      `json:"epochs"`
	Steps   int      `json:"steps"`
	TestAcc *float64 `json:"test_acc"`
	Error   string   `json:"error,omitempty"`
}

// WatchOptions configure Watch.
type WatchOptions struct {
	Name     string        // the run's name on the page ("" : the folder's name)
	Interval time.Duration // between looks at the folder (0: 500 ms)
	// Steps publishes steps.jsonl and metrics.jsonl as progress, epoch and
	// done events (gabor serve). Off when the training loop in the same
	// process publishes them itself (ProgressFunc).
	Steps  bool
	Index  int    // the test image drawn through every layer
	Device string // backend of the activations' forward pass ("" : cpu)
	// MaxSnapshots is the most new snapshots drawn per look (0: 16): more
	// are thinned evenly, the newest always drawn; updates are dropped
	// rather than queued.
	MaxSnapshots int
	// Log, when set, receives what could not be drawn.
	Log io.Writer
	// Dataset, when set, is the run's data already in memory (gabor train
	// --serve): its test split is drawn from instead of loading it again.
	Dataset *data.Dataset
}

// maxLiveFit is the most filters fitted per snapshot on the live page.
const maxLiveFit = 64

// liveDPI is the PNG resolution of the live page's images.
const liveDPI = 96

// Watch publishes a run directory's state to h until ctx ends: the run
// (once its config exists), with o.Steps its sampled losses, epochs and
// end, each new snapshot's first-layer filters with their Gabor score, and
// a fixed test image's activations at each new checkpoint. The drawing
// happens here, on Watch's goroutine: a training loop in the same process
// only writes its files. The folder may not exist yet (a run publishes it
// after its first epoch).
func Watch(ctx context.Context, h *Hub, dir string, o WatchOptions) {
	w := &watcher{h: h, dir: dir, o: o, seen: map[int]bool{}, fails: map[int]int{}}
	if w.o.Name == "" {
		w.o.Name = filepath.Base(filepath.Clean(dir))
	}
	if w.o.Interval <= 0 {
		w.o.Interval = 500 * time.Millisecond
	}
	if w.o.MaxSnapshots <= 0 {
		w.o.MaxSnapshots = 16
	}
	if w.o.Device == "" {
		w.o.Device = "cpu"
	}
	w.act.ds = w.o.Dataset
	defer w.act.close()
	t := time.NewTicker(w.o.Interval)
	defer t.Stop()
	for {
		w.look()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type watcher struct {
	h   *Hub
	dir string
	o   WatchOptions

	cfg      *train.Config
	stepsOff int64
	epochs   int
	perEpoch int
	done     bool
	seen     map[int]bool // snapshot steps drawn (or skipped)
	fails    map[int]int  // snapshot steps that could not be read, and how often
	act      activationDrawer
	ckMod    time.Time
	rate     struct {
		t0    time.Time
		step0 int
	}
}

func (w *watcher) logf(format string, args ...any) {
	if w.o.Log != nil {
		fmt.Fprintf(w.o.Log, "live: %s: "+format+"\n", append([]any{w.o.Name}, args...)...)
	}
}

// look publishes what changed since the last look.
func (w *watcher) look() {
	if w.cfg == nil {
		cfg, err := train.ReadConfig(filepath.Join(w.dir, train.ConfigFile))
		if err != nil {
			return // not there yet
		}
		w.cfg = &cfg
		w.h.Publish("run", RunInfo{Run: w.o.Name, Dir: w.dir, Config: cfg})
	}
	recs, _ := runs.Metrics(w.dir)
	if len(recs) > 0 && recs[0].Epoch > 0 {
		w.perEpoch = recs[0].Step / recs[0].Epoch
	}
	if w.o.Steps {
		w.steps()
		for _, r := range recs[min(w.epochs, len(recs)):] {
			w.h.Publish("epoch", EpochInfo{Run: w.o.Name, Record: r})
		}
		if !w.done && len(recs) > 0 && len(recs) >= w.cfg.Epochs {
			w.done = true
			last := recs[len(recs)-1]
			var acc *float64
			for _, r := range recs {
				if r.TestAcc != nil {
					acc = r.TestAcc
				}
			}
			w.h.Publish("done", DoneInfo{Run: w.o.Name, Epochs: last.Epoch, Steps: last.Step, TestAcc: acc})
		}
	}
	w.epochs = len(recs)
	w.snapshots()
	w.activations()
}

// steps publishes the complete lines appended to steps.jsonl.
func (w *watcher) steps() {
	f, err := os.Open(filepath.Join(w.dir, runs.StepsFile))
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(w.stepsOff, io.SeekStart); err != nil {
		return
	}
	b, err := io.ReadAll(io.LimitReader(f, 8<<20))
	if err != nil {
		return
	}
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return
	}
	w.stepsOff += int64(end + 1)
	pts, err := runs.ParseSteps(b[:end+1], runs.StepsFile)
	if err != nil {
		w.logf("%v", err)
		return
	}
	now := time.Now()
	for _, p := range pts {
		ev := Progress{Run: w.o.Name, Step: p.Step, Epoch: p.Epoch, Loss: p.Loss}
		if w.perEpoch > 0 {
			ev.Steps = w.perEpoch * w.cfg.Epochs
		}
		if w.rate.t0.IsZero() {
			w.rate.t0, w.rate.step0 = now, p.Step
		} else if dt := now.Sub(w.rate.t0).Seconds(); dt > 0 && p.Step > w.rate.step0 && ev.Steps > 0 {
			ev.ETAS = float64(ev.Steps-p.Step) / (float64(p.Step-w.rate.step0) / dt)
		}
		w.h.Publish("progress", ev)
	}
}

// snapshots draws the snapshots not drawn yet (at most MaxSnapshots per
// look, thinned evenly, the newest kept).
func (w *watcher) snapshots() {
	ents, err := os.ReadDir(filepath.Join(w.dir, runs.SnapshotDir))
	if err != nil {
		return
	}
	var fresh []int
	for _, e := range ents {
		num, ok := strings.CutPrefix(e.Name(), "step-")
		num, ok2 := strings.CutSuffix(num, ".safetensors")
		step, err := strconv.Atoi(num)
		if ok && ok2 && err == nil && !w.seen[step] {
			fresh = append(fresh, step)
		}
	}
	slices.Sort(fresh)
	drawn := thinSteps(fresh, w.o.MaxSnapshots)
	for _, s := range fresh {
		w.seen[s] = !slices.Contains(drawn, s) // skipped: never drawn
	}
	for _, step := range drawn {
		p := filepath.Join(w.dir, runs.SnapshotDir, runs.SnapshotName(step))
		ev, err := SnapshotEvent(w.o.Name, p)
		if err != nil {
			// The folder can move under us (a run publishes its staging
			// folder after its first epoch): try again at the next look, a
			// few times.
			if w.fails[step]++; w.fails[step] >= 3 {
				w.seen[step] = true
				w.logf("snapshot %d: %v", step, err)
			}
			continue
		}
		w.seen[step] = true
		w.h.Publish("snapshot", ev)
	}
}

// thinSteps picks at most n of steps, evenly, the last always included.
func thinSteps(steps []int, n int) []int {
	if len(steps) <= n {
		return steps
	}
	out := make([]int, 0, n)
	for i := range n {
		out = append(out, steps[(len(steps)-1)*(i+1)/n])
	}
	return out
}

// SnapshotEvent draws a weights file's first-layer filters (and fits
// Gabor functions to them when they are at most 64 convolution filters).
func SnapshotEvent(run, path string) (SnapshotInfo, error) {
	wt, err := runs.ReadWeights(path)
	if err != nil {
		return SnapshotInfo{}, err
	}
	set, err := introspect.Filters(wt, "", introspect.ChannelsMean)
	if err != nil {
		return SnapshotInfo{}, err
	}
	cmap, _ := figure.ColormapByName(figure.CmapDiverging)
	fig, err := figure.Grid(set.Panels, figure.GridOptions{Cols: set.Cols, Cmap: cmap, Norm: figure.NormFilter, Signed: true})
	if err != nil {
		return SnapshotInfo{}, err
	}
	b, err := figure.Render(fig, "png", figure.Options{DPI: liveDPI})
	if err != nil {
		return SnapshotInfo{}, err
	}
	ev := SnapshotInfo{Run: run, Step: wt.Step, Epoch: wt.Epoch, Layer: set.Layer, Filters: set.Filters,
		Image: Image{Mime: "image/png", Data: b}.dataURL()}
	if set.Kind == introspect.KindConv && len(set.Panels) <= maxLiveFit {
		fits := liveFits(set)
		score, r2 := introspect.GaborScore(fits, introspect.DefaultR2Threshold), introspect.MeanR2Adj(fits)
		ev.GaborScore, ev.MeanR2 = &score, &r2
	}
	return ev, nil
}

// liveFits fits the filters one at a time on this goroutine (FitFilters
// would take every core from the training loop) with the deterministic
// starts only and fewer evaluations per start: about a fifth of the work of
// gabor filters' fit, whose score it approximates (the report has the full
// one).
func liveFits(set *introspect.FilterSet) []introspect.FilterFit {
	var fits []introspect.FilterFit
	for i := range set.Panels {
		one := *set
		one.Panels = set.Panels[i : i+1]
		fits = append(fits, introspect.FitFilters(&one, introspect.FitOptions{Seed: 1 + uint64(i), RandomStarts: -1, MaxEvals: 400})...)
	}
	return fits
}

// activations draws the fixed test image through every layer when the
// checkpoint changed.
func (w *watcher) activations() {
	ck := filepath.Join(w.dir, train.CheckpointFile)
	st, err := os.Stat(ck)
	if err != nil || !st.ModTime().After(w.ckMod) {
		return
	}
	w.ckMod = st.ModTime()
	ev, err := w.act.draw(w.o.Name, ck, w.o.Index, w.o.Device)
	if err != nil {
		w.logf("activations: %v", err)
		return
	}
	w.h.Publish("activations", ev)
}

// activationDrawer draws a test image through every layer of successive
// checkpoints, keeping the compiled forward program and the test set, so
// that a new checkpoint costs one forward pass and one figure.
type activationDrawer struct {
	fwd *introspect.Forward
	ds  *data.Dataset
}

func (a *activationDrawer) close() {
	if a.fwd != nil {
		a.fwd.Close()
	}
}

// draw draws test image index at the checkpoint ck (the figure of gabor
// activations).
func (a *activationDrawer) draw(run, ck string, index int, device string) (ActivationsInfo, error) {
	wt, err := runs.ReadWeights(ck)
	if err != nil {
		return ActivationsInfo{}, err
	}
	if a.fwd == nil {
		if a.ds == nil {
			if a.ds, err = introspect.TestSet(wt.Config); err != nil {
				return ActivationsInfo{}, err
			}
		}
		if a.fwd, err = introspect.NewForward(wt, introspect.ForwardOptions{Batch: 1, Device: device}); err != nil {
			return ActivationsInfo{}, err
		}
	} else if err := a.fwd.SetWeights(wt); err != nil {
		return ActivationsInfo{}, err
	}
	acts, err := introspect.ImageActivations(a.fwd, a.ds, index)
	if err != nil {
		return ActivationsInfo{}, err
	}
	label := int(a.ds.Test.Labels[index])
	pred := kernels.Argmax(acts[len(acts)-1].V)
	fig, err := introspect.ActivationFigure(acts, introspect.ActivationFigureOptions{ClassNames: a.ds.ClassNames})
	if err != nil {
		return ActivationsInfo{}, err
	}
	b, err := figure.Render(fig, "png", figure.Options{DPI: liveDPI})
	if err != nil {
		return ActivationsInfo{}, err
	}
	return ActivationsInfo{Run: run, Step: wt.Step, Epoch: wt.Epoch, Index: index, Label: className(a.ds.ClassNames, label),
		Predicted: className(a.ds.ClassNames, pred), Image: Image{Mime: "image/png", Data: b}.dataURL()}, nil
}

func className(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return strconv.Itoa(c)
}

// ProgressFunc returns a train.RunOptions.Progress handler that publishes
// the loop's progress and epoch events to h as the run named run, then
// calls next (when set). It runs on the training goroutine and only
// marshals a small struct and appends it.
func ProgressFunc(h *Hub, run string, next func(train.Event)) func(train.Event) {
	return func(ev train.Event) {
		switch e := ev.(type) {
		case *train.ProgressEvent:
			h.Publish("progress", Progress{Run: run, Step: e.Step, Steps: e.Steps, Epoch: e.Epoch, Loss: e.Loss, ETAS: e.ETAS, IPS: e.ImagesPerS})
		case *train.EpochEvent:
			h.Publish("epoch", EpochInfo{Run: run, Record: train.Record{EpochEvent: *e}})
		}
		if next != nil {
			next(ev)
		}
	}
}

// PublishDone publishes the end of a run trained in this process: its
// result, or the error that stopped it.
func PublishDone(h *Hub, run string, res *train.Result, err error) {
	d := DoneInfo{Run: run}
	if res != nil {
		d.Epochs = res.Epochs
		acc := res.TestAcc
		d.TestAcc = &acc
	}
	if err != nil {
		d.Error = err.Error()
	}
	h.Publish("done", d)
}
