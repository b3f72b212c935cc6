package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// Options say what to measure. Every combination of Models × Devices ×
// Batches is one workload.
type Options struct {
	Models  []string // names of models.Names(); the canonical ones are mlp, lenet, convnet
	Devices []string // backend names: cpu, cuda
	Batches []int    // batch sizes, each ≥ 1
	Epochs  int      // measured epochs per repeat (≥ 1)
	Warmup  int      // epochs run before the measured ones and reported apart (≥ 0)
	Repeat  int      // times each workload is set up and measured afresh (≥ 1)
	Limit   int      // train on the first Limit images (0: all)
	Seed    uint64   // initial weights and shuffle, as train.Config.Seed
	Profile bool     // one more epoch, timed per instruction (see the package doc)
}

// DefaultOptions are the canonical workloads at the recipe's batch size: 3
// measured epochs after 1 warm-up epoch, on every device that opens.
func DefaultOptions() Options {
	return Options{
		Models:  []string{"mlp", "lenet", "convnet"},
		Devices: AvailableDevices(),
		Batches: []int{128},
		Epochs:  3,
		Warmup:  1,
		Repeat:  1,
		Seed:    1,
	}
}

// AvailableDevices lists the backends built into this binary that open here,
// cpu first.
func AvailableDevices() []string {
	var out []string
	for _, name := range kernels.Names() {
		if _, err := kernels.Open(name); err == nil {
			out = append(out, name)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "cpu":
			return -1
		case b == "cpu":
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

// Validate checks the options, reporting every problem at once, each naming
// its flag. A device is checked by opening it (kernels.Open), so a cuda device
// in a CPU-only build or on a machine without a GPU is reported with the
// backend's own reason.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(o.Models) == 0 {
		bad("--models: no model given (known: %s)", strings.Join(models.Names(), ", "))
	}
	for _, m := range o.Models {
		if !slices.Contains(models.Names(), m) {
			bad("--models: unknown model %q (known: %s)", m, strings.Join(models.Names(), ", "))
		}
	}
	if len(o.Devices) == 0 {
		bad("--devices: no device given (built in: %s)", strings.Join(kernels.Names(), ", "))
	}
	for _, d := range o.Devices {
		if _, err := kernels.Open(d); err != nil {
			errs = append(errs, &DeviceError{Device: d, Err: err})
		}
	}
	if len(o.Batches) == 0 {
		bad("--batch: no batch size given")
	}
	for _, b := range o.Batches {
		if b < 1 {
			bad("--batch: batch sizes must be at least 1 (got %d)", b)
		}
		if o.Limit > 0 && b > o.Limit {
			bad("--batch %d is larger than --limit %d: no full batch to train on", b, o.Limit)
		}
	}
	if o.Epochs < 1 {
		bad("--epochs must be at least 1 (got %d)", o.Epochs)
	}
	if o.Warmup < 0 {
		bad("--warmup must be 0 or more (got %d)", o.Warmup)
	}
	if o.Repeat < 1 {
		bad("--repeat must be at least 1 (got %d)", o.Repeat)
	}
	if o.Limit < 0 {
		bad("--limit must be 0 (all images) or positive (got %d)", o.Limit)
	}
	for _, list := range [][]string{o.Models, o.Devices} {
		if dup := firstDuplicate(list); dup != "" {
			bad("%q is listed twice", dup)
		}
	}
	if dup := firstDuplicate(intStrings(o.Batches)); dup != "" {
		bad("--batch: %s is listed twice", dup)
	}
	return errors.Join(errs...)
}

// DeviceError is a device asked for that does not open in this build or on
// this machine.
type DeviceError struct {
	Device string
	Err    error
}

func (e *DeviceError) Error() string { return fmt.Sprintf("--devices: %v", e.Err) }
func (e *DeviceError) Unwrap() error { return e.Err }

func firstDuplicate(xs []string) string {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}

func intStrings(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprint(x)
	}
	return out
}
