package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gaborlab/gabor/train"
)

// trainReporter turns the training loop's events into the command's three outputs:
// JSON lines on Out (with --json: the epoch events and the final done event, the
// contract documented in the README), and on ErrOut either a bar redrawn in place
// (a terminal) or plain lines every plainEvery (a pipe or a file, as in CI logs).
type trainReporter struct {
	io         *ioStreams
	enc        *json.Encoder // nil without --json
	now        func() time.Time
	epochs     int
	lastDraw   time.Time
	barShown   bool
	plainEvery time.Duration
	err        error // the first error writing JSON, returned by finish
}

func newTrainReporter(io *ioStreams, jsonOut bool, epochs int, now func() time.Time) *trainReporter {
	r := &trainReporter{io: io, now: now, epochs: epochs, plainEvery: 10 * time.Second}
	if jsonOut {
		r.enc = json.NewEncoder(io.Out)
	}
	return r
}

// handle takes one event of the training loop (train.RunOptions.Progress).
func (r *trainReporter) handle(ev train.Event) {
	var err error
	switch e := ev.(type) {
	case *train.ProgressEvent:
		r.progress(e)
	case *train.EpochEvent:
		err = r.epoch(e)
	}
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("writing the JSON output: %w", err)
	}
}

// finish reports the result of a run that completed, and the first output error.
func (r *trainReporter) finish(res *train.Result) error {
	if err := r.done(res); err != nil && r.err == nil {
		r.err = fmt.Errorf("writing the JSON output: %w", err)
	}
	return r.err
}

// notice prints a line on ErrOut, clearing the bar first if one is drawn.
func (r *trainReporter) notice(format string, args ...any) {
	r.clearBar()
	fmt.Fprintf(r.io.ErrOut, format+"\n", args...)
}

func (r *trainReporter) progress(e *train.ProgressEvent) {
	t := r.now()
	if r.io.ErrTTY {
		// Redraw at most 10 times a second, and always at the end of an epoch.
		if e.EpochStep < e.EpochSteps && t.Sub(r.lastDraw) < 100*time.Millisecond {
			return
		}
		r.lastDraw = t
		fmt.Fprintf(r.io.ErrOut, "\r%s\x1b[K", progressLine(e, r.epochs, true))
		r.barShown = true
		return
	}
	if r.lastDraw.IsZero() {
		r.lastDraw = t // the first plain line comes plainEvery after the start
		return
	}
	if t.Sub(r.lastDraw) >= r.plainEvery && e.EpochStep < e.EpochSteps {
		r.lastDraw = t
		fmt.Fprintln(r.io.ErrOut, progressLine(e, r.epochs, false))
	}
}

func (r *trainReporter) clearBar() {
	if r.barShown {
		fmt.Fprint(r.io.ErrOut, "\r\x1b[K")
		r.barShown = false
	}
}

func (r *trainReporter) epoch(e *train.EpochEvent) error {
	acc := "-"
	if e.TestAcc != nil {
		acc = fmt.Sprintf("%.4f", *e.TestAcc)
	}
	r.notice("epoch %d/%d  train loss %.4f  test acc %s  %.2f s  %s img/s",
		e.Epoch, r.epochs, e.TrainLoss, acc, e.EpochS, humanRate(e.ImagesPerS))
	if r.enc == nil {
		return nil
	}
	return r.enc.Encode(e)
}

func (r *trainReporter) done(res *train.Result) error {
	r.notice("done: %s on %s (%s), %d epochs, test acc %.4f, run dir %s",
		res.Model, res.Dataset, res.Device, res.Epochs, res.TestAcc, res.RunDir)
	if r.enc == nil {
		return nil
	}
	return r.enc.Encode(res)
}

// progressLine is one line of progress: with a bar on a terminal, text otherwise.
func progressLine(e *train.ProgressEvent, epochs int, bar bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d/%d ", e.Epoch, epochs)
	if bar {
		const width = 24
		filled := 0
		if e.EpochSteps > 0 {
			filled = min(width, width*e.EpochStep/e.EpochSteps)
		}
		b.WriteString("[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] ")
	} else {
		b.WriteString("step ")
	}
	fmt.Fprintf(&b, "%d/%d  loss %.4f  %s img/s", e.EpochStep, e.EpochSteps, e.Loss, humanRate(e.ImagesPerS))
	if e.ETAS > 0 {
		fmt.Fprintf(&b, "  ETA %s", formatDuration(time.Duration(e.ETAS*float64(time.Second))))
	}
	return b.String()
}

// formatDuration prints m:ss, or h:mm:ss from an hour on.
func formatDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// humanRate prints a rate with large values shortened: 950, 12.3k, 1.25M.
func humanRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
