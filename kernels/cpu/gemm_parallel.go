package cpu

import (
	"sync"
	"sync/atomic"
)

// Sharing one Sgemm among the workers. The product is cut into chunks along
// one of three dimensions, and workers take chunks from a shared counter
// until none are left, so a core slowed by other work simply takes fewer:
//
//   - columns of C (the default): each chunk packs only its own columns of B
//     and reads all of A, which is not copied;
//   - rows of C, when N has too few tiles to share (the im2col products,
//     N = 6..64): each chunk packs all of B, which is then small;
//   - the depth, when K dwarfs M and N (weight gradients of convolutions,
//     K = batch·H·W): each chunk writes its own m×n partial sum, and the
//     partial sums are added into C at the end in chunk order, so the result
//     does not depend on which worker took which chunk (a per-worker sum
//     did: two identical runs differed in the last bit, which broke
//     bit-identical resume for such shapes). Cutting C instead would make
//     every worker stream all of the long operands.

type sgemmSplit uint8

const (
	sgemmByCols sgemmSplit = iota
	sgemmByRows
	sgemmByDepth
)

// sgemmJob carries one parallel Sgemm call; run is bound once at creation so
// that handing it to parallelFor allocates nothing, and the job (with its
// depth-split buffers) is pooled.
type sgemmJob struct {
	run    func(lo, hi int)
	kern   *sgemmKernel
	transA bool
	transB bool
	mode   sgemmSplit
	m, n   int
	k      int
	alpha  float32
	beta   float32
	a      []float32
	b      []float32
	c      []float32
	lda    int
	ldb    int
	ldc    int
	ep     sgemmEpi     // applied by the chunks (or after the depth reduction)
	apk    []float32    // column split: A in tiles for all chunks (empty: none)
	units  int          // tiles (or depth steps) along the split dimension
	chunk  int          // units per chunk
	next   atomic.Int64 // next chunk to take
	parts  [][]float32  // depth split: one m×n partial sum per chunk
	nparts int          // depth split: chunks of this call (parts may hold more)
}

var sgemmJobPool = sync.Pool{New: func() any {
	j := new(sgemmJob)
	j.run = j.exec
	return j
}}

// split chooses the dimension and chunk size and returns the number of chunks.
func (j *sgemmJob) split(workers int) int {
	tn := (j.n + j.kern.nr - 1) / j.kern.nr
	tm := (j.m + j.kern.mr - 1) / j.kern.mr
	// About four chunks per worker balance the load; a floor on the chunk
	// keeps the per-chunk costs (re-reading A, packing B) small.
	per := 4 * workers
	switch {
	case j.k >= 8*max(j.m, j.n) && j.m*j.n <= 1<<16:
		j.mode, j.units, j.chunk = sgemmByDepth, j.k, max(sgemmKcMax, (j.k+per-1)/per)
		j.nparts = (j.units + j.chunk - 1) / j.chunk
		for len(j.parts) < j.nparts {
			j.parts = append(j.parts, nil)
		}
		for c := range j.nparts {
			j.parts[c] = sgemmGrow(j.parts[c], j.m*j.n)
		}
	case tn >= per || tn >= tm:
		// Rounding the chunk down leaves a short last chunk rather than
		// one chunk too few: 49 column tiles (784) in 7s made 7 chunks,
		// 4 for one worker and 3 for the other; in 6s they make 8 and a
		// single tile.
		j.mode, j.units, j.chunk = sgemmByCols, tn, max(2, tn/per)
	default:
		j.mode, j.units, j.chunk = sgemmByRows, tm, max(8, (tm+per-1)/per)
	}
	j.next.Store(0)
	return (j.units + j.chunk - 1) / j.chunk
}

// exec is run once per worker (parallelFor hands it one item per worker);
// each worker takes chunks until none are left.
func (j *sgemmJob) exec(_, _ int) {
	ws := sgemmGetWork()
	for {
		lo := int(j.next.Add(1)-1) * j.chunk
		if lo >= j.units {
			break
		}
		hi := min(lo+j.chunk, j.units)
		switch j.mode {
		case sgemmByCols:
			j0, j1 := lo*j.kern.nr, min(hi*j.kern.nr, j.n)
			b := j.b
			if j.transB {
				b = b[j0*j.ldb:]
			} else {
				b = b[j0:]
			}
			ep := j.ep
			if ep.bias != nil {
				ep.bias = ep.bias[j0:j1]
			}
			var apk []float32
			if len(j.apk) > 0 {
				apk = j.apk
			}
			sgemmSerial(j.kern, ws, j.transA, j.transB, j.m, j1-j0, j.k, j.alpha, j.a, j.lda, b, j.ldb, j.beta, j.c[j0:], j.ldc, ep, apk)
		case sgemmByRows:
			i0, i1 := lo*j.kern.mr, min(hi*j.kern.mr, j.m)
			a := j.a
			if j.transA {
				a = a[i0:]
			} else {
				a = a[i0*j.lda:]
			}
			sgemmSerial(j.kern, ws, j.transA, j.transB, i1-i0, j.n, j.k, j.alpha, a, j.lda, j.b, j.ldb, j.beta, j.c[i0*j.ldc:], j.ldc, j.ep, nil)
		case sgemmByDepth:
			a, b := j.a, j.b
			if j.transA {
				a = a[lo*j.lda:]
			} else {
				a = a[lo:]
			}
			if j.transB {
				b = b[lo:]
			} else {
				b = b[lo*j.ldb:]
			}
			sgemmSerial(j.kern, ws, j.transA, j.transB, j.m, j.n, hi-lo, 1, a, j.lda, b, j.ldb, 0, j.parts[lo/j.chunk], j.n, sgemmEpi{}, nil)
		}
	}
	sgemmPutWork(ws)
}

// reduce finishes a depth split: C = alpha·Σ_c parts[c] + beta·C, the
// chunks added in order, with C not read when beta = 0, then the epilogue
// row by row.
func (j *sgemmJob) reduce() {
	for i := 0; i < j.m; i++ {
		row := j.c[i*j.ldc : i*j.ldc+j.n]
		first := true
		for _, part := range j.parts[:j.nparts] {
			src := part[i*j.n : i*j.n+j.n]
			if first {
				for x, v := range src {
					if j.beta == 0 {
						row[x] = j.alpha * v
					} else {
						row[x] = j.alpha*v + j.beta*row[x]
					}
				}
				first = false
				continue
			}
			for x, v := range src {
				row[x] += j.alpha * v
			}
		}
		if j.ep.on() {
			j.ep.apply(row, j.ldc, 1, j.n, 0)
		}
	}
}
