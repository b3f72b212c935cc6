package train

import (
	"fmt"
	"math"
)

// Learning-rate schedules. Each is a pure function of the step (0-based, counted
// over the whole run) and the run's total number of steps, so a resumed run
// recomputes exactly the rates the uninterrupted run used.
const (
	ScheduleConstant = "constant" // lr = base
	ScheduleCosine   = "cosine"   // half a cosine from base down to 0
	ScheduleOneCycle = "onecycle" // warm up from base/25 to base, then anneal to ~0
)

// Schedules lists the schedule names Config accepts.
func Schedules() []string { return []string{ScheduleConstant, ScheduleCosine, ScheduleOneCycle} }

// One-cycle constants, as in the usual formulation (Smith & Topin; PyTorch's
// OneCycleLR defaults): the rate rises for the first 30% of the steps from
// base/25 to base, then falls to base/25/10⁴, both phases following half a cosine.
const (
	oneCycleRise     = 0.3
	oneCycleDivStart = 25.0
	oneCycleDivFinal = 1e4
)

// Schedule returns the learning rate of step (0 ≤ step < total) under the
// named schedule with peak (or constant) rate base.
//
//	constant:  base
//	cosine:    base · ½(1 + cos(π·step/total))           (base at step 0, → 0 at the end)
//	onecycle:  with p = ⌊0.3·total⌋ the peak step and
//	           cos(a, b, t) = b + (a−b)·½(1 + cos(π·t)):
//	             step ≤ p:  cos(base/25, base, step/p)
//	             step > p:  cos(base, base/25/10⁴, (step−p)/(total−1−p))
//
// An unknown kind is an error (Config.Validate catches it first); steps outside
// [0, total) are clamped to it.
func Schedule(kind string, base float64, step, total int) (float64, error) {
	if total < 1 {
		total = 1
	}
	step = min(max(step, 0), total-1)
	switch kind {
	case ScheduleConstant, "":
		return base, nil
	case ScheduleCosine:
		return base * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total))), nil
	case ScheduleOneCycle:
		start := base / oneCycleDivStart
		final := start / oneCycleDivFinal
		peak := int(oneCycleRise * float64(total))
		if step <= peak {
			if peak == 0 {
				return base, nil
			}
			return cosAnneal(start, base, float64(step)/float64(peak)), nil
		}
		return cosAnneal(base, final, float64(step-peak)/float64(total-1-peak)), nil
	}
	return 0, fmt.Errorf("train: unknown schedule %q (known: %v)", kind, Schedules())
}

// cosAnneal goes from a (t = 0) to b (t = 1) along half a cosine.
func cosAnneal(a, b, t float64) float64 {
	return b + (a-b)*0.5*(1+math.Cos(math.Pi*t))
}

// warmupFactor scales the rate linearly from 1/(warmup+1) at step 0 up to 1 at
// step warmup, and is 1 afterwards (and always, when warmup is 0).
func warmupFactor(step, warmup int) float64 {
	if warmup <= 0 || step >= warmup {
		return 1
	}
	return float64(step+1) / float64(warmup+1)
}

// RateAt is the learning rate the loop writes for a step: the schedule times
// the warmup.
func (c *Config) RateAt(step, total int) float64 {
	lr, err := Schedule(c.Schedule, c.LR, step, total)
	if err != nil {
		return math.NaN() // unreachable after Validate
	}
	return lr * warmupFactor(step, c.WarmupSteps)
}
