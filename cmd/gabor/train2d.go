package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/pflag"
)

// The 2-D flags of `gabor train`: --hidden, --act, --points, --n-points. A
// run on a 2-D toy set (--dataset moons|circles|spirals|xor|blobs) or on a
// points CSV trains mlp2d through train.Fit; train.go only registers the
// flags and hands such runs here.

// twoDFlags are the values of the 2-D flags.
type twoDFlags struct {
	hidden  string
	act     string
	points  string
	nPoints int
	noise   float64

	opts models.MLP2DOptions // parsed by validate
}

// addTrain2DFlags registers the 2-D flags on the train command.
func addTrain2DFlags(fl *pflag.FlagSet, t *twoDFlags) {
	fl.StringVar(&t.hidden, "hidden", "8,8", "mlp2d hidden widths `W1,W2,…`")
	fl.StringVar(&t.act, "act", models.ActReLU, "mlp2d activation: "+strings.Join(models.MLP2DActs(), ", ")+
		fmt.Sprintf(" (step trains as a sigmoid made %g× steeper after every epoch, up to %g×, and is drawn as a true step)", models.StepGrowth, models.StepMax))
	fl.StringVar(&t.points, "points", "", "train mlp2d on the points of `FILE.csv` (x,y,label with a header)")
	fl.IntVar(&t.nPoints, "n-points", 1000, "points drawn from a 2-D toy set for training (and as many, another draw, for testing)")
	fl.Float64Var(&t.noise, "noise", -1, "noise of a 2-D toy set (its standard deviation; default: the set's own: moons 0.1, circles 0.06, xor 0.1, spirals 0.05, blobs 0.2)")
}

// on says whether the run is a 2-D one: mlp2d, a 2-D toy set or --points.
func (t *twoDFlags) on(c *train.Config) bool {
	return c.Model == "mlp2d" || t.points != "" || slices.Contains(data.Toy2DNames(), strings.ToLower(c.Dataset))
}

// validate checks the 2-D flags (usage errors).
func (t *twoDFlags) validate(o *trainOptions) error {
	c := &o.Config
	if o.Set["model"] && c.Model != "mlp2d" {
		return usagef("--model %s takes images; 2-D points (--dataset %s, --points) train --model mlp2d", c.Model, c.Dataset)
	}
	c.Model = "mlp2d"
	if t.points != "" && c.Dataset != "" {
		return usagef("--points and --dataset cannot be combined")
	}
	if c.Dataset != "" && !slices.Contains(data.Toy2DNames(), strings.ToLower(c.Dataset)) {
		return usagef("mlp2d trains on 2-D points: --dataset %s (known: %s) or --points FILE.csv", c.Dataset, strings.Join(data.Toy2DNames(), ", "))
	}
	for _, f := range []string{"data", "limit", "test-limit", "conv1", "init-from", "normalize"} {
		if o.Set[f] {
			return usagef("--%s does not apply to 2-D points", f)
		}
	}
	hidden, err := parseWidths(t.hidden)
	if err != nil {
		return err
	}
	t.opts = models.MLP2DOptions{Hidden: hidden, Act: strings.ToLower(t.act)}
	if !slices.Contains(models.MLP2DActs(), t.opts.Act) {
		return usagef("--act must be one of %s, got %q", strings.Join(models.MLP2DActs(), ", "), t.act)
	}
	if t.noise != -1 && !(t.noise >= 0 && t.noise <= 10) {
		return usagef("--noise must be from 0 to 10, got %g", t.noise)
	}
	if t.noise != -1 && t.points != "" {
		return usagef("--noise applies to the generated sets, not to --points")
	}
	if t.nPoints < 2 || t.nPoints > 1<<22 {
		return usagef("--n-points must be from 2 to %d, got %d", 1<<22, t.nPoints)
	}
	if _, err := models.MLP2D(1, 1, t.opts); err != nil {
		return &usageError{err}
	}
	cfg := o.config()
	cfg.Dataset, cfg.ModelFile = "", train.ModelFile // the points and the model are passed to Fit
	if err := cfg.Validate(); err != nil {
		return &usageError{err}
	}
	return nil
}

// parseWidths reads --hidden 10,3.
func parseWidths(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || w < 1 || w > 4096 {
			return nil, usagef("--hidden must be widths from 1 to 4096 separated by commas (10,3), got %q", s)
		}
		out = append(out, w)
	}
	if len(out) > 16 {
		return nil, usagef("--hidden: %d layers (at most 16)", len(out))
	}
	return out, nil
}

// points2D are the training and test points of a 2-D run.
func (t *twoDFlags) load(cfg train.Config) (train2, test2 *data.Points, err error) {
	if t.points != "" {
		p, err := data.ReadPointsCSV(t.points)
		if err != nil {
			return nil, nil, err
		}
		return p, p, nil
	}
	name := strings.ToLower(cfg.Dataset)
	if name == "" {
		name = "moons"
	}
	if train2, err = t.toy(name, cfg.Seed); err != nil {
		return nil, nil, &usageError{err}
	}
	test2, err = t.toy(name, cfg.Seed+1_000_003)
	return train2, test2, err
}

// toy draws a 2-D toy set, with --noise when given.
func (t *twoDFlags) toy(name string, seed uint64) (*data.Points, error) {
	if t.noise < 0 {
		return data.Toy2D(name, seed, t.nPoints)
	}
	switch name {
	case "moons":
		return data.TwoMoons(seed, t.nPoints, t.noise), nil
	case "circles":
		return data.Circles(seed, t.nPoints, t.noise, 0.5), nil
	case "xor":
		return data.XOR(seed, t.nPoints, t.noise), nil
	case "spirals":
		return data.Spirals(seed, t.nPoints, 2, t.noise), nil
	case "blobs":
		return data.Blobs(seed, t.nPoints, 3, t.noise), nil
	}
	return data.Toy2D(name, seed, t.nPoints)
}

// runTrain2D trains mlp2d on 2-D points: the model built here (train.Fit
// records it in the run directory), the points written beside it.
func runTrain2D(ctx context.Context, o *trainOptions) error {
	cfg := o.config()
	t := &o.TwoD
	trainPts, testPts, err := t.load(cfg)
	if err != nil {
		return err
	}
	t.opts.Classes = max(trainPts.Classes, testPts.Classes, 2)
	if cfg.Batch > trainPts.N {
		return usagef("--batch %d is more than the %d training points", cfg.Batch, trainPts.N)
	}
	ds := data.PointsDataset(trainPts, testPts)
	cfg.Dataset = ""
	if cfg.Out == "" {
		cfg.Out = filepath.Join("runs", "mlp2d-"+trainPts.Name+"-"+o.Now().Format("20060102-150405"))
	}
	if err := checkDeviceBuilt(cfg.Device); err != nil {
		return err
	}
	m, err := models.MLP2D(cfg.Batch, cfg.Seed, t.opts)
	if err != nil {
		return &usageError{err}
	}
	rep := newTrainReporter(o.IO, o.JSON, cfg.Epochs, o.Now)
	widths := []string{"2"}
	for _, w := range append(append([]int(nil), t.opts.Hidden...), t.opts.Classes) {
		widths = append(widths, strconv.Itoa(w))
	}
	rep.notice("dataset: %s, %d training points, %d test points, %d classes; model mlp2d %s %s",
		trainPts.Name, trainPts.N, testPts.N, t.opts.Classes, strings.Join(widths, "-"), t.opts.Act)
	ropts := train.RunOptions{Progress: logSteps(cfg.Out, rep.handle), Log: reporterLog{rep}, Version: currentVersion().Version, DivergeFactor: o.divergeFactor(), Dataset: ds}
	// The snapshots record the config; with the model file named they
	// rebuild the model from the run's record, not from the zoo's default,
	// and step 0 is the initial weights the record keeps.
	cfg.ModelFile = train.ModelFile
	snaps, err := snapshotHooks(&ropts, cfg.Out, cfg, true) // train_snapshot.go
	if err != nil {
		return err
	}
	// Steepen after the epoch's checkpoint and snapshot, so both hold the
	// weights the epoch trained with.
	if layers := models.StepLayers(t.opts); layers != nil {
		ropts.Hooks = append(ropts.Hooks, train.Hook{AtEpochEnd: true, Fn: func(s *train.Snapshot) error {
			_, err := models.SteepenStepLayers(s.Program, s.Exec, layers, models.StepSteepness(s.Epoch)/models.StepSteepness(s.Epoch-1))
			return err
		}})
	}
	res, err := train.Fit(ctx, cfg, m, ds, ropts)
	if err = closeSnapshots(snaps, err); err != nil {
		return err
	}
	if err := writePointsCSV(filepath.Join(cfg.Out, PointsFile), trainPts); err != nil {
		return err
	}
	return rep.finish(res)
}

// writePointsCSV writes points as x,y,label.
func writePointsCSV(path string, p *data.Points) error {
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i := 0; i < p.N; i++ {
		fmt.Fprintf(&b, "%s,%s,%d\n", strconv.FormatFloat(float64(p.X[2*i]), 'g', -1, 32), strconv.FormatFloat(float64(p.X[2*i+1]), 'g', -1, 32), p.Labels[i])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing the training points: %w", err)
	}
	return nil
}

// evalPoints is the dataset `gabor eval` scores a 2-D run on: the points of
// --points, else the run's own points.csv when it trained on points (no
// named dataset); nil otherwise (the run's dataset is loaded as usual).
func evalPoints(cfg train.Config, checkpoint, points string) (*data.Dataset, error) {
	if points == "" {
		own := filepath.Join(train.RunDirOf(checkpoint), PointsFile)
		if _, err := os.Stat(own); cfg.Dataset != "" || err != nil {
			return nil, nil
		}
		points = own
	}
	p, err := data.ReadPointsCSV(points)
	if err != nil {
		return nil, err
	}
	return data.PointsDataset(p, p), nil
}
