package weightspace

import (
	"context"
	"testing"
)

// Fine-tuning after pruning trains through the run's loop and keeps the
// removed weights at zero through the updates; the kept weights move.
func TestFinetuneKeepsMask(t *testing.T) {
	dirs, ds := testRuns(t)
	rw, err := OpenRunWeights(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	ft, err := NewFinetuner(rw, 2, "cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer ft.Close()
	pr := Prunables(rw.Params)
	groups, err := ablationOrder(rw.FinalPoint, pr, MethodSmallest, ScopeGlobal, GrainWeight, 1)
	if err != nil {
		t.Fatal(err)
	}
	pruned := rw.FinalPoint.Clone()
	removed := applyAblation(pruned, rw.FinalPoint, pr, groups, GrainWeight, 0.5)
	mask := ablationMask(rw.FinalPoint, pr, groups, GrainWeight, 0.5)
	tuned, err := ft.Tune(context.Background(), pruned, mask)
	if err != nil {
		t.Fatal(err)
	}
	zeros, moved := 0, 0
	for i := range mask {
		for j, k := range mask[i] {
			switch {
			case k == 0 && tuned[i][j] != 0:
				t.Fatalf("%s[%d] was removed and is %g after fine-tuning", rw.Params[i].Name, j, tuned[i][j])
			case k == 0:
				zeros++
			case tuned[i][j] != pruned[i][j]:
				moved++
			}
		}
	}
	if zeros != removed || moved == 0 {
		t.Errorf("%d masked zeros (removed %d), %d kept weights moved", zeros, removed, moved)
	}
	e := newTestEvaluator(t, rw, Subset(ds.Test, 100, 1), 100)
	curves, err := Ablate(context.Background(), e, rw.FinalPoint, AblateOptions{Methods: []string{MethodSmallest}, Scope: ScopeGlobal, Grain: GrainWeight,
		Fractions: []float64{0, 0.5}, Seeds: 1, Finetune: ft.Tune})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := e.Eval(context.Background(), tuned)
	if curves[0].Accuracy[1] != want.Accuracy || curves[0].Loss[1] != want.Loss {
		t.Errorf("fine-tuned curve at 0.5: %g/%g, the tuned point scores %g/%g", curves[0].Accuracy[1], curves[0].Loss[1], want.Accuracy, want.Loss)
	}
}
