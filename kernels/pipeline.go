package kernels

import (
	"errors"
	"fmt"
)

// DeviceData is an optional interface of an Executable whose device can keep
// a dataset in its own memory and run whole training steps without the host:
// the images are uploaded once as bytes, each batch is gathered and
// normalized on the device from the epoch's permutation, the step's learning
// rate and counters are set on the device, and the loss is accumulated there
// and read back only when the host asks. A backend that can record a step
// once and replay it (a CUDA graph) does so behind TrainLoop.Step.
//
// A training loop that finds no DeviceData (the cpu backend) feeds every
// step from the host with Write; one that finds it must get the same
// numbers: a TrainLoop step is exactly
//
//	gather batch k of the permutation into Images and Labels,
//	    x = (v/255 − Mean)/Std in float32, label as a float;
//	Hyper ← [lr[k], step+1]  (when the program has one);
//	Ctl   ← [1, step]        (when the program has one);
//	run Segment;
//	if (k+1) % LossEvery == 0 or k is the epoch's last step:
//	    sample the loss: Sum += float64(loss), N++, Last = loss,
//	    and remember the first sampled loss that is NaN or ±Inf;
//	k++, step++
//
// which is what the host path writes before each step (see train.Run).
type DeviceData interface {
	// UploadSet copies n = len(labels) images of dim bytes each (row-major,
	// len(images) = n·dim) and their labels to the device, once.
	UploadSet(images, labels []uint8, dim int) (DeviceSet, error)
	// NewTrainLoop prepares the training step over a set uploaded by this
	// executable.
	NewTrainLoop(set DeviceSet, spec TrainLoopSpec) (TrainLoop, error)
	// NewEvalLoop prepares a scoring pass over a whole set.
	NewEvalLoop(set DeviceSet, spec EvalLoopSpec) (EvalLoop, error)
}

// DeviceSet is an image set resident on a device.
type DeviceSet interface {
	Len() int // number of images
	Dim() int // bytes per image
	Close() error
}

// TrainLoopSpec describes the training step a TrainLoop runs.
type TrainLoopSpec struct {
	Segment        Segment // the instructions of one step: forward, backward, update
	Images, Labels BufID   // the program inputs a batch is gathered into
	Mean, Std      float32 // pixel normalization: x = (v/255 − Mean)/Std
	StepsPerEpoch  int     // steps per epoch: the lr table's length
	LossEvery      int     // sample the loss every LossEvery steps (and at the epoch's last)
}

// TrainLoop runs training steps on the device. Its methods are called from
// one goroutine.
type TrainLoop interface {
	// StartEpoch sets the epoch's order and rates and clears the loss
	// accumulator: step k (0-based in the epoch) trains on the images
	// perm[k·B : (k+1)·B] (B the program's batch) with learning rate lr[k];
	// firstStep is the number of steps of the run before this epoch.
	// len(perm) is the set's length and len(lr) = StepsPerEpoch.
	StartEpoch(perm []int32, lr []float32, firstStep int) error
	// Step issues the epoch's next step without waiting for it. More than
	// StepsPerEpoch steps in one epoch is an error.
	Step() error
	// Loss waits for the steps issued so far and returns the epoch's sampled
	// losses.
	Loss() (LossStats, error)
	// Close releases what the loop holds on the device (not the set).
	Close() error
}

// LossStats are the losses sampled so far in an epoch.
type LossStats struct {
	Sum  float64 // of the sampled losses, in step order, in float64
	N    int     // number of losses sampled
	Last float32 // the last sampled loss
	// BadStep is the 0-based step of the run whose sampled loss was the first
	// NaN or infinite one, and BadLoss that loss; BadStep is -1 when none was.
	BadStep int
	BadLoss float32
}

// EvalLoopSpec describes the scoring pass an EvalLoop runs: the forward
// segment over the set in batches of the program's size.
type EvalLoopSpec struct {
	Forward        Segment
	Images, Labels BufID
	Logits         BufID // [batch, classes] scores
	Classes        int   // columns of Logits
	Mean, Std      float32
}

// EvalLoop scores a whole set on the device.
type EvalLoop interface {
	// Run feeds the set in order, batch after batch (the last one padded and
	// only its valid rows scored), and returns the number of images whose
	// logits' first maximum is the label and the sum over the images of the
	// cross-entropy −log softmax(logits)[label], computed in float64.
	// The caller sets the program's mode buffer (evaluation) first.
	Run() (correct int, lossSum float64, err error)
	Close() error
}

// CheckTrainLoop checks a TrainLoopSpec against the program it runs and the
// set it reads, with messages that name the field; every implementation
// calls it first. batch is the number of images of one step.
func CheckTrainLoop(p *Program, spec TrainLoopSpec, setLen, dim int) (batch int, err error) {
	batch, err = checkFeed(p, spec.Segment, spec.Images, spec.Labels, setLen, dim)
	if err != nil {
		return 0, fmt.Errorf("train loop: %w", err)
	}
	switch {
	case spec.StepsPerEpoch < 1 || spec.StepsPerEpoch*batch > setLen:
		return 0, fmt.Errorf("train loop: %d steps of %d images per epoch from a set of %d", spec.StepsPerEpoch, batch, setLen)
	case spec.LossEvery < 1:
		return 0, fmt.Errorf("train loop: loss sampled every %d steps, want ≥ 1", spec.LossEvery)
	case p.Loss < 0 || int(p.Loss) >= len(p.Buffers) || p.Buffers[p.Loss].Len < 1:
		return 0, errors.New("train loop: the program has no loss buffer")
	case spec.Std == 0:
		return 0, errors.New("train loop: normalization std is 0")
	}
	for _, c := range []struct {
		id   BufID
		n    int
		name string
	}{{p.Hyper, 2, "hyper [lr, step]"}, {p.Ctl, 2, "mode [training, step]"}} {
		if c.id >= 0 && (int(c.id) >= len(p.Buffers) || p.Buffers[c.id].Len < c.n) {
			return 0, fmt.Errorf("train loop: the program's %s buffer b%d is missing or shorter than %d", c.name, c.id, c.n)
		}
	}
	return batch, nil
}

// CheckEvalLoop is CheckTrainLoop for an EvalLoopSpec.
func CheckEvalLoop(p *Program, spec EvalLoopSpec, setLen, dim int) (batch int, err error) {
	batch, err = checkFeed(p, spec.Forward, spec.Images, spec.Labels, setLen, 0)
	if err != nil {
		return 0, fmt.Errorf("eval loop: %w", err)
	}
	if spec.Logits < 0 || int(spec.Logits) >= len(p.Buffers) {
		return 0, fmt.Errorf("eval loop: logits buffer b%d does not exist", spec.Logits)
	}
	if spec.Classes < 1 || p.Buffers[spec.Logits].Len != batch*spec.Classes {
		return 0, fmt.Errorf("eval loop: logits b%d %v hold %d floats, want batch %d × %d classes",
			spec.Logits, p.Buffers[spec.Logits].Shape, p.Buffers[spec.Logits].Len, batch, spec.Classes)
	}
	if p.Buffers[spec.Images].Len != batch*dim {
		return 0, fmt.Errorf("eval loop: images b%d hold %d floats, a batch of %d images of %d pixels needs %d",
			spec.Images, p.Buffers[spec.Images].Len, batch, dim, batch*dim)
	}
	if spec.Std == 0 {
		return 0, errors.New("eval loop: normalization std is 0")
	}
	return batch, nil
}

// checkFeed checks the segment and the two input buffers; batch is the
// labels buffer's length. dim > 0 also checks the images buffer and that
// one batch fits in the set.
func checkFeed(p *Program, seg Segment, images, labels BufID, setLen, dim int) (int, error) {
	if seg.Start < 0 || seg.End > len(p.Instrs) || seg.Start >= seg.End {
		return 0, fmt.Errorf("segment [%d, %d) is empty or outside the program's %d instructions", seg.Start, seg.End, len(p.Instrs))
	}
	for _, id := range []BufID{images, labels} {
		if id < 0 || int(id) >= len(p.Buffers) {
			return 0, fmt.Errorf("input buffer b%d does not exist", id)
		}
	}
	batch := p.Buffers[labels].Len
	if batch < 1 {
		return 0, fmt.Errorf("labels b%d hold no rows", labels)
	}
	if setLen < 1 {
		return 0, errors.New("the set is empty")
	}
	if dim > 0 {
		if p.Buffers[images].Len != batch*dim {
			return 0, fmt.Errorf("images b%d hold %d floats, a batch of %d images of %d pixels needs %d",
				images, p.Buffers[images].Len, batch, dim, batch*dim)
		}
		if batch > setLen {
			return 0, fmt.Errorf("a batch of %d from a set of %d images", batch, setLen)
		}
	}
	return batch, nil
}

// CheckEpoch checks StartEpoch's arguments.
func CheckEpoch(perm []int32, lr []float32, firstStep, setLen, stepsPerEpoch int) error {
	if len(perm) != setLen {
		return fmt.Errorf("permutation of %d rows for a set of %d", len(perm), setLen)
	}
	if len(lr) != stepsPerEpoch {
		return fmt.Errorf("%d learning rates for an epoch of %d steps", len(lr), stepsPerEpoch)
	}
	if firstStep < 0 {
		return fmt.Errorf("first step %d is negative", firstStep)
	}
	for i, k := range perm {
		if k < 0 || int(k) >= setLen {
			return fmt.Errorf("permutation entry %d is %d, outside [0, %d)", i, k, setLen)
		}
	}
	return nil
}
