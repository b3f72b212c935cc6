package sweep

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/plot"
)

// fakeReport is a report of points with the given values and accuracies.
func fakeReport(swept []string, vals [][]Value, accs []float64) *Report {
	r := &Report{Swept: swept}
	for i, v := range vals {
		a := accs[i]
		r.Points = append(r.Points, PointResult{Name: strconv.Itoa(i), Values: v, Status: StatusDone, TestAcc: &a})
	}
	return r
}

func TestValueFigure(t *testing.T) {
	v := func(kv ...string) []Value {
		var out []Value
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Value{kv[i], kv[i+1]})
		}
		return out
	}
	rates := fakeReport([]string{"lr", "seed"},
		[][]Value{v("lr", "0.001", "seed", "1"), v("lr", "0.001", "seed", "2"), v("lr", "0.1", "seed", "1"), v("lr", "0.1", "seed", "2")},
		[]float64{0.5, 0.6, 0.8, 0.9})
	opts := fakeReport([]string{"optimizer", "batch"},
		[][]Value{v("optimizer", "sgd", "batch", "64"), v("optimizer", "adam", "batch", "64"), v("optimizer", "sgd", "batch", "128")},
		[]float64{0.7, 0.75, 0.72})
	drawn := fakeReport([]string{"lr", "seed"},
		[][]Value{v("lr", "0.001234", "seed", "1"), v("lr", "0.001234", "seed", "2"), v("lr", "0.04321", "seed", "1"), v("lr", "0.04321", "seed", "2")},
		[]float64{0.5, 0.6, 0.8, 0.9})
	drawn.Random = []string{"lr"}
	for _, tc := range []struct {
		name string
		r    *Report
		flag string
		log  bool
	}{{"rates on a log axis", rates, "lr", true}, {"nominal values", opts, "optimizer", false}, {"numeric, linear", opts, "batch", false}, {"random draws", drawn, "lr", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.r.ValueFigure(tc.flag, "t")
			if err != nil {
				t.Fatal(err)
			}
			p := f.Items()[0].(figure.PlotItem).Plot
			if _, isLog := p.X.Scale.(plot.LogScale); isLog != tc.log {
				t.Errorf("log x axis %v, want %v", isLog, tc.log)
			}
			if _, err := figure.Render(f, "svg", figure.Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := rates.ValueFigure("seed", ""); err == nil || !strings.Contains(err.Error(), "not a swept flag") {
		t.Errorf("a figure against the seed: %v", err)
	}
	none := fakeReport([]string{"lr"}, nil, nil)
	if _, err := none.ValueFigure("lr", ""); err == nil {
		t.Error("a figure of no finished point: no error")
	}
}
