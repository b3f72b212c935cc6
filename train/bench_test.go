package train

import (
	"context"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// A Stepper epoch does the work of a Run epoch: from the same config, the loss
// of the last step of each epoch is the same number.
func TestStepperMatchesRun(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 512, 2)
	cfg.LossEvery = 1 << 20 // Run then reads only the last step's loss: its train_loss is that loss
	res, err := Run(context.Background(), cfg, ds, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStepper(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.SetupS <= 0 || s.StepsPerEpoch() != 4 {
		t.Errorf("set-up %v s, %d steps per epoch; want > 0 and 4", s.SetupS, s.StepsPerEpoch())
	}
	var last StepperEpoch
	// The second epoch goes through a RunSegment that counts the calls.
	calls := 0
	for e := 0; e < 2; e++ {
		var run RunSegment
		if e == 1 {
			run = func(seg kernels.Segment) error { calls++; return s.Exec().Run(seg) }
		}
		if last, err = s.Epoch(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		if last.Epoch != e+1 || last.Images != 512 || last.Seconds <= 0 {
			t.Errorf("epoch %d: %+v", e+1, last)
		}
	}
	if n := len(s.TrainStep()); calls != 4*n || n != 3 {
		t.Errorf("the RunSegment ran %d times, want once per segment of each step (4·%d; gather and step begin, the compiled step, step end)", calls, n)
	}
	if last.Loss != res.TrainLoss {
		t.Errorf("Stepper's last loss %v, Run's %v: not the same work", last.Loss, res.TrainLoss)
	}
}
