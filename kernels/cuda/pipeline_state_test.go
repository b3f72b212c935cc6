package cuda

import (
	"math"
	"strings"
	"testing"
)

// TestEpochState: a fresh epoch's state decodes to nothing sampled, no bad
// loss, no step done, and the run's step where the loop starts.
func TestEpochState(t *testing.T) {
	s := epochState(936)
	got := lossStats(s)
	if got.Sum != 0 || got.N != 0 || got.BadStep != -1 || stepsDone(s) != 0 {
		t.Fatalf("fresh state decodes to %+v, %d steps done", got, stepsDone(s))
	}
	if int64(s[stStep]) != 936 {
		t.Fatalf("run step slot = %d, want 936", int64(s[stStep]))
	}
}

// TestLossStatsDecode: the slots pipeline.cu writes (a double, i64s and
// floats in the low half of their slot) decode to the same values.
func TestLossStatsDecode(t *testing.T) {
	var s [stSlots]uint64
	s[stK] = 17
	s[stSum] = math.Float64bits(3.25)
	s[stN] = 5
	s[stLast] = uint64(math.Float32bits(0.625))
	s[stBad] = uint64(41)
	s[stBadLoss] = uint64(math.Float32bits(float32(math.Inf(1))))
	got := lossStats(s)
	if got.Sum != 3.25 || got.N != 5 || got.Last != 0.625 || got.BadStep != 41 || !math.IsInf(float64(got.BadLoss), 1) || stepsDone(s) != 17 {
		t.Fatalf("decoded %+v, %d steps", got, stepsDone(s))
	}
	var e [esSlots]uint64
	e[esLoss] = math.Float64bits(1234.5)
	e[esCorrect] = 8765
	c, l := evalResult(e)
	if c != 8765 || l != 1234.5 {
		t.Fatalf("eval state decodes to %d, %v", c, l)
	}
}

// TestPositionsAreExact: positions travel as floats; every integer below
// maxPos is exact in float32 and the next odd one is not, so maxPos is the
// right bound.
func TestPositionsAreExact(t *testing.T) {
	for _, v := range []int{0, 1, 59904, 60000 - 1, maxPos - 1, maxPos} {
		if int(float32(v)) != v {
			t.Fatalf("%d is not exact in float32", v)
		}
	}
	if int(float32(maxPos+1)) == maxPos+1 {
		t.Fatalf("%d is exact in float32: maxPos could be larger", maxPos+1)
	}
}

func TestEvalBatches(t *testing.T) {
	for _, c := range []struct{ n, b, want int }{{10000, 128, 79}, {128, 128, 1}, {129, 128, 2}, {1, 128, 1}} {
		if got := evalBatches(c.n, c.b); got != c.want {
			t.Errorf("evalBatches(%d, %d) = %d, want %d", c.n, c.b, got, c.want)
		}
	}
}

func TestNVRMVersion(t *testing.T) {
	text := "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 07:09:58 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
	if got := nvrmVersion(text); got != "580.65.06" {
		t.Fatalf("nvrmVersion = %q, want 580.65.06", got)
	}
	open := "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.124.06  Release Build  (dvs-builder@U16-I3-B13-4-2)\n"
	if got := nvrmVersion(open); got != "570.124.06" {
		t.Fatalf("open module: nvrmVersion = %q, want 570.124.06", got)
	}
	if got := nvrmVersion("something else\n"); got != "" {
		t.Fatalf("nvrmVersion of unrelated text = %q, want empty", got)
	}
}

func TestMemoryAdvice(t *testing.T) {
	msg := memoryAdvice(3<<20, 1<<30, 512<<20, 80<<30)
	for _, s := range []string{"3.0 MiB", "1024.0 MiB", "512.0 MiB free", "81920.0 MiB", "smaller --batch"} {
		if !strings.Contains(msg, s) {
			t.Errorf("advice %q does not mention %q", msg, s)
		}
	}
}
