package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
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
//   - Hand-offs are cheap: a training step calls parallelFor tens of times,
//     microseconds apart. Waking a parked worker goes through the OS (and,
//     in a virtual machine, the hypervisor), which took 30-50 µs on the
//     2-vCPU test machine: longer than a small product (the MLP's 10-class
//     layer) takes on one core. So a worker polls the queue for a while
//     after each task before it parks, and a caller polls its join counter
//     before it sleeps on it; between steps and after training they park.

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	j      *join
}

// join counts a call's outstanding chunks twice: left, which a waiting
// caller polls, and wg, which it sleeps on once it stops polling. A chunk
// decrements left before wg, so a caller that returns after wg.Wait never
// sees a late decrement of a counter it has already reused.
type join struct {
	left atomic.Int32
	wg   sync.WaitGroup
}

func (t task) run() {
	t.fn(t.lo, t.hi)
	t.j.left.Add(-1)
	t.j.wg.Done()
}

// spinPolls is how many times a worker polls the queue after a task, and a
// caller its join, before parking (each poll is tens of nanoseconds; every
// 64th yields the processor to any other goroutine): about 50-100 µs.
const spinPolls = 4096

// nextTask returns the next queued task, polling before it blocks; ok is
// false when the queue is closed.
func nextTask() (t task, ok bool) {
	for i := range spinPolls {
		select {
		case t, ok = <-poolCh:
			return t, ok
		default:
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	t, ok = <-poolCh
	return t, ok
}

var (
	poolOnce sync.Once
	poolCh   chan task
	nWorkers int
	// joins is a free list of join counters. A buffered channel rather than
	// a sync.Pool: a Pool may drop entries (at every GC, and at random under
	// the race detector), and each drop is an allocation in a step.
	joins = make(chan *join, 64)
)

func getJoin() *join {
	select {
	case j := <-joins:
		return j
	default:
		return new(join)
	}
}

func putJoin(j *join) {
	select {
	case joins <- j:
	default:
	}
}

func startPool() {
	nWorkers = runtime.GOMAXPROCS(0)
	poolCh = make(chan task, 4*nWorkers)
	for i := 1; i < nWorkers; i++ {
		go func() {
			for {
				t, ok := nextTask()
				if !ok {
					return
				}
				t.run()
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
	j := getJoin()
	step := (n + chunks - 1) / chunks
	for lo := step; lo < n; lo += step {
		t := task{fn, lo, min(lo+step, n), j}
		j.left.Add(1)
		j.wg.Add(1)
		select {
		case poolCh <- t:
		default: // queue full: do it here rather than block
			t.run()
		}
	}
	fn(0, step)
	// Help with queued work (ours or anyone's) and poll our own chunks
	// before sleeping on them.
	for i := 0; j.left.Load() > 0 && i < spinPolls; i++ {
		select {
		case t := <-poolCh:
			t.run()
			continue
		default:
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	for j.left.Load() > 0 { // still waiting: empty the queue before sleeping
		select {
		case t := <-poolCh:
			t.run()
			continue
		default:
		}
		break
	}
	j.wg.Wait()
	putJoin(j)
}
