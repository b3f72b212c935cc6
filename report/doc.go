// Package report turns run directories into things to look at in a browser:
// a self-contained HTML report (Build, Write) and a live page served while a
// run trains (Hub, Serve, Watch).
//
// The report is one file: its CSS inline and every figure a data: URL (PNG
// or SVG from the figure package, the time-lapse as an animated GIF), so it
// opens offline from anywhere. Each figure comes from the introspect
// function the matching verb calls (gabor filters, activations, embed,
// deconv, curves, eval --confusion), rendered into a scratch folder and read
// back. A section that cannot be made (an MLP has no convolution to deconv,
// a run with no checkpoint has no confusion matrix) says why in its place;
// the rest of the report still renders. Several runs are laid side by side,
// one column each, with the configuration rows that differ highlighted.
//
// The live page is a small static page (embedded with go:embed, uPlot
// vendored beside its licence) fed by server-sent events from a Hub. The
// Hub keeps every event it published, numbered, so a browser that
// reconnects with Last-Event-ID gets what it missed; Publish never waits for
// a browser (each stream is a reader of the log, on its own goroutine).
// Events come from the training loop's progress events (cheap, on the
// training goroutine) and from a Watcher that polls the run directory for
// new epochs and snapshots and renders filters, the Gabor score and a fixed
// test image's activations on its own goroutine, never inside a step.
package report
