package cpu

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestSgemmDepthSplitDeterministic: a depth-split product is the same to the
// bit whichever worker takes which chunk. One worker taking every chunk and
// four workers racing for them must agree (a per-worker partial sum did
// not: it summed the chunks in a different grouping each run, so a resumed
// run could drift from the uninterrupted one in the last bit).
func TestSgemmDepthSplitDeterministic(t *testing.T) {
	const m, n, k, workers = 8, 12, 4096, 4
	rng := rand.New(rand.NewPCG(1, 2))
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	for i := range a {
		a[i] = rng.Float32()*2 - 1
	}
	for i := range b {
		b[i] = rng.Float32()*2 - 1
	}
	run := func(parallel bool) []float32 {
		c := make([]float32, m*n)
		j := new(sgemmJob)
		j.run = j.exec
		j.kern, j.m, j.n, j.k = sgemmActive, m, n, k
		j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc = 1, a, k, b, n, 0, c, n
		if chunks := j.split(workers); chunks < 2 || j.mode != sgemmByDepth {
			t.Fatalf("m=%d n=%d k=%d: mode %d with %d chunks, want a depth split", m, n, k, j.mode, chunks)
		}
		if parallel {
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() { defer wg.Done(); j.exec(w, w+1) }()
			}
			wg.Wait()
		} else {
			j.exec(0, 1) // one worker takes every chunk
		}
		j.reduce()
		return c
	}
	want := run(false)
	for try := range 20 {
		got := run(true)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("try %d: C[%d] = %v with racing workers, %v with one (bits must agree)", try, i, got[i], want[i])
			}
		}
	}
	// And the product is right: against the float64 loop.
	for i := range m {
		for jj := range n {
			var s float64
			for p := range k {
				s += float64(a[i*k+p]) * float64(b[p*n+jj])
			}
			if d := float64(want[i*n+jj]) - s; d > 1e-3 || d < -1e-3 {
				t.Fatalf("C[%d,%d] = %v, float64 loop %v", i, jj, want[i*n+jj], s)
			}
		}
	}
}
