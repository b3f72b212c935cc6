package cpu

import (
	"runtime"
	"sync"
)

// The worker pool: GOMAXPROCS goroutines started once, fed ranges of work.
// Kernels split their outer loop with parallelFor; the caller runs one chunk
// itself, so a 1-core machine never hands work to another goroutine.

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	poolOnce sync.Once
	poolCh   chan task
	nWorkers int
)

func startPool() {
	nWorkers = runtime.GOMAXPROCS(0)
	poolCh = make(chan task, 4*nWorkers)
	for i := 1; i < nWorkers; i++ {
		go func() {
			for t := range poolCh {
				t.fn(t.lo, t.hi)
				t.wg.Done()
			}
		}()
	}
}

// Workers is the number of goroutines parallelFor spreads work over.
func Workers() int {
	poolOnce.Do(startPool)
	return nWorkers
}

// parallelFor calls fn over [0, n) split into at most Workers() contiguous
// chunks of at least grain items each, and returns when all are done.
func parallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	w := Workers()
	if grain < 1 {
		grain = 1
	}
	chunks := n / grain
	if chunks > w {
		chunks = w
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(chunks - 1)
	step := (n + chunks - 1) / chunks
	lo0, hi0 := 0, step
	for lo := step; lo < n; lo += step {
		hi := lo + step
		if hi > n {
			hi = n
		}
		poolCh <- task{fn, lo, hi, &wg}
	}
	fn(lo0, hi0)
	wg.Wait()
}
