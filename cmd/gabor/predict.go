package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/cobra"
)

type predictOptions struct {
	IO       *ioStreams
	Run      string   // a run directory or a checkpoint file
	Inputs   []string // image files, folders, .npy, .npz, .csv
	Top      int
	JSON     bool
	Explain  string // folder for the --explain figures ("" : none)
	Rule     string // gradient or guided
	Device   string
	Batch    int
	NoResize bool

	rule graph.Rule
}

// prediction is one image's answer; with --json, one line per image.
type prediction struct {
	Event string       `json:"event"` // "prediction"
	Input string       `json:"input"`
	Class int          `json:"class"`
	Name  string       `json:"name"`
	Prob  float64      `json:"prob"`
	Top   []classScore `json:"top"`
	// Label is the true class where the input says it (a class folder, y_test,
	// a CSV label); absent otherwise.
	Label     *int   `json:"label,omitempty"`
	LabelName string `json:"label_name,omitempty"`
	Explain   string `json:"explain,omitempty"` // the figure written by --explain
}

type classScore struct {
	Class int     `json:"class"`
	Name  string  `json:"name"`
	Prob  float64 `json:"prob"`
}

// predictSummary closes the --json output.
type predictSummary struct {
	Event    string   `json:"event"` // "summary"
	N        int      `json:"n"`
	Labeled  int      `json:"labeled"`
	Correct  int      `json:"correct"`
	Accuracy *float64 `json:"accuracy,omitempty"` // over the labeled images
	Model    string   `json:"model"`
	Weights  string   `json:"weights"`
	Device   string   `json:"device"`
}

func newCmdPredict(f *factory, runF func(*predictOptions) error) *cobra.Command {
	opts := &predictOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "predict RUN INPUT... [flags]",
		Short: "Classify images with a trained run: class, probability, top-k",
		Long: `Run a trained model (RUN: a run directory or its checkpoint file) on new images
and print, per image, the predicted class, its probability and the top-k classes.

INPUT is any mix of: image files (PNG, JPEG, GIF); a folder of images, whose
subfolders named after the run's classes give the true class (an image folder's
test/ split); an .npy of images; an .npz (x_test, with y_test as the true classes);
a CSV in the training layout (label first). Images are made 28×28 gray and
normalized exactly as the run's training data were (its config records how).

When the true class of some inputs is known, the accuracy over them is printed last:
on a run's own test images it is gabor eval's accuracy.

--explain DIR writes, per image, a figure of the input and the map of the predicted
class's score over the input pixels, by --rule: gradient (plain backprop: saliency)
or guided (guided backpropagation).`,
		Example: `  gabor predict runs/mlp-20260101-120000 digit.png
  gabor predict runs/lenet-20260101-120000 ./my-pngs/test --json
  gabor predict runs/lenet-20260101-120000 x_new.npy --top 3
  gabor predict runs/lenet-20260101-120000 a.png b.png --explain figs --rule guided`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("predict takes a run and at least one input (image, folder, .npy, .npz or .csv), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Run, opts.Inputs = args[0], args[1:]
			if opts.Top < 1 {
				return usagef("--top must be at least 1, got %d", opts.Top)
			}
			if opts.Batch < 1 {
				return usagef("--batch must be at least 1, got %d", opts.Batch)
			}
			if err := checkOneOf("rule", opts.Rule, "gradient", "guided"); err != nil {
				return err
			}
			opts.rule, _ = graph.ParseRule(opts.Rule)
			if opts.Device != "" {
				if err := checkDeviceName(opts.Device); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runPredict(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Top, "top", 3, "show the `K` most probable classes")
	fl.BoolVar(&opts.JSON, "json", false, "one JSON object per image, then a summary")
	fl.StringVar(&opts.Explain, "explain", "", "write a figure per image of the predicted class's map over the input to `DIR`")
	fl.StringVar(&opts.Rule, "rule", "guided", "--explain rule: gradient or guided")
	fl.StringVar(&opts.Device, "device", "", "device: auto, cpu, cuda (default auto)")
	fl.IntVar(&opts.Batch, "batch", 64, "images per run of the model")
	fl.BoolVar(&opts.NoResize, "no-resize", false, "refuse images that are not 28×28 instead of resizing them")
	return cmd
}

// predictWeights reads the weights of RUN: a checkpoint file, or a run directory's.
func predictWeights(run string) (*runs.Weights, error) {
	path := run
	if st, err := os.Stat(run); err == nil && st.IsDir() {
		path = filepath.Join(run, train.CheckpointFile)
	}
	w, err := runs.ReadWeights(path)
	if err != nil {
		return nil, &dataError{err}
	}
	return w, nil
}

// classNames names the model's outputs: the run's class names, else the catalog's,
// else the indices. A model with more outputs than the dataset has classes (the zoo's
// 10 for a 4-class set) names the others by index: they are scored all the same, as
// gabor eval scores them.
func classNames(cfg train.Config, outputs int) []string {
	var names []string
	if cfg.ClassNames != "" {
		names = strings.Split(cfg.ClassNames, "\n")
	} else if spec, err := data.Lookup(cfg.Dataset); err == nil {
		names = spec.ClassNames
	}
	names = names[:min(len(names), outputs)]
	for i := len(names); i < outputs; i++ {
		names = append(names, fmt.Sprintf("(output %d)", i))
	}
	return names
}

func runPredict(opts *predictOptions) error {
	if opts.Device != "" {
		if err := checkDeviceBuilt(opts.Device); err != nil {
			return err
		}
	}
	w, err := predictWeights(opts.Run)
	if err != nil {
		return err
	}
	f, err := introspect.NewForward(w, introspect.ForwardOptions{Batch: opts.Batch, Device: opts.Device})
	if err != nil {
		return err
	}
	defer f.Close()
	logits := f.Layers[len(f.Layers)-1]
	names := classNames(w.Config, introspect.LayerSize(logits))
	in, err := data.ReadInputs(opts.Inputs, names, data.SourceOptions{NoResize: opts.NoResize})
	if err != nil {
		return err
	}
	for _, n := range in.Notes {
		fmt.Fprintln(opts.IO.ErrOut, n)
	}
	idx := make([]int32, in.Set.N)
	for i := range idx {
		idx[i] = int32(i)
	}
	act, err := f.Run(in.Set, idx, []string{logits.Name})
	if err != nil {
		return err
	}
	preds := scorePredictions(in, act.By[logits.Name], names, opts.Top)
	if opts.Explain != "" {
		if err := explainPredictions(opts, w, logits.Name, in, preds); err != nil {
			return err
		}
	}
	sum := predictSummary{Event: "summary", N: in.Set.N, Labeled: in.Labeled(), Model: w.Config.Model, Weights: w.Path, Device: f.Backend}
	for _, p := range preds {
		if p.Label != nil && *p.Label == p.Class {
			sum.Correct++
		}
	}
	if sum.Labeled > 0 {
		acc := float64(sum.Correct) / float64(sum.Labeled)
		sum.Accuracy = &acc
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		for _, p := range preds {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return enc.Encode(sum)
	}
	return printPredictions(opts.IO, preds, sum)
}

// scorePredictions turns logits (N rows) into softmax probabilities and the top k.
func scorePredictions(in *data.Inputs, logits []float32, names []string, k int) []prediction {
	classes := len(names)
	k = min(k, classes)
	out := make([]prediction, in.Set.N)
	for i := range out {
		row := logits[i*classes : (i+1)*classes]
		probs := introspect.LogitProbs(row)
		order := make([]int, classes)
		for c := range order {
			order[c] = c
		}
		sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
		p := prediction{Event: "prediction", Input: in.Names[i], Class: order[0], Name: names[order[0]], Prob: probs[order[0]]}
		for _, c := range order[:k] {
			p.Top = append(p.Top, classScore{Class: c, Name: names[c], Prob: probs[c]})
		}
		if t := in.Truth[i]; t >= 0 {
			p.Label, p.LabelName = &t, names[t]
		}
		out[i] = p
	}
	return out
}

func printPredictions(io *ioStreams, preds []prediction, sum predictSummary) error {
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	labeled := sum.Labeled > 0
	head := "INPUT\tCLASS\tPROB\tTOP"
	if labeled {
		head += "\tTRUE"
	}
	fmt.Fprintln(tw, head)
	for _, p := range preds {
		var top []string
		for _, t := range p.Top {
			top = append(top, fmt.Sprintf("%s %.3f", t.Name, t.Prob))
		}
		line := fmt.Sprintf("%s\t%s\t%.4f\t%s", p.Input, p.Name, p.Prob, strings.Join(top, ", "))
		if labeled {
			truth := "-"
			if p.Label != nil {
				truth = p.LabelName
				if *p.Label != p.Class {
					truth += " (wrong)"
				}
			}
			line += "\t" + truth
		}
		fmt.Fprintln(tw, line)
		if p.Explain != "" {
			fmt.Fprintf(tw, "\t\t\t(explained in %s)\n", p.Explain)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if sum.Accuracy != nil {
		_, err := fmt.Fprintf(io.Out, "accuracy %.4f (%d of %d images with a known class)\n", *sum.Accuracy, sum.Correct, sum.Labeled)
		return err
	}
	return nil
}

// explainPredictions projects each image's predicted-class logit back to the input
// with the chosen rule (the introspection's projection program from the logits) and
// writes one figure per image.
func explainPredictions(opts *predictOptions, w *runs.Weights, logits string, in *data.Inputs, preds []prediction) error {
	p, err := introspect.NewProjector(w, logits, opts.rule, introspect.ProjectorOptions{
		ForwardOptions: introspect.ForwardOptions{Batch: opts.Batch, Device: opts.Device}, Flat: true, CheckpointStep: -1})
	if err != nil {
		return err
	}
	defer p.Close()
	inLen, classes := p.InputLen(), p.LayerLen()
	x := make([]float32, p.Batch*inLen)
	layer := make([]float32, p.Batch*classes)
	seed := make([]float32, p.Batch*classes)
	proj := make([]float32, p.Batch*inLen)
	for lo := 0; lo < in.Set.N; lo += p.Batch {
		n := min(p.Batch, in.Set.N-lo)
		idx := make([]int32, n)
		clear(seed)
		for i := range idx {
			idx[i] = int32(lo + i)
			seed[i*classes+preds[lo+i].Class] = 1
		}
		if err := p.Gather(in.Set, idx, x); err != nil {
			return err
		}
		if err := p.Forward(x, layer); err != nil {
			return err
		}
		if err := p.Back(seed, proj); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			k := lo + i
			base := filepath.Join(opts.Explain, fmt.Sprintf("explain-%04d-%s", k, fileStem(in.Names[k])))
			files, err := writeExplainFigure(base, in.Set.Image(k), proj[i*inLen:(i+1)*inLen], preds[k], opts.Rule)
			if err != nil {
				return err
			}
			preds[k].Explain = files[0]
		}
	}
	return nil
}

// writeExplainFigure is the one place --explain draws: the input (ink red on the
// neutral centre of the diverging map) next to the predicted class's map on its own
// zero-centred scale, through the figure system's grid and writers.
func writeExplainFigure(base string, img []uint8, m []float32, p prediction, rule string) ([]string, error) {
	px := make([]float32, len(img))
	for i, v := range img {
		px[i] = float32(v) / 255
	}
	side := data.InputSize
	fig, err := figure.Grid([]figure.Panel{
		{W: side, H: side, V: px, Label: "input", Scale: &figure.Scale{Lo: -1, Hi: 1}},
		{W: side, H: side, V: m, Label: rule + ": " + p.Name},
	}, figure.GridOptions{Cols: 2, Cell: 112, Signed: true, Labels: true,
		Title: fmt.Sprintf("%s: %s (p %.3f)", filepath.Base(p.Input), p.Name, p.Prob)})
	if err != nil {
		return nil, err
	}
	return figure.WriteFiles(filepath.Dir(base), filepath.Base(base), fig, figure.Output{Formats: []string{"png", "svg"}, Force: true})
}

// fileStem is a file-name-safe short form of an input's name.
func fileStem(name string) string {
	s := strings.TrimSuffix(filepath.Base(strings.Fields(name + " x")[0]), filepath.Ext(name))
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "image"
	}
	return b.String()
}
