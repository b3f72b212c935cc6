package train

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/gaborlab/gabor/kernels"
)

// DefaultDivergeFactor is how many times the best sampled loss so far a
// sampled loss may reach before the run is stopped as diverged. Losses below
// divergeFloor count as divergeFloor, so that a nearly perfect fit (batch
// losses of 1e-4) does not make one hard batch look like divergence: with the
// defaults a run stops once a batch loss exceeds max(best, 0.01)·1000 ≥ 10,
// far above the 2.3 of a 10-class model guessing.
const (
	DefaultDivergeFactor = 1000
	divergeFloor         = 0.01
)

// DivergedError stops a run whose loss became NaN or infinite, or grew past
// the divergence factor. The run directory keeps the checkpoint of the last
// epoch that completed before (none when it happened in the first epoch).
type DivergedError struct {
	Epoch, Step int     // epoch (1-based) and step of the epoch (1-based) of the bad loss
	Loss        float64 // the sampled loss
	Best        float64 // the best sampled loss before it (+Inf when none)
	Factor      float64 // the factor in force (0: only non-finite losses stop)
	// Tensor names the first parameter or gradient holding NaN or Inf after the
	// step ("fc1.weight", "gradient of fc1.weight"); "" when all are finite.
	Tensor string
	// Kept is the checkpoint left from the last good epoch ("" when none).
	Kept string
}

func (e *DivergedError) Error() string {
	what := fmt.Sprintf("the loss is %v at epoch %d step %d", e.Loss, e.Epoch, e.Step)
	if !math.IsNaN(e.Loss) && !math.IsInf(e.Loss, 0) {
		what = fmt.Sprintf("the loss %.4g at epoch %d step %d is more than %g× the best sampled loss so far (%.4g)",
			e.Loss, e.Epoch, e.Step, e.Factor, e.Best)
	}
	msg := "train: " + what + ": training diverged (try a lower learning rate)"
	if e.Tensor != "" {
		msg += "; first non-finite tensor: " + e.Tensor
	}
	if e.Kept != "" {
		msg += "; " + e.Kept + " keeps the last good epoch"
	} else {
		msg += "; nothing was saved (no epoch completed)"
	}
	return msg
}

// divergence checks one sampled loss against the best before it and
// updates the best; it returns a *DivergedError (Tensor and Kept unset) when
// the run must stop. factor ≤ 0 checks finiteness only.
func divergence(l float64, best *float64, factor float64, epoch, step int) *DivergedError {
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return &DivergedError{Epoch: epoch, Step: step, Loss: l, Best: *best, Factor: factor}
	}
	if factor > 0 && l > factor*max(*best, divergeFloor) {
		return &DivergedError{Epoch: epoch, Step: step, Loss: l, Best: *best, Factor: factor}
	}
	*best = min(*best, l)
	return nil
}

// diverged completes a DivergedError with the first non-finite parameter or
// gradient and the checkpoint kept.
func (t *trainer) diverged(e *DivergedError) error {
	e.Tensor = firstNonFinite(t.b.prog, t.exe)
	if t.published {
		e.Kept = filepath.Join(t.runDir, CheckpointFile)
	}
	return e
}

// firstNonFinite reads every parameter, then every gradient (as the last
// step left it), and names the first holding NaN or Inf; "" when none does
// or they cannot be read.
func firstNonFinite(p *kernels.Program, exe kernels.Executable) string {
	if exe.Sync() != nil {
		return ""
	}
	bad := func(id kernels.BufID) bool {
		v := make([]float32, p.Buf(id).Len)
		if exe.Read(id, v) != nil {
			return false
		}
		for _, x := range v {
			if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
				return true
			}
		}
		return false
	}
	for _, s := range p.Params {
		if bad(s.Value) {
			return s.Name
		}
	}
	for _, s := range p.Params {
		if s.Grad >= 0 && bad(s.Grad) {
			return "gradient of " + s.Name
		}
	}
	return ""
}
