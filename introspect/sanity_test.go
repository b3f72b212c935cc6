package introspect

import (
	"math"
	"testing"
)

func TestSpearmanByHand(t *testing.T) {
	cases := []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 2, 3, 4}, []float32{10, 20, 30, 40}, 1},
		{[]float32{1, 2, 3, 4}, []float32{4, 3, 2, 1}, -1},
		{[]float32{1, 2, 3, 4}, []float32{1, 4, 9, 100}, 1}, // monotone, not linear
		// ranks a: 1.5 1.5 3 4, b: 1 2 3 4 → Pearson of the ranks.
		{[]float32{0, 0, 3, 4}, []float32{1, 2, 3, 4}, 0.9486832980505138},
		{[]float32{5, 5, 5}, []float32{1, 2, 3}, 0}, // constant: no correlation
	}
	for _, c := range cases {
		if got := spearman(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("spearman(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// Adebayo et al.'s check on a briefly trained lenet: the gradient rule's maps
// must decorrelate from the trained ones as the weights are randomized from
// the top, and clearly so with every layer randomized.
func TestSanityGradientDropsWhenWeightsAreRandomized(t *testing.T) {
	limit := 12000
	if testing.Short() {
		limit = 6000
	}
	run, _ := trainedRun(t, "lenet", limit)
	res, err := Sanity(run, SanityOptions{DeconvOptions: DeconvOptions{Layer: "conv2", Maps: []int{0, 1, 2, 3, 4, 5, 6, 7}, Step: -1, Limit: 500}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stages) != 2 || len(res.Rules) != 3 || res.Hits != 8*9 {
		t.Fatalf("stages %d, rules %v, activations %d; want 2 stages (conv2, conv1), 3 rules, 72", len(res.Stages), res.Rules, res.Hits)
	}
	for _, s := range res.Stages {
		t.Logf("randomized %v: %v", s.Randomized, s.Similarity)
	}
	first, last := res.Stages[0].Similarity["gradient"], res.Stages[1].Similarity["gradient"]
	if !(last < first && last < 0.5) {
		t.Errorf("gradient similarity %.3f → %.3f: want it to fall below 0.5 with every layer randomized", first, last)
	}
	for _, f := range res.Flagged {
		if f == "gradient" {
			t.Error("the gradient rule was flagged as insensitive to the weights")
		}
	}
}
