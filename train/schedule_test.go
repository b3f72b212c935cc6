package train

import (
	"math"
	"testing"
)

func sched(t *testing.T, kind string, base float64, step, total int) float64 {
	t.Helper()
	v, err := Schedule(kind, base, step, total)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleConstant(t *testing.T) {
	for _, s := range []int{0, 1, 50, 99} {
		if got := sched(t, ScheduleConstant, 0.05, s, 100); got != 0.05 {
			t.Errorf("step %d: %g, want 0.05", s, got)
		}
	}
}

func TestScheduleCosine(t *testing.T) {
	const base, total = 0.1, 1000
	if got := sched(t, ScheduleCosine, base, 0, total); got != base {
		t.Errorf("step 0: %g, want %g", got, base)
	}
	// Half way: cos(π/2) = 0, so half the base rate.
	if got := sched(t, ScheduleCosine, base, total/2, total); math.Abs(got-base/2) > 1e-12 {
		t.Errorf("mid-run: %g, want %g", got, base/2)
	}
	// Last step: ½(1 + cos(π·999/1000)) ≈ (π/1000)²/4 ≈ 2.5e-6 of base.
	last := sched(t, ScheduleCosine, base, total-1, total)
	if last <= 0 || last > base*1e-5 {
		t.Errorf("last step: %g, want ~0 (positive, below %g)", last, base*1e-5)
	}
	prev := math.Inf(1)
	for s := 0; s < total; s++ {
		v := sched(t, ScheduleCosine, base, s, total)
		if v > prev {
			t.Fatalf("cosine rises at step %d: %g > %g", s, v, prev)
		}
		prev = v
	}
}

func TestScheduleOneCycle(t *testing.T) {
	const base = 0.05
	for _, total := range []int{10, 468, 1404} {
		peak := int(0.3 * float64(total))
		best, bestStep := -1.0, -1
		for s := 0; s < total; s++ {
			if v := sched(t, ScheduleOneCycle, base, s, total); v > best {
				best, bestStep = v, s
			}
		}
		if bestStep != peak || math.Abs(best-base) > 1e-15 {
			t.Errorf("total %d: peak %g at step %d, want %g at step %d", total, best, bestStep, base, peak)
		}
		if got := sched(t, ScheduleOneCycle, base, 0, total); math.Abs(got-base/25) > 1e-15 {
			t.Errorf("total %d: first rate %g, want base/25 = %g", total, got, base/25)
		}
		if got, want := sched(t, ScheduleOneCycle, base, total-1, total), base/25/1e4; math.Abs(got-want) > 1e-15 {
			t.Errorf("total %d: last rate %g, want base/25/1e4 = %g", total, got, want)
		}
	}
	// A single step: the peak.
	if got := sched(t, ScheduleOneCycle, base, 0, 1); got != base {
		t.Errorf("total 1: %g, want %g", got, base)
	}
}

func TestScheduleUnknown(t *testing.T) {
	if _, err := Schedule("triangle", 0.1, 0, 10); err == nil {
		t.Error("no error for an unknown schedule")
	}
}

func TestRateAtWarmup(t *testing.T) {
	c := DefaultConfig("mlp")
	c.LR, c.WarmupSteps = 0.04, 3
	want := []float64{0.01, 0.02, 0.03, 0.04, 0.04}
	for s, w := range want {
		if got := c.RateAt(s, 100); math.Abs(got-w) > 1e-15 {
			t.Errorf("step %d: %g, want %g", s, got, w)
		}
	}
}
