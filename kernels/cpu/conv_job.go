package cpu

import (
	"sync"

	"github.com/gaborlab/gabor/kernels"
)

// cpJob carries one convolution or pooling call to parallelFor without a
// closure: run is bound to the job once, when the pool makes it, and the
// call's arguments travel in the fields, so a steady-state call allocates
// nothing (a func literal capturing the arguments would be a heap object
// per call). body is a top-level function: it reads its operands from s in
// the kernel's argument order.
type cpJob struct {
	run   func(lo, hi int)
	body  func(j *cpJob, lo, hi int)
	conv  kernels.ConvArgs
	pool  kernels.PoolArgs
	s     [4][]float32
	parts []*convScratch // bwd filter: one partial per chunk
}

// cpJobs is a free list rather than a sync.Pool: a pool may drop its items
// (at every GC, and at random under the race detector), and each refill
// would be an allocation in the middle of a training step.
var cpJobs struct {
	sync.Mutex
	free []*cpJob
}

func getCPJob() *cpJob {
	cpJobs.Lock()
	defer cpJobs.Unlock()
	if n := len(cpJobs.free); n > 0 {
		j := cpJobs.free[n-1]
		cpJobs.free = cpJobs.free[:n-1]
		return j
	}
	j := new(cpJob)
	j.run = func(lo, hi int) { j.body(j, lo, hi) }
	return j
}

// putCPJob drops the job's references to the caller's slices and returns it
// to the free list, keeping the parts array for reuse.
func putCPJob(j *cpJob) {
	*j = cpJob{run: j.run, parts: j.parts[:0]}
	cpJobs.Lock()
	cpJobs.free = append(cpJobs.free, j)
	cpJobs.Unlock()
}

// runConvJob runs body over [0, n) in chunks of at least grain.
func runConvJob(n, grain int, body func(*cpJob, int, int), a *kernels.ConvArgs, s ...[]float32) {
	j := getCPJob()
	j.body, j.conv = body, *a
	copy(j.s[:], s)
	parallelFor(n, grain, j.run)
	putCPJob(j)
}

// runPoolJob is runConvJob for pooling.
func runPoolJob(n, grain int, body func(*cpJob, int, int), a *kernels.PoolArgs, s ...[]float32) {
	j := getCPJob()
	j.body, j.pool = body, *a
	copy(j.s[:], s)
	parallelFor(n, grain, j.run)
	putCPJob(j)
}
