package train

import (
	"math"
	"sort"
)

// Event is what Run reports while it trains: a *ProgressEvent every few steps,
// an *EpochEvent after each epoch. Each marshals to one JSON object whose
// "event" key names its kind (the --json output of `gabor train`).
type Event interface{ Kind() string }

// ProgressEvent reports training progress within an epoch.
type ProgressEvent struct {
	Event      string  `json:"event"`        // "progress"
	Epoch      int     `json:"epoch"`        // 1-based epoch being trained
	Step       int     `json:"step"`         // steps done in the whole run
	Steps      int     `json:"steps"`        // steps of the whole run
	EpochStep  int     `json:"epoch_step"`   // steps done in this epoch
	EpochSteps int     `json:"epoch_steps"`  // steps per epoch
	Loss       float64 `json:"loss"`         // mean loss over the steps since the last progress event
	ImagesPerS float64 `json:"images_per_s"` // training throughput of this epoch so far
	ETAS       float64 `json:"eta_s"`        // estimated seconds of training left (evaluation excluded)
}

// Kind returns "progress".
func (*ProgressEvent) Kind() string { return "progress" }

// EpochEvent reports a finished epoch. TestAcc is nil when the epoch was not
// evaluated (Config.EvalEvery).
type EpochEvent struct {
	Event      string   `json:"event"` // "epoch"
	Epoch      int      `json:"epoch"` // 1-based
	TrainLoss  float64  `json:"train_loss"`
	TestAcc    *float64 `json:"test_acc"`
	EpochS     float64  `json:"epoch_s"`      // wall time of the training loop only
	ImagesPerS float64  `json:"images_per_s"` // images trained / EpochS
}

// Kind returns "epoch".
func (*EpochEvent) Kind() string { return "epoch" }

// Record is one line of metrics.jsonl: the epoch event and a few more facts.
type Record struct {
	EpochEvent
	Step       int      `json:"step"`      // steps done in the run at the end of the epoch
	LR         float64  `json:"lr"`        // rate of the epoch's last step
	TestLoss   *float64 `json:"test_loss"` // mean cross-entropy on the test set, when evaluated
	Images     int      `json:"images"`    // images trained in the epoch
	Checkpoint string   `json:"checkpoint"`
}

// Result is the summary of a run: the "done" event of --json.
type Result struct {
	Event      string    `json:"event"` // "done"
	Model      string    `json:"model"`
	Device     string    `json:"device"` // backend name: cpu, cuda
	Dataset    string    `json:"dataset"`
	Epochs     int       `json:"epochs"`   // epochs completed
	TestAcc    float64   `json:"test_acc"` // after the last completed epoch that was evaluated
	TrainLoss  float64   `json:"train_loss"`
	EpochS     []float64 `json:"epoch_s"`      // per epoch, resumed runs included
	ImagesPerS float64   `json:"images_per_s"` // at the median epoch time
	RunDir     string    `json:"run_dir"`
	Checkpoint string    `json:"checkpoint"`
	// DeviceName describes the hardware ("2-core CPU (amd64, AVX-512)").
	DeviceName string `json:"device_name"`
}

// Kind returns "done".
func (*Result) Kind() string { return "done" }

// median of a non-empty slice (the mean of the middle two for even lengths).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// summarize builds the Result from the metrics records of a run.
func summarize(r *Result, recs []Record, images int) {
	r.Event = "done"
	r.Epochs = len(recs)
	r.EpochS = r.EpochS[:0]
	for _, rec := range recs {
		r.EpochS = append(r.EpochS, rec.EpochS)
		r.TrainLoss = rec.TrainLoss
		if rec.TestAcc != nil {
			r.TestAcc = *rec.TestAcc
		}
	}
	if m := median(r.EpochS); m > 0 {
		r.ImagesPerS = float64(images) / m
	}
}
