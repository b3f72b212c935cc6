package cpu

import (
	"runtime"
	"sync"
)

// The worker pool: GOMAXPROCS−1 goroutines started once, fed ranges of work.
// Kernels split their outer loop with parallelFor; the caller runs one chunk
// itself, so a 1-core machine never hands work to another goroutine.
//
// Two properties matter beyond speed:
//   - No allocation per call: the join counter comes from a free list and
//     callers pass function values built once (at Load), so a steady-state
//     training step allocates nothing.
//   - Nesting is safe: a chunk may itself call parallelFor (a convolution
//     calling Sgemm). A send never blocks (a full queue runs the chunk
//     inline) and a waiting caller drains the queue before it sleeps, so the
//     chunks it waits for are always either done or running somewhere.

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	poolOnce sync.Once
	poolCh   chan task
	nWorkers int
	// joins is a free list of join counters. A buffered channel rather than
	// a sync.Pool: a Pool may drop entries (at every GC, and at random under
	// the race detector), and each drop is an allocation in a step.
	joins = make(chan *sync.WaitGroup, 64)
)

func getJoin() *sync.WaitGroup {
	select {
	case wg := <-joins:
		return wg
	default:
		return new(sync.WaitGroup)
	}
}

func putJoin(wg *sync.WaitGroup) {
	select {
	case joins <- wg:
	default:
	}
}

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
	wg := getJoin()
	step := (n + chunks - 1) / chunks
	for lo := step; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		select {
		case poolCh <- task{fn, lo, hi, wg}:
		default: // queue full: do it here rather than block
			fn(lo, hi)
			wg.Done()
		}
	}
	fn(0, step)
	// Help with queued work (ours or anyone's) before sleeping on our own.
	for {
		select {
		case t := <-poolCh:
			t.fn(t.lo, t.hi)
			t.wg.Done()
			continue
		default:
		}
		break
	}
	wg.Wait()
	putJoin(wg)
}
