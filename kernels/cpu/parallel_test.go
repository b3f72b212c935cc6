package cpu

import (
	"sync/atomic"
	"testing"
)

// TestParallelForCoversEachIndexOnce checks the split over sizes around the
// grain and the worker count: every index exactly once, no range empty.
func TestParallelForCoversEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 64, 1000, 1025} {
		for _, grain := range []int{0, 1, 3, 100, 5000} {
			hits := make([]int32, n)
			parallelFor(n, grain, func(lo, hi int) {
				if lo >= hi {
					t.Errorf("n=%d grain=%d: empty range [%d, %d)", n, grain, lo, hi)
				}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("n=%d grain=%d: index %d visited %d times", n, grain, i, h)
				}
			}
		}
	}
}

// TestParallelForNests runs parallelFor inside parallelFor, three deep and
// from several goroutines at once, as a convolution calling Sgemm does; it
// must neither deadlock nor lose work.
func TestParallelForNests(t *testing.T) {
	var total atomic.Int64
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			parallelFor(8, 1, func(lo, hi int) {
				for range hi - lo {
					parallelFor(16, 1, func(lo, hi int) {
						parallelFor(hi-lo, 1, func(lo, hi int) { total.Add(int64(hi - lo)) })
					})
				}
			})
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	if got := total.Load(); got != 4*8*16 {
		t.Fatalf("nested parallelFor did %d units of work, want %d", got, 4*8*16)
	}
}
