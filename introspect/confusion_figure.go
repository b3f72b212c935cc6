package introspect

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/runs"
)

// ClassStats are one class's scores in a confusion matrix.
type ClassStats struct {
	Class   int    `json:"class"`
	Name    string `json:"name"`
	Support int    `json:"support"` // test images of the class
	// Precision is TP / (TP + FP): of the images predicted as the class,
	// the fraction that are (NaN-free: 0 when none is predicted).
	Precision float64 `json:"precision"`
	// Recall is TP / (TP + FN): of the class's images, the fraction
	// predicted as it (0 when the class has no image).
	Recall float64 `json:"recall"`
	// Accuracy is one-vs-rest: (TP + TN) / N, the fraction of all images
	// whose "is it this class?" answer is right.
	Accuracy float64 `json:"accuracy"`
}

// Confusion is a confusion matrix: Counts[true][predicted].
type Confusion struct {
	Classes  []string     `json:"classes"`
	Counts   [][]int      `json:"counts"`
	Rates    [][]float64  `json:"row_normalized"` // each row divided by its support
	N        int          `json:"n"`
	Accuracy float64      `json:"accuracy"`
	PerClass []ClassStats `json:"per_class"`
}

// ConfusionOf counts labels against predictions over classes classes (names
// may be shorter; missing names are the class numbers). A label or
// prediction outside [0, classes) is an error.
func ConfusionOf(labels, preds []int, classes int, names []string) (*Confusion, error) {
	if len(labels) != len(preds) {
		return nil, fmt.Errorf("introspect: %d labels for %d predictions", len(labels), len(preds))
	}
	if classes < 1 || classes > 1<<12 {
		return nil, fmt.Errorf("introspect: a confusion matrix of %d classes", classes)
	}
	c := &Confusion{N: len(labels), Counts: make([][]int, classes), Rates: make([][]float64, classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, classes)
		c.Classes = append(c.Classes, className(names, i))
	}
	correct := 0
	for i, l := range labels {
		p := preds[i]
		if l < 0 || l >= classes || p < 0 || p >= classes {
			return nil, fmt.Errorf("introspect: example %d has label %d, prediction %d: outside the %d classes", i, l, p, classes)
		}
		c.Counts[l][p]++
		if l == p {
			correct++
		}
	}
	if c.N > 0 {
		c.Accuracy = float64(correct) / float64(c.N)
	}
	for k := 0; k < classes; k++ {
		tp, support, predicted := c.Counts[k][k], 0, 0
		for j := 0; j < classes; j++ {
			support += c.Counts[k][j]
			predicted += c.Counts[j][k]
		}
		fp, fn := predicted-tp, support-tp
		s := ClassStats{Class: k, Name: c.Classes[k], Support: support}
		if predicted > 0 {
			s.Precision = float64(tp) / float64(predicted)
		}
		if support > 0 {
			s.Recall = float64(tp) / float64(support)
		}
		if c.N > 0 {
			s.Accuracy = float64(c.N-fp-fn) / float64(c.N)
		}
		c.PerClass = append(c.PerClass, s)
		row := make([]float64, classes)
		for j := range row {
			if support > 0 {
				row[j] = float64(c.Counts[k][j]) / float64(support)
			}
		}
		c.Rates[k] = row
	}
	return c, nil
}

// ComputeConfusion runs a checkpoint's model (the compiled forward program,
// on device) over a test set and counts its predictions. ds nil is the
// dataset the run trained on.
func ComputeConfusion(checkpoint string, ds *data.Dataset, device string) (*Confusion, error) {
	w, err := runs.ReadWeights(checkpoint)
	if err != nil {
		return nil, &SourceError{err}
	}
	if ds == nil {
		if ds, err = TestSet(w.Config); err != nil {
			return nil, &SourceError{err}
		}
	}
	if ds.Test == nil || ds.Test.N == 0 {
		return nil, &SourceError{fmt.Errorf("introspect: dataset %s has no test images", ds.Name)}
	}
	f, err := NewForward(w, ForwardOptions{Batch: 100, Device: device})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	logits := f.Layers[len(f.Layers)-1]
	classes := LayerSize(logits)
	idx := make([]int32, ds.Test.N)
	for i := range idx {
		idx[i] = int32(i)
	}
	act, err := f.Run(ds.Test, idx, []string{logits.Name})
	if err != nil {
		return nil, err
	}
	v := act.By[logits.Name]
	labels, preds := make([]int, ds.Test.N), make([]int, ds.Test.N)
	for i := range labels {
		labels[i] = int(ds.Test.Labels[i])
		preds[i] = kernels.Argmax(v[i*classes : (i+1)*classes])
	}
	return ConfusionOf(labels, preds, classes, ds.ClassNames)
}

// ConfusionFigure draws the counts and the row-normalized matrix side by
// side (true class by row, predicted by column, class names on both), and
// under them each class's precision, recall and one-vs-rest accuracy.
func ConfusionFigure(c *Confusion, title string) (*figure.Figure, error) {
	if c == nil || len(c.Counts) == 0 {
		return nil, errors.New("introspect: empty confusion matrix")
	}
	k := len(c.Counts)
	counts := make([][]float64, k)
	for i, row := range c.Counts {
		counts[i] = make([]float64, k)
		for j, n := range row {
			counts[i][j] = float64(n)
		}
	}
	cell := 22.0
	a, err := figure.MatrixFigure(counts, c.Classes, c.Classes, figure.MatrixOptions{
		Title: "counts", XLabel: "predicted", YLabel: "true class", Cell: cell, CbarLabel: "images",
		Text: func(_, _ int, v float64) string { return strconv.Itoa(int(v)) },
	})
	if err != nil {
		return nil, err
	}
	b, err := figure.MatrixFigure(c.Rates, c.Classes, c.Classes, figure.MatrixOptions{
		Title: "row-normalized (recall on the diagonal)", XLabel: "predicted", YLabel: "true class", Cell: cell,
		Scale: &figure.Scale{Lo: 0, Hi: 1}, CbarLabel: "fraction of the row",
		Text: func(_, _ int, v float64) string {
			if v == 0 {
				return ""
			}
			return strconv.FormatFloat(v, 'f', 2, 64)
		},
	})
	if err != nil {
		return nil, err
	}
	f := figure.New(0, 0)
	y := 4.0
	if title != "" {
		f.Add(figure.Text{X: 6, Y: 14, S: title, Size: figure.TextSize + 1})
		y = 20
	}
	f.Place(a, 0, y)
	f.Place(b, a.W+8, y)
	ty := y + max(a.H, b.H) + 10
	cols := []float64{6, 90, 140, 190, 240}
	for i, h := range []string{"class", "precision", "recall", "accuracy", "images"} {
		f.Add(figure.Text{X: cols[i], Y: ty, S: h, Bold: true, Size: 7})
	}
	for r, s := range c.PerClass {
		yy := ty + float64(r+1)*9
		f.Add(figure.Text{X: cols[0], Y: yy, S: s.Name, Size: 7},
			figure.Text{X: cols[1], Y: yy, S: fmt.Sprintf("%.3f", s.Precision), Size: 7},
			figure.Text{X: cols[2], Y: yy, S: fmt.Sprintf("%.3f", s.Recall), Size: 7},
			figure.Text{X: cols[3], Y: yy, S: fmt.Sprintf("%.3f", s.Accuracy), Size: 7},
			figure.Text{X: cols[4], Y: yy, S: strconv.Itoa(s.Support), Size: 7})
	}
	f.Add(figure.Text{X: cols[0], Y: ty + float64(k+2)*9, S: fmt.Sprintf("overall accuracy %.4f on %d images", c.Accuracy, c.N), Size: 7})
	f.Fit(6)
	return f, nil
}
