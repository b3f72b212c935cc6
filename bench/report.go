package bench

import (
	"encoding/json"
	"io"
)

// Implementations compared.
const (
	ImplGabor   = "gabor"
	ImplPyTorch = "pytorch"
)

// Report is everything one `gabor bench` sitting measured: the --json output.
type Report struct {
	Machine Machine   `json:"machine"`
	Options Settings  `json:"options"`
	Results []Result  `json:"results"`
	Compare []Ratio   `json:"compare,omitempty"`
	Notes   []string  `json:"notes,omitempty"`
	PyTorch *TorchEnv `json:"pytorch,omitempty"`
}

// Settings are the options a report was measured with, as they appear in the
// JSON.
type Settings struct {
	Models  []string `json:"models"`
	Devices []string `json:"devices"`
	Batches []int    `json:"batches"`
	Epochs  int      `json:"epochs"`
	Warmup  int      `json:"warmup"`
	Repeat  int      `json:"repeat"`
	Limit   int      `json:"limit"`
	Seed    uint64   `json:"seed"`
	Dataset string   `json:"dataset"`
}

// Result is one workload (implementation, model, device, batch).
type Result struct {
	Impl   string `json:"impl"`
	Model  string `json:"model"`
	Device string `json:"device"`
	// DeviceName describes the device ("2-core CPU (amd64, AVX-512)").
	DeviceName string `json:"device_name,omitempty"`
	Batch      int    `json:"batch"`

	StepsPerEpoch  int `json:"steps_per_epoch"`
	ImagesPerEpoch int `json:"images_per_epoch"`

	// EpochS holds every measured epoch of every repeat, in order.
	EpochS       []float64 `json:"epoch_s"`
	EpochSMedian float64   `json:"epoch_s_median"`
	EpochSStats  Summary   `json:"epoch_s_stats"`
	ImagesPerS   float64   `json:"images_per_s"`
	// ImagesPerSRange is images/s at the slowest and the fastest epoch.
	ImagesPerSRange [2]float64 `json:"images_per_s_range"`
	// SpeedupVsCPU is the CPU median of the same impl, model and batch ÷ this
	// median; null when there is no such CPU row.
	SpeedupVsCPU *float64 `json:"speedup_vs_cpu"`

	// Warm-up, reported apart: the set-up (build, compile, load) of each
	// repeat, the warm-up epochs of each repeat in order, and the very first
	// epoch run (warm-up or not).
	SetupS       []float64 `json:"setup_s"`
	WarmupEpochS []float64 `json:"warmup_epoch_s"`
	FirstEpochS  float64   `json:"first_epoch_s"`

	ArenaBytes        int64    `json:"arena_bytes"`
	PeakRSSBytes      int64    `json:"peak_rss_bytes"`
	GoHeapBytes       int64    `json:"go_heap_bytes,omitempty"`
	AllocBytesPerStep float64  `json:"alloc_bytes_per_step"`
	TrainLoss         float64  `json:"train_loss"`
	Profile           *Profile `json:"profile,omitempty"`
}

// Ratio compares gabor with PyTorch on one workload.
type Ratio struct {
	Model       string  `json:"model"`
	Device      string  `json:"device"`
	Batch       int     `json:"batch"`
	GaborEpochS float64 `json:"gabor_epoch_s"`
	TorchEpochS float64 `json:"pytorch_epoch_s"`
	// Ratio is gabor images/s ÷ PyTorch images/s (= PyTorch median epoch ÷
	// gabor median epoch when both train the same images): > 1, gabor is faster.
	Ratio float64 `json:"ratio"`
}

// finish fills each result's summary fields from its epochs.
func (r *Result) finish() {
	s := Summarize(r.EpochS)
	if s.N == 0 {
		s = Summary{} // JSON has no NaN: an empty sample reads as zeros, n = 0
	}
	r.EpochSStats, r.EpochSMedian = s, s.Median
	if s.N > 0 && s.Median > 0 {
		r.ImagesPerS = float64(r.ImagesPerEpoch) / s.Median
		r.ImagesPerSRange = [2]float64{float64(r.ImagesPerEpoch) / s.Max, float64(r.ImagesPerEpoch) / s.Min}
	}
}

// fillSpeedups sets SpeedupVsCPU of every result that has a CPU counterpart.
func fillSpeedups(rs []Result) {
	for i := range rs {
		rs[i].SpeedupVsCPU = nil
		for _, c := range rs {
			if c.Device == "cpu" && c.Impl == rs[i].Impl && c.Model == rs[i].Model && c.Batch == rs[i].Batch &&
				c.EpochSMedian > 0 && rs[i].EpochSMedian > 0 {
				v := c.EpochSMedian / rs[i].EpochSMedian
				rs[i].SpeedupVsCPU = &v
			}
		}
	}
}

// Compare pairs every gabor result with the PyTorch result of the same
// model, device and batch.
func Compare(rs []Result) []Ratio {
	var out []Ratio
	for _, g := range rs {
		if g.Impl != ImplGabor {
			continue
		}
		for _, p := range rs {
			if p.Impl != ImplPyTorch || p.Model != g.Model || p.Device != g.Device || p.Batch != g.Batch {
				continue
			}
			if g.ImagesPerS > 0 && p.ImagesPerS > 0 {
				out = append(out, Ratio{Model: g.Model, Device: g.Device, Batch: g.Batch,
					GaborEpochS: g.EpochSMedian, TorchEpochS: p.EpochSMedian, Ratio: g.ImagesPerS / p.ImagesPerS})
			}
		}
	}
	return out
}

// Finish computes the derived fields: summaries, speed-ups and comparisons.
func (rep *Report) Finish() {
	for i := range rep.Results {
		rep.Results[i].finish()
	}
	fillSpeedups(rep.Results)
	rep.Compare = Compare(rep.Results)
}

// WriteJSON writes the report as one JSON object on one line.
func (rep *Report) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(rep)
}
