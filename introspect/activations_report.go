package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/runs"
)

// ActivationsOptions are the settings of RenderActivations (the flags of
// `gabor activations`).
type ActivationsOptions struct {
	Index int // test image
	// Output is formats, DPI, width, title, folder ("" : <run dir or
	// checkpoint's folder>/figures) and overwrite policy.
	Output figure.Output
	Norm   string // NormLayer or NormMap
	Device string // backend ("" : auto)
}

// ActivationsResult is what RenderActivations made: the --json output and
// the JSON sidecar.
type ActivationsResult struct {
	Model         string            `json:"model"`
	Dataset       string            `json:"dataset"`
	Source        string            `json:"source"`
	Step          int               `json:"step"`
	Epoch         int               `json:"epoch"`
	Device        string            `json:"device"`
	Index         int               `json:"index"`
	Label         int               `json:"label"`
	LabelName     string            `json:"label_name"`
	Predicted     int               `json:"predicted"`
	PredictedName string            `json:"predicted_name"`
	Normalization string            `json:"normalization"`
	Layers        []ActivationStats `json:"layers"`
	// Skipped lists layers the weights cannot compute (a snapshot file
	// holds only some parameters).
	Skipped []string `json:"skipped,omitempty"`
	Files   []string `json:"files"`
}

// openModelWeights opens a run directory (its checkpoint: the one file with
// every parameter) or a checkpoint or snapshot file. Every error is a
// *SourceError. It returns the folder figures go to by default.
func openModelWeights(path string) (*runs.Weights, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", &SourceError{fmt.Errorf("introspect: run directory or checkpoint %s does not exist", path)}
		}
		return nil, "", &SourceError{fmt.Errorf("introspect: %w", err)}
	}
	file, dir := path, filepath.Dir(path)
	if st.IsDir() {
		run, err := runs.OpenRun(path)
		if err != nil {
			return nil, "", &SourceError{err}
		}
		if run.Checkpoint == "" {
			return nil, "", &SourceError{fmt.Errorf("introspect: run directory %s has no checkpoint yet (one is written after each epoch)", path)}
		}
		file, dir = run.Checkpoint, path
	}
	w, err := runs.ReadWeights(file)
	if err != nil {
		return nil, "", &SourceError{err}
	}
	return w, dir, nil
}

// RenderActivations runs test image o.Index of the run's dataset through the
// model (the Program, on o.Device, with every layer tapped) and draws the
// input and every layer's activation in one figure, written in each format
// with a JSON sidecar. An index outside the test set is an *IndexError.
func RenderActivations(path string, o ActivationsOptions) (*ActivationsResult, error) {
	if len(o.Output.Formats) == 0 {
		o.Output.Formats = []string{"png"}
	}
	if o.Norm == "" {
		o.Norm = NormLayer
	}
	if o.Norm != NormLayer && o.Norm != NormMap {
		return nil, fmt.Errorf("introspect: unknown activation normalization %q (known: %s, %s)", o.Norm, NormLayer, NormMap)
	}
	w, dir, err := openModelWeights(path)
	if err != nil {
		return nil, err
	}
	ds, err := TestSet(w.Config)
	if err != nil {
		return nil, err
	}
	if o.Index < 0 || o.Index >= ds.Test.N {
		return nil, &IndexError{Index: o.Index, N: ds.Test.N, Set: ds.Name + " test"}
	}
	f, err := NewForward(w, ForwardOptions{Batch: 1, Device: o.Device})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all, err := ImageActivations(f, ds, o.Index)
	if err != nil {
		return nil, err
	}
	res := &ActivationsResult{
		Model: w.Config.Model, Dataset: ds.Name, Source: w.Path, Step: w.Step, Epoch: w.Epoch,
		Device: f.Backend, Index: o.Index, Label: int(ds.Test.Labels[o.Index]), Normalization: o.Norm,
		Predicted: -1,
	}
	res.LabelName = className(ds.ClassNames, res.Label)
	var acts []LayerActivation
	for _, a := range all {
		if !f.Computable(a.Layer.Name) {
			res.Skipped = append(res.Skipped, a.Layer.Name)
			continue
		}
		acts = append(acts, a)
		res.Layers = append(res.Layers, Stats(a))
	}
	last := all[len(all)-1]
	var names []string
	if f.Computable(last.Layer.Name) {
		res.Predicted = kernels.Argmax(last.V)
		res.PredictedName = className(ds.ClassNames, res.Predicted)
		names = ds.ClassNames
	}

	title := fmt.Sprintf("%s on %s (epoch %d, step %d): test image %d, label %q", w.Config.Model, ds.Name, w.Epoch, w.Step, o.Index, res.LabelName)
	if res.Predicted >= 0 {
		title += fmt.Sprintf(", predicted %q", res.PredictedName)
	}
	var chain []Layer
	for _, a := range acts[1:] {
		chain = append(chain, a.Layer)
	}
	fig, err := ActivationFigure(acts, ActivationFigureOptions{Norm: o.Norm, ClassNames: names,
		Title: titleLines(o.Output, title, "layer by layer, top to bottom: input → "+strings.ReplaceAll(LayerNames(chain), ", ", " → "))})
	if err != nil {
		return nil, err
	}
	fig.SetMeta(Provenance(w, "all", o.Norm))
	fig.Meta["index"] = strconv.Itoa(o.Index)
	fig.Meta["label"] = res.LabelName

	out := o.Output.Dir
	if out == "" {
		out = filepath.Join(dir, "figures")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	stem := fmt.Sprintf("activations-image%d", o.Index)
	if o.Norm != NormLayer {
		stem += "-" + o.Norm
	}
	stem, err = figure.FreeStem(out, stem+"-"+figure.StepTag(w.Step), append(dotted(o.Output.Formats), ".json"), o.Output.Force)
	if err != nil {
		return nil, err
	}
	fo := o.Output
	fo.Force = true
	if res.Files, err = figure.WriteFiles(out, stem, fig, fo); err != nil {
		return nil, err
	}
	side := filepath.Join(out, stem+".json")
	res.Files = append(res.Files, side)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Provenance map[string]string `json:"provenance"`
		*ActivationsResult
	}{fig.Meta, res}); err != nil {
		return nil, err
	}
	if err := writeFile(side, b.Bytes()); err != nil {
		return nil, err
	}
	return res, nil
}

// className is a class's name, or its number when the dataset names none.
func className(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return strconv.Itoa(c)
}
