package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/report"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/cobra"
)

// serveOptions are the parsed flags of `gabor serve`.
type serveOptions struct {
	IO     *ioStreams
	Runs   []string
	Addr   string
	Index  int
	Device string
}

func newCmdServe(f *factory, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "serve RUN_DIR [RUN_DIR…] [flags]",
		Short: "Serve a live page of one or more runs, updated as they train",
		Long: `Serve a page that shows runs as they train, and keeps showing them when they
have finished: the training loss, the test accuracy per epoch, the first layer's
filters and their Gabor score at each snapshot, a fixed test image through every
layer at each checkpoint, and the step, epoch and time left. The page updates
itself through server-sent events; a browser that reconnects is sent what it
missed. Everything it needs (its charts are uPlot, embedded in gabor) comes from
gabor itself: nothing is fetched from elsewhere.

The server listens on 127.0.0.1 on a free port unless --addr names another
(another interface only when named, e.g. 0.0.0.0:8080); the address is printed
on stderr. It is read-only: it answers GET only, serves its own embedded files
and the runs' state, and refuses requests whose Host is not its own address
when on the loopback interface. Ctrl-C stops it.

The page of a run trained in this process is 'gabor train --serve'.`,
		Example: `  gabor serve runs/lenet-20260101-120000
  gabor serve runs/lenet-s1 runs/lenet-s2 --addr 127.0.0.1:8080`,
		Args: runDirArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Runs = args
			if opts.Index < 0 {
				return usagef("--index must be 0 or more, got %d", opts.Index)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runServe(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", report.DefaultAddr, "listen on `HOST:PORT` (port 0: a free one)")
	fl.IntVar(&opts.Index, "index", 0, "the test image drawn through every layer")
	fl.StringVar(&opts.Device, "device", "cpu", "device of the activations' forward pass")
	return cmd
}

// checkRunDir makes a path that is not a run directory a data error.
func checkRunDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &dataError{fmt.Errorf("run directory %s does not exist (a run in its first epoch has none yet: serve it with gabor train --serve)", dir)}
	case err != nil:
		return &dataError{err}
	case !st.IsDir():
		return &dataError{fmt.Errorf("%s is a file, not a run directory", dir)}
	}
	if _, err := train.ReadConfig(filepath.Join(dir, train.ConfigFile)); err != nil {
		return &dataError{fmt.Errorf("%s is not a run directory: %w", dir, err)}
	}
	return nil
}

func runServe(ctx context.Context, o *serveOptions) error {
	for _, d := range o.Runs {
		if err := checkRunDir(d); err != nil {
			return err
		}
	}
	if err := checkDeviceBuilt(o.Device); err != nil {
		return err
	}
	h := report.NewHub()
	s, err := report.Listen(o.Addr, h)
	if err != nil {
		return err
	}
	names := runNames(o.Runs)
	for i, d := range o.Runs {
		go report.Watch(ctx, h, d, report.WatchOptions{Name: names[i], Steps: true, Index: o.Index, Device: o.Device, Log: o.IO.ErrOut})
	}
	fmt.Fprintf(o.IO.ErrOut, "gabor: live page of %d run(s) at %s (Ctrl-C to stop)\n", len(o.Runs), s.URL())
	return s.Serve(ctx)
}

// runNames are the runs' folder names, numbered where two are the same.
func runNames(dirs []string) []string {
	seen := map[string]int{}
	out := make([]string, len(dirs))
	for i, d := range dirs {
		n := filepath.Base(filepath.Clean(d))
		seen[n]++
		if seen[n] > 1 {
			n += " (" + strconv.Itoa(seen[n]) + ")"
		}
		out[i] = n
	}
	return out
}

// liveTrain is the live page of a run trained by gabor train --serve.
type liveTrain struct {
	hub  *report.Hub
	srv  *report.Server
	name string
	errc chan error
	io   *ioStreams
}

// startLive, with --serve, listens, starts the page and the run directory's
// watcher, and routes the loop's progress events to the page; without it
// it returns nil.
func startLive(ctx context.Context, o *trainOptions, runDir string, ds *data.Dataset, ropts *train.RunOptions) (*liveTrain, error) {
	if o.Serve == "" {
		return nil, nil
	}
	h := report.NewHub()
	s, err := report.Listen(o.Serve, h)
	if err != nil {
		return nil, err
	}
	l := &liveTrain{hub: h, srv: s, name: filepath.Base(filepath.Clean(runDir)), errc: make(chan error, 1), io: o.IO}
	ropts.Progress = report.ProgressFunc(h, l.name, ropts.Progress)
	go func() { l.errc <- s.Serve(ctx) }()
	go report.Watch(ctx, h, runDir, report.WatchOptions{Name: l.name, Device: "cpu", Log: o.IO.ErrOut, Dataset: ds})
	fmt.Fprintf(o.IO.ErrOut, "gabor: live page at %s\n", s.URL())
	return l, nil
}

// wait publishes the end of the run and, when it ended well, keeps the page
// up until Ctrl-C (then exit 0). A run that failed or was interrupted
// returns its error at once, so scripts see it.
func (l *liveTrain) wait(ctx context.Context, res *train.Result, err error) error {
	if l == nil {
		return err
	}
	report.PublishDone(l.hub, l.name, res, err)
	if err != nil || ctx.Err() != nil {
		return err
	}
	fmt.Fprintf(l.io.ErrOut, "gabor: the live page stays at %s until Ctrl-C\n", l.srv.URL())
	return <-l.errc
}
