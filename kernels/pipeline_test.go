package kernels

import (
	"strings"
	"testing"
)

// feedProgram is a program shaped like a training step over batches of 4
// images of 6 pixels with 3 classes: x, labels, logits, loss, hyper, ctl.
func feedProgram() *Program {
	p := &Program{Loss: 3, Logits: 2, Hyper: 4, Ctl: 5}
	for _, b := range []struct {
		name string
		n    int
	}{{"x", 24}, {"labels", 4}, {"logits", 12}, {"loss", 1}, {"hyper", 2}, {"ctl", 2}} {
		p.Buffers = append(p.Buffers, Buffer{Name: b.name, Shape: []int{b.n}, Len: b.n, View: -1})
	}
	p.Instrs = make([]Instr, 5)
	p.Forward, p.Backward, p.Update = Segment{0, 2}, Segment{2, 4}, Segment{4, 5}
	return p
}

func goodTrainSpec() TrainLoopSpec {
	return TrainLoopSpec{Segment: Segment{0, 5}, Images: 0, Labels: 1, Mean: 0.5, Std: 0.25, StepsPerEpoch: 2, LossEvery: 1}
}

func TestCheckTrainLoop(t *testing.T) {
	p := feedProgram()
	batch, err := CheckTrainLoop(p, goodTrainSpec(), 10, 6)
	if err != nil || batch != 4 {
		t.Fatalf("CheckTrainLoop of a good spec = %d, %v; want 4, nil", batch, err)
	}
	for _, c := range []struct {
		name   string
		change func(*TrainLoopSpec, *Program)
		setLen int
		dim    int
		want   string
	}{
		{"empty segment", func(s *TrainLoopSpec, _ *Program) { s.Segment = Segment{3, 3} }, 10, 6, "segment [3, 3)"},
		{"segment past the end", func(s *TrainLoopSpec, _ *Program) { s.Segment = Segment{0, 6} }, 10, 6, "5 instructions"},
		{"missing images", func(s *TrainLoopSpec, _ *Program) { s.Images = 9 }, 10, 6, "b9 does not exist"},
		{"image size", func(s *TrainLoopSpec, _ *Program) {}, 10, 7, "needs 28"},
		{"epoch longer than the set", func(s *TrainLoopSpec, _ *Program) { s.StepsPerEpoch = 3 }, 10, 6, "3 steps of 4 images"},
		{"no steps", func(s *TrainLoopSpec, _ *Program) { s.StepsPerEpoch = 0 }, 10, 6, "0 steps"},
		{"loss every 0", func(s *TrainLoopSpec, _ *Program) { s.LossEvery = 0 }, 10, 6, "every 0 steps"},
		{"no loss", func(_ *TrainLoopSpec, p *Program) { p.Loss = -1 }, 10, 6, "no loss"},
		{"short hyper", func(_ *TrainLoopSpec, p *Program) { p.Buffers[4].Len = 1 }, 10, 6, "hyper"},
		{"zero std", func(s *TrainLoopSpec, _ *Program) { s.Std = 0 }, 10, 6, "std is 0"},
		{"batch beyond the set", func(s *TrainLoopSpec, _ *Program) {}, 3, 6, "batch of 4 from a set of 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, s := feedProgram(), goodTrainSpec()
			c.change(&s, p)
			_, err := CheckTrainLoop(p, s, c.setLen, c.dim)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	// A program without hyper or mode buffers is fine (an optimizer with
	// its rate compiled in, a model without dropout).
	p = feedProgram()
	p.Hyper, p.Ctl = -1, -1
	if _, err := CheckTrainLoop(p, goodTrainSpec(), 10, 6); err != nil {
		t.Fatalf("no hyper, no ctl: %v", err)
	}
}

func TestCheckEvalLoop(t *testing.T) {
	spec := EvalLoopSpec{Forward: Segment{0, 2}, Images: 0, Labels: 1, Logits: 2, Classes: 3, Mean: 0, Std: 1}
	// A set smaller than a batch is scored with one padded batch.
	if batch, err := CheckEvalLoop(feedProgram(), spec, 3, 6); err != nil || batch != 4 {
		t.Fatalf("CheckEvalLoop = %d, %v; want 4, nil", batch, err)
	}
	bad := spec
	bad.Classes = 4
	if _, err := CheckEvalLoop(feedProgram(), bad, 10, 6); err == nil || !strings.Contains(err.Error(), "× 4 classes") {
		t.Fatalf("4 classes of 12 logits: %v", err)
	}
	if _, err := CheckEvalLoop(feedProgram(), spec, 10, 5); err == nil || !strings.Contains(err.Error(), "needs 20") {
		t.Fatalf("5-pixel images: %v", err)
	}
}

func TestCheckEpoch(t *testing.T) {
	perm := []int32{2, 0, 1}
	lr := []float32{0.1}
	if err := CheckEpoch(perm, lr, 0, 3, 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		perm  []int32
		lr    []float32
		first int
		want  string
	}{
		{[]int32{0, 1}, lr, 0, "2 rows for a set of 3"},
		{perm, []float32{}, 0, "0 learning rates"},
		{perm, lr, -1, "negative"},
		{[]int32{0, 3, 1}, lr, 0, "entry 1 is 3"},
	} {
		if err := CheckEpoch(c.perm, c.lr, c.first, 3, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckEpoch(%v, %v, %d): %v, want %q", c.perm, c.lr, c.first, err, c.want)
		}
	}
}
