package data

import (
	"fmt"
	"runtime"
	"sync"
)

// Gather writes the images set[idx[k]] as normalized float32 into x, NCHW with C = 1
// (x has len(idx)·H·W elements), and their labels as float32 into y (len(idx); may be
// nil). Each pixel becomes (v/255 − mean)/std computed in float32 exactly as the
// reference programs do, so the batches are bit-identical to theirs. It allocates
// nothing; large batches are split over a fixed pool of goroutines.
func Gather(set *Set, idx []int32, x, y []float32, mean, std float32) error {
	st := statePool.Get().(*gatherState)
	defer statePool.Put(st)
	if st.mean != mean || st.std != std || !st.ready {
		fillLUT(&st.lut, mean, std)
		st.mean, st.std, st.ready = mean, std, true
	}
	return gatherLUT(set, idx, x, y, st)
}

// gatherState is per-call scratch, recycled so Gather allocates nothing in steady state.
type gatherState struct {
	lut       [256]float32
	mean, std float32
	ready     bool
	wg        sync.WaitGroup
}

var statePool = sync.Pool{New: func() any { return new(gatherState) }}

// fillLUT tabulates the 256 possible normalized values. Computing each once and looking
// it up is exact (same float32 operations) and turns the per-pixel work into one load.
func fillLUT(lut *[256]float32, mean, std float32) {
	for v := range lut {
		lut[v] = (float32(v)/255 - mean) / std
	}
}

func gatherLUT(set *Set, idx []int32, x, y []float32, st *gatherState) error {
	lut := &st.lut
	px := set.H * set.W
	if len(x) != len(idx)*px {
		return fmt.Errorf("data: Gather: x has %d elements, want len(idx)·H·W = %d·%d·%d = %d",
			len(x), len(idx), set.H, set.W, len(idx)*px)
	}
	if y != nil && len(y) != len(idx) {
		return fmt.Errorf("data: Gather: y has %d elements, want len(idx) = %d", len(y), len(idx))
	}
	for k, i := range idx {
		if i < 0 || int(i) >= set.N {
			return fmt.Errorf("data: Gather: idx[%d] = %d out of range [0,%d)", k, i, set.N)
		}
	}
	if y != nil {
		for k, i := range idx {
			y[k] = float32(set.Labels[i])
		}
	}
	// Below ~128 KiB of output one goroutine is faster than the hand-off.
	const minParallel = 1 << 15
	workers := runtime.GOMAXPROCS(0)
	if len(x) < minParallel || workers == 1 {
		gatherRange(set, idx, x, lut, 0, len(idx))
		return nil
	}
	p := pool()
	chunk := (len(idx) + workers - 1) / workers
	wg := &st.wg
	for lo := 0; lo < len(idx); lo += chunk {
		hi := min(lo+chunk, len(idx))
		wg.Add(1)
		p.jobs <- gatherJob{set: set, idx: idx, x: x, lut: lut, lo: lo, hi: hi, wg: wg}
	}
	wg.Wait()
	return nil
}

func gatherRange(set *Set, idx []int32, x []float32, lut *[256]float32, lo, hi int) {
	px := set.H * set.W
	for k := lo; k < hi; k++ {
		src := set.Images[int(idx[k])*px : int(idx[k]+1)*px]
		dst := x[k*px : (k+1)*px]
		for j, v := range src {
			dst[j] = lut[v]
		}
	}
}

type gatherJob struct {
	set    *Set
	idx    []int32
	x      []float32
	lut    *[256]float32
	lo, hi int
	wg     *sync.WaitGroup
}

type gatherPool struct{ jobs chan gatherJob }

var (
	poolOnce sync.Once
	thePool  *gatherPool
)

// pool starts, once per process, GOMAXPROCS workers that serve gather jobs. They live
// as long as the process: a training run gathers every step, and a fixed pool keeps
// Gather free of goroutine and closure allocations.
func pool() *gatherPool {
	poolOnce.Do(func() {
		thePool = &gatherPool{jobs: make(chan gatherJob, 64)}
		for range runtime.GOMAXPROCS(0) {
			go func() {
				for j := range thePool.jobs {
					gatherRange(j.set, j.idx, j.x, j.lut, j.lo, j.hi)
					j.wg.Done()
				}
			}()
		}
	})
	return thePool
}
