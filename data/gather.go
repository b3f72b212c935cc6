package data

import (
	"fmt"
	"runtime"
	"sync"
)

// Gather writes the examples set[idx[k]] into x and their targets into y (may be
// nil). It allocates nothing.
//
// Images become normalized float32, NCHW with C = 1 (x has len(idx)·H·W
// elements): each pixel becomes (v/255 − mean)/std computed in float32 exactly as
// the reference programs do, so the batches are bit-identical to theirs; large
// batches are split over a fixed pool of goroutines. Float inputs (set.D > 0) are
// copied as they are, len(idx)·D values; mean and std do not apply to them.
//
// y receives set.TargetLen() values per example: the T float targets of a set
// that has them, else the class label as float32.
func Gather(set *Set, idx []int32, x, y []float32, mean, std float32) error {
	if set.D > 0 || set.T > 0 {
		return gatherFloat(set, idx, x, y, mean, std)
	}
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

// gatherFloat is Gather for a set of float inputs or float targets: rows are
// copied; images (a set with images and float targets) go through the table.
func gatherFloat(set *Set, idx []int32, x, y []float32, mean, std float32) error {
	d, t := set.Features(), set.TargetLen()
	if len(x) != len(idx)*d {
		return fmt.Errorf("data: Gather: x has %d elements, want len(idx)·features = %d·%d = %d", len(x), len(idx), d, len(idx)*d)
	}
	if y != nil && len(y) != len(idx)*t {
		return fmt.Errorf("data: Gather: y has %d elements, want len(idx)·targets = %d·%d = %d", len(y), len(idx), t, len(idx)*t)
	}
	for k, i := range idx {
		if i < 0 || int(i) >= set.N {
			return fmt.Errorf("data: Gather: idx[%d] = %d out of range [0,%d)", k, i, set.N)
		}
	}
	if set.D > 0 {
		for k, i := range idx {
			copy(x[k*d:(k+1)*d], set.X[int(i)*d:int(i+1)*d])
		}
	} else {
		var lut [256]float32
		fillLUT(&lut, mean, std)
		gatherRange(set, idx, x, &lut, 0, len(idx))
	}
	if y == nil {
		return nil
	}
	for k, i := range idx {
		if set.T > 0 {
			copy(y[k*t:(k+1)*t], set.Targets[int(i)*t:int(i+1)*t])
		} else {
			y[k] = float32(set.Labels[i])
		}
	}
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
