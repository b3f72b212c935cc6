package introspect

import (
	"math"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/train"
)

// Worked by hand: 2 classes, labels 0 0 0 1 1, predictions 0 1 0 1 0.
// Counts [[2 1] [1 1]]; class 0: precision 2/3, recall 2/3, one-vs-rest
// accuracy (5 − 1 − 1)/5; class 1: precision 1/2, recall 1/2.
func TestConfusionOf(t *testing.T) {
	c, err := ConfusionOf([]int{0, 0, 0, 1, 1}, []int{0, 1, 0, 1, 0}, 2, []string{"cat"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Counts[0][0] != 2 || c.Counts[0][1] != 1 || c.Counts[1][0] != 1 || c.Counts[1][1] != 1 {
		t.Errorf("counts %v", c.Counts)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	p0, p1 := c.PerClass[0], c.PerClass[1]
	if !near(p0.Precision, 2.0/3) || !near(p0.Recall, 2.0/3) || !near(p0.Accuracy, 3.0/5) || p0.Support != 3 || p0.Name != "cat" {
		t.Errorf("class 0: %+v", p0)
	}
	if !near(p1.Precision, 0.5) || !near(p1.Recall, 0.5) || !near(p1.Accuracy, 3.0/5) || p1.Name != "1" {
		t.Errorf("class 1: %+v", p1)
	}
	if !near(c.Accuracy, 3.0/5) || !near(c.Rates[0][1], 1.0/3) || !near(c.Rates[1][0], 0.5) {
		t.Errorf("accuracy %g, rates %v", c.Accuracy, c.Rates)
	}
	if _, err := ConfusionOf([]int{0, 2}, []int{0, 0}, 2, nil); err == nil {
		t.Error("label out of range accepted")
	}
	if _, err := ConfusionOf([]int{0}, []int{0, 0}, 2, nil); err == nil {
		t.Error("length mismatch accepted")
	}
	fig, err := ConfusionFigure(c, "title")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(fig.Texts(), "|")
	for _, want := range []string{"title", "cat", "predicted", "true class", "0.667", "2", "0.33"} {
		if !strings.Contains(all, want) {
			t.Errorf("confusion figure lacks %q: %q", want, all)
		}
	}
}

func fakeRun(name string, seed uint64, losses ...float64) *RunCurves {
	cfg := train.Config{Model: "lenet", Dataset: "synthetic", Epochs: len(losses), Seed: seed, LR: 0.05, Out: "runs/" + name}
	r := &RunCurves{Name: name, Config: cfg, PerStep: 10}
	for i, l := range losses {
		acc := 0.5 + 0.1*float64(i)
		r.Epochs = append(r.Epochs, train.Record{EpochEvent: train.EpochEvent{Epoch: i + 1, TrainLoss: l, TestAcc: &acc}, Step: 10 * (i + 1), LR: 0.05})
	}
	return r
}

// Runs differing only in seed form one group drawn as mean ± sd; another
// recipe is its own line.
func TestCurvesGroupsSeeds(t *testing.T) {
	a, b := fakeRun("a", 1, 2, 1), fakeRun("b", 2, 4, 3)
	other := fakeRun("c", 1, 1, 1)
	other.Config.LR = 0.1
	groups := groupRuns([]*RunCurves{a, b, other}, false)
	if len(groups) != 2 || len(groups[0]) != 2 || groups[1][0] != other {
		t.Fatalf("groups %v", groups)
	}
	c := groupCurve(groups[0], func(r train.Record) float64 { return float64(r.Step) }, func(r train.Record) (float64, bool) { return r.TrainLoss, true })
	// Epoch 1: losses 2 and 4 → mean 3, sd √2.
	if len(c.y) != 2 || c.y[0] != 3 || math.Abs(c.hi[0]-3-math.Sqrt2) > 1e-12 || !strings.Contains(c.name, "2 seeds") {
		t.Errorf("curve %+v", c)
	}
	if len(groupRuns([]*RunCurves{a, b}, true)) != 2 {
		t.Error("--no-group grouped")
	}
	f, err := CurvesFigure([]*RunCurves{a, b, other}, CurvesOptions{X: "epoch", Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := figure.Render(f, "svg", figure.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := CurvesFigure([]*RunCurves{a}, CurvesOptions{X: "hour"}); err == nil {
		t.Error("x hour accepted")
	}
	csv := string(CurvesCSV([]*RunCurves{a}))
	if !strings.HasPrefix(csv, "run,seed,kind,epoch,step,train_loss,test_loss,test_acc,lr\na,1,epoch,1,10,2,,0.5,0.05\n") {
		t.Errorf("CSV:\n%s", csv)
	}
}
