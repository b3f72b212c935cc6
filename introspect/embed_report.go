package introspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/runs"
	"gonum.org/v1/gonum/mat"
)

// EmbedOptions are the settings of RenderEmbeddings (the flags of `gabor
// embed`).
type EmbedOptions struct {
	Layer string // a layer name, or "" / "all" for every layer
	N     int    // test images sampled (0: 2000; at most the test set)
	Seed  uint64 // seeds the sample and the randomized PCA
	// Output is formats, DPI, width, title, folder ("" : <run dir or
	// checkpoint's folder>/figures) and overwrite policy of the figures.
	Output figure.Output
	Device string // backend ("" : auto)
	// MaxFrames caps the frames of the training sequence, chosen evenly over
	// the snapshots, first and last always kept (0: 12; < 0: no sequence).
	// Each frame costs a forward pass over the sample and a PCA per layer.
	MaxFrames int
	Delay     int // GIF delay per frame in hundredths of a second (0: 60)
	// Progress, when set, receives a line per snapshot processed.
	Progress io.Writer
}

// EmbedLayerResult is what was made for one layer.
type EmbedLayerResult struct {
	Layer string `json:"layer"`
	Dims  int    `json:"dims"`
	// Explained is the fraction of the variance on PC1 and PC2.
	Explained []float64 `json:"explained_variance_ratio"`
	// Frames is the number of training steps in the aligned sequence (0
	// when the snapshots cannot compute this layer).
	Frames int      `json:"frames"`
	Files  []string `json:"files"`
}

// EmbedResult is the --json output of RenderEmbeddings.
type EmbedResult struct {
	Model   string             `json:"model"`
	Dataset string             `json:"dataset"`
	Source  string             `json:"source"`
	Step    int                `json:"step"`
	Epoch   int                `json:"epoch"`
	Device  string             `json:"device"`
	N       int                `json:"n"`
	Seed    uint64             `json:"seed"`
	Steps   []int              `json:"frame_steps,omitempty"`
	Layers  []EmbedLayerResult `json:"layers"`
	Files   []string           `json:"files"`
}

// RenderEmbeddings projects the activations of a seeded sample of test
// images on their first two principal axes, for one layer or all, and
// writes per layer a scatter plot coloured by class and the coordinates as
// CSV (index,label,pc1,pc2), plus an overview of all layers. Given a run
// directory with snapshots, it also computes the projection at every
// snapshot (for the layers the snapshot's weights determine), aligns the
// frames by Procrustes so the sequence does not jump, and writes them as
// PNGs, a CSV and an animated GIF.
func RenderEmbeddings(path string, o EmbedOptions) (*EmbedResult, error) {
	if len(o.Output.Formats) == 0 {
		o.Output.Formats = []string{"png"}
	}
	o.N = cmpOr(o.N, 2000)
	o.Delay = cmpOr(o.Delay, 60)
	if o.MaxFrames == 0 {
		o.MaxFrames = 12
	}
	w, dir, err := openModelWeights(path)
	if err != nil {
		return nil, err
	}
	ds, err := TestSet(w.Config)
	if err != nil {
		return nil, err
	}
	f, err := NewForward(w, ForwardOptions{Batch: 100, Device: o.Device})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var layers []string
	if o.Layer == "" || o.Layer == "all" {
		for _, l := range f.Layers {
			layers = append(layers, l.Name)
		}
	} else {
		if _, err := f.Layer(o.Layer); err != nil {
			return nil, err
		}
		layers = []string{o.Layer}
	}
	idx := SampleIndices(ds.Test.N, o.N, o.Seed)
	final, err := Embed(f, ds.Test, idx, layers, o.Seed)
	if err != nil {
		return nil, err
	}
	res := &EmbedResult{Model: w.Config.Model, Dataset: ds.Name, Source: w.Path, Step: w.Step, Epoch: w.Epoch,
		Device: f.Backend, N: len(idx), Seed: o.Seed}

	out := o.Output.Dir
	if out == "" {
		out = filepath.Join(dir, "figures")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	meta := func(layer string) map[string]string {
		m := Provenance(w, layer, "pca")
		m["n"], m["sample_seed"] = strconv.Itoa(len(idx)), strconv.FormatUint(o.Seed, 10)
		return m
	}
	sample := fmt.Sprintf("%s on %s: %d test images (sample seed %d)", w.Config.Model, ds.Name, len(idx), o.Seed)
	head := fmt.Sprintf("%s on %s (epoch %d, step %d): %d test images (sample seed %d)", w.Config.Model, ds.Name, w.Epoch, w.Step, len(idx), o.Seed)

	var ordered []*Embedding
	for _, name := range layers {
		e := final[name]
		e.Step, e.Epoch = w.Step, w.Epoch
		ordered = append(ordered, e)
		lr := EmbedLayerResult{Layer: name, Dims: LayerSize(e.Layer), Explained: e.PCA.Ratio}
		fig, err := ScatterFigure(e.XY, e.Labels, ScatterOptions{
			Title:      titleLines(o.Output, head, fmt.Sprintf("layer %s (%s = %d values): PCA", name, shapeText(e.Layer.Out), lr.Dims)),
			XLabel:     "PC1 (" + pct(e.PCA.Ratio[0]) + " of variance)",
			YLabel:     "PC2 (" + pct(ratioAt(e.PCA, 1)) + " of variance)",
			ClassNames: ds.ClassNames,
		})
		if err != nil {
			return nil, err
		}
		fig.SetMeta(meta(name))
		stem, err := figure.FreeStem(out, "embed-"+name+"-"+figure.StepTag(w.Step), append(dotted(o.Output.Formats), ".csv"), o.Output.Force)
		if err != nil {
			return nil, err
		}
		fo := o.Output
		fo.Force = true
		files, err := figure.WriteFiles(out, stem, fig, fo)
		if err != nil {
			return nil, err
		}
		csv := filepath.Join(out, stem+".csv")
		if err := writeFile(csv, embeddingCSV(nil, e.Index, e.Labels, e.XY)); err != nil {
			return nil, err
		}
		lr.Files = append(files, csv)
		res.Layers = append(res.Layers, lr)
		res.Files = append(res.Files, lr.Files...)
	}
	if len(ordered) > 1 {
		fig, err := OverviewFigure(ordered, titleLines(o.Output, head, "each layer's activations on their first two principal axes"), ds.ClassNames, 4)
		if err != nil {
			return nil, err
		}
		fig.SetMeta(meta("all"))
		files, err := figure.WriteFiles(out, "embed-overview-"+figure.StepTag(w.Step), fig, o.Output)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}

	if o.MaxFrames > 0 && filepathIsDir(path) {
		if err := embedFrames(path, f, ds.Test, idx, res, o, out, sample, ds.ClassNames, meta); err != nil {
			return nil, err
		}
	}
	side, err := figure.FreeStem(out, "embed-"+figure.StepTag(w.Step), []string{".json"}, o.Output.Force)
	if err != nil {
		return nil, err
	}
	side = filepath.Join(out, side+".json")
	res.Files = append(res.Files, side)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return nil, err
	}
	if err := writeFile(side, b.Bytes()); err != nil {
		return nil, err
	}
	return res, nil
}

func ratioAt(p *PCA, i int) float64 {
	if i < len(p.Ratio) {
		return p.Ratio[i]
	}
	return 0
}

func filepathIsDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// embeddingCSV writes "index,label,pc1,pc2" rows (with a leading step
// column when steps is not nil: one step per row).
func embeddingCSV(steps []int, idx []int32, labels []int, xy *mat.Dense) []byte {
	var b bytes.Buffer
	if steps != nil {
		b.WriteString("step,")
	}
	b.WriteString("index,label,pc1,pc2\n")
	n, _ := xy.Dims()
	for i := 0; i < n; i++ {
		if steps != nil {
			b.WriteString(strconv.Itoa(steps[i]))
			b.WriteByte(',')
		}
		k := i % len(idx)
		fmt.Fprintf(&b, "%d,%d,%s,%s\n", idx[k], labels[k],
			strconv.FormatFloat(xy.At(i, 0), 'g', 7, 64), strconv.FormatFloat(xy.At(i, 1), 'g', 7, 64))
	}
	return b.Bytes()
}

// pickFrames chooses at most max of the steps, evenly spaced, keeping the
// first and the last.
func pickFrames(steps []runs.StepRef, max int) []runs.StepRef {
	if len(steps) <= max || max < 2 {
		return steps
	}
	out := make([]runs.StepRef, max)
	for i := range out {
		out[i] = steps[i*(len(steps)-1)/(max-1)]
	}
	return out
}

// embedFrames computes, aligns and writes the training sequence of each
// layer the snapshots can compute.
func embedFrames(dir string, f *Forward, set *data.Set, idx []int32, res *EmbedResult,
	o EmbedOptions, out, head string, classNames []string, meta func(string) map[string]string) error {
	run, err := runs.OpenRun(dir)
	if err != nil {
		return &SourceError{err}
	}
	steps, err := run.Steps()
	if err != nil || len(steps) < 2 {
		return nil // nothing to animate
	}
	steps = pickFrames(steps, o.MaxFrames)
	seq := map[string][]*Embedding{}
	for k, s := range steps {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "embedding the snapshot of step %d (%d of %d)\n", s.Step, k+1, len(steps))
		}
		w, err := runs.ReadWeights(s.Path)
		if err != nil {
			return &SourceError{err}
		}
		if err := f.SetWeights(w); err != nil {
			return err
		}
		var can []string
		for _, lr := range res.Layers {
			// A layer without parameters upstream (the input) does not change.
			if l, _ := f.Layer(lr.Layer); l.Kind != KindInput && f.Computable(lr.Layer) {
				can = append(can, lr.Layer)
			}
		}
		if len(can) == 0 {
			continue
		}
		embs, err := Embed(f, set, idx, can, o.Seed)
		if err != nil {
			return err
		}
		for name, e := range embs {
			e.Step, e.Epoch = w.Step, w.Epoch
			seq[name] = append(seq[name], e)
		}
	}
	for i := range res.Layers {
		lr := &res.Layers[i]
		frames := seq[lr.Layer]
		if len(frames) < 2 {
			continue
		}
		aligned, err := AlignToLast(frames)
		if err != nil {
			return err
		}
		b := DataBounds(aligned...)
		var figs []*figure.Figure
		fstem, err := figure.FreeStem(out, "embed-"+lr.Layer+"-frames", []string{"", ".gif", ".csv"}, o.Output.Force)
		if err != nil {
			return err
		}
		fdir := filepath.Join(out, fstem)
		if err := os.MkdirAll(fdir, 0o755); err != nil {
			return fmt.Errorf("introspect: %w", err)
		}
		var rows []int
		all := mat.NewDense(len(frames)*len(idx), 2, nil)
		for k, e := range frames {
			fig, err := ScatterFigure(aligned[k], e.Labels, ScatterOptions{
				Title: titleLines(o.Output, head, fmt.Sprintf("layer %s during training: epoch %d, step %d (frame %d of %d)",
					lr.Layer, e.Epoch, e.Step, k+1, len(frames)), varianceText(e.PCA)+" at this step"),
				XLabel:     "aligned PC1",
				YLabel:     "aligned PC2",
				ClassNames: classNames,
				Bounds:     &b,
			})
			if err != nil {
				return err
			}
			fig.SetMeta(meta(lr.Layer))
			fig.Meta["step"], fig.Meta["epoch"] = strconv.Itoa(e.Step), strconv.Itoa(e.Epoch)
			figs = append(figs, fig)
			for i := range idx {
				rows = append(rows, e.Step)
				all.SetRow(k*len(idx)+i, aligned[k].RawRowView(i))
			}
		}
		// Titles of different lengths may have widened some frames: the GIF
		// needs one size.
		w, h := 0.0, 0.0
		for _, fig := range figs {
			w, h = max(w, fig.W), max(h, fig.H)
		}
		fo := o.Output
		fo.Formats, fo.Force = []string{"png"}, true
		for k, fig := range figs {
			fig.W, fig.H = w, h
			files, err := figure.WriteFiles(fdir, figure.StepTag(frames[k].Step), fig, fo)
			if err != nil {
				return err
			}
			lr.Files = append(lr.Files, files...)
		}
		var g bytes.Buffer
		if err := figure.WriteGIF(&g, figs, o.Delay, 96); err != nil {
			return err
		}
		gp := filepath.Join(out, fstem+".gif")
		cp := filepath.Join(out, fstem+".csv")
		if err := writeFile(gp, g.Bytes()); err != nil {
			return err
		}
		if err := writeFile(cp, embeddingCSV(rows, idx, frames[0].Labels, all)); err != nil {
			return err
		}
		lr.Files = append(lr.Files, gp, cp)
		lr.Frames = len(frames)
		res.Files = append(res.Files, lr.Files[len(lr.Files)-len(frames)-2:]...)
	}
	for _, s := range steps {
		res.Steps = append(res.Steps, s.Step)
	}
	return nil
}
