package cpu

import (
	"sync"

	"github.com/gaborlab/gabor/kernels"
)

// The blocked loops around the micro-kernel, for one goroutine:
//
//	for jc (nc columns of C):       B block kc×nc (≤ 1 MiB) packed once per (jc, pc)
//	  for pc (kc of the depth):     beta applies on the first pc only
//	    for ir (mr-row tile):       A tile mr×kc stays in L1 ...
//	      for jr (nr-column panel): ... while the B panels stream from L2
//	        kernel: C[ir, jr] (+)= A[ir, pc]·Bp[pc, jr]
//
// Finishing a row tile across all of the block's columns before moving down
// writes C row tile by row tile, and reads each A row tile once per depth
// block: with N ≤ 64 (the im2col products) there is one pass over A in all.
// Block sizes split the matrix evenly (k = 784 becomes 3×262, not
// 384+384+16), rounded up to whole tiles.

// sgemmKernel is a micro-kernel and its tile. fn computes the mr×nr tile
//
//	C[r][j] = alpha·Σ_p A(r,p)·bp[p·nr+j] + beta·C[r][j]   (r < rows, j < cols)
//
// reading A(r,p) = a[r·rsa + p·csa] for all mr rows (they must exist), the
// packed panel bp (kc×nr), and C at c[r·ldc+j]. beta = 0 must not read C.
type sgemmKernel struct {
	name   string
	mr, nr int
	fn     func(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int)
	// fn4, if set, is the same for a tile of 4 rows (mr = 6 only): the
	// last rows when M mod 6 is 4, or 2 with M ≥ 8 (then the last 8 rows).
	fn4    func(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int)
	narrow *sgemmKernel // if set, used instead when n ≤ narrow.nr
	kc     int          // depth of a block when not sgemmKcMax (0)
}

// rowsIn4 is how many of m's last rows the kernel computes in 4-row tiles.
func (k *sgemmKernel) rowsIn4(m int) int {
	if k.fn4 == nil {
		return 0
	}
	switch m % k.mr {
	case 4:
		return 4
	case 2:
		if m >= 8 {
			return 8
		}
	}
	return 0
}

// sgemmEpi is a dense layer's epilogue, fused into its product: C's tiles
// get the bias (one value per column; nil: none) and the activation as soon
// as their last depth block is stored, while they are still in L1, rather
// than in a second pass over C. The operations are the second pass's, in
// its order: the same bits.
type sgemmEpi struct {
	bias []float32
	act  kernels.Act
}

func (e sgemmEpi) on() bool { return e.bias != nil || e.act != kernels.ActNone }

// apply runs the epilogue on the rows×cols block of C at c (row stride
// ldc), whose first column is column j0 of the product.
func (e sgemmEpi) apply(c []float32, ldc, rows, cols, j0 int) {
	var bias []float32
	done := 0
	if e.bias != nil {
		bias = e.bias[j0 : j0+cols]
		if e.act == kernels.ActNone || e.act == kernels.ActReLU {
			done = biasRowsVec(c, ldc, rows, cols, bias, e.act == kernels.ActReLU)
		}
	}
	if done == cols {
		return
	}
	for r := 0; r < rows; r++ {
		row := c[r*ldc+done : r*ldc+cols]
		if bias != nil {
			for j, b := range bias[done:cols] {
				row[j] += b
			}
		}
		actRange(e.act, row)
	}
}

// depth is the kernel's block depth: the A tile of mr×depth floats stays in
// L1 while the kernel sweeps the block's panels.
func (k *sgemmKernel) depth() int {
	if k.kc > 0 {
		return k.kc
	}
	return sgemmKcMax
}

const (
	sgemmKcMax   = 384     // depth of a block: an A tile of 12×384 is 18 KiB of L1
	sgemmBBudget = 1 << 18 // floats in a packed B block (1 MiB, well inside L2)
)

// sgemmWork holds one goroutine's packing buffers; they only grow, and live
// in a pool so steady-state calls allocate nothing.
type sgemmWork struct {
	bp []float32 // packed B block, panels of nr columns
	ap []float32 // the last partial row tile of A, zero-padded to mr rows
}

var sgemmWorkPool = sync.Pool{New: func() any { return new(sgemmWork) }}

func sgemmGetWork() *sgemmWork   { return sgemmWorkPool.Get().(*sgemmWork) }
func sgemmPutWork(ws *sgemmWork) { sgemmWorkPool.Put(ws) }

func sgemmGrow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// sgemmBlock splits total into equal blocks of at most max, each rounded up to
// a multiple of unit.
func sgemmBlock(total, max, unit int) int {
	nb := (total + max - 1) / max
	size := (total + nb - 1) / nb
	return (size + unit - 1) / unit * unit
}

// apk, if not nil, is all of op(A) already in tile layout (sgemmPackTiles).
func sgemmSerial(kern *sgemmKernel, ws *sgemmWork, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep sgemmEpi, apk []float32) {
	mr, nr := kern.mr, kern.nr
	rsa, csa := lda, 1 // A(i, p) = a[i·rsa + p·csa]
	if transA {
		rsa, csa = 1, lda
	}
	kc := sgemmBlock(k, kern.depth(), 1)
	nc := sgemmBlock(n, max(nr, sgemmBBudget/kc/nr*nr), nr)
	m6 := m - kern.rowsIn4(m) // rows in mr-row tiles; the rest in 4-row ones
	mFull := m6 / mr * mr     // rows covered by whole tiles; a partial one is packed
	// A transposed A's depth steps are lda apart: when that stride crowds
	// the tile into a few L1 sets (lda = 512 features: two sets of eight
	// lines for a tile of hundreds) the tile evicts itself on every panel,
	// so each tile is copied once per depth block instead.
	packAll := transA && n >= 8*nr && sgemmFewSets(lda)
	ws.bp = sgemmGrow(ws.bp, kc*nc)
	ws.ap = sgemmGrow(ws.ap, kc*mr)

	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1 // later depth blocks accumulate onto the first
			}
			last := pc+kb == k
			sgemmPackB(transB, kb, nb, nr, b, ldb, pc, jc, ws.bp)
			for ir := 0; ir < m; {
				tr, fn := mr, kern.fn
				if ir >= m6 {
					tr, fn = 4, kern.fn4
				}
				rows := min(tr, m-ir)
				ar, ars, acs := a[min(ir*rsa+pc*csa, len(a)):], rsa, csa
				if apk != nil {
					ar, ars, acs = apk[ir*k+pc*tr:], 1, tr
				} else if packAll || (ir >= mFull && ir < m6) {
					sgemmPackA(rows, kb, tr, a, rsa, csa, ir, pc, ws.ap)
					ar, ars, acs = ws.ap, 1, tr
				}
				cr := c[ir*ldc+jc:]
				for jr := 0; jr < nb; jr += nr {
					fn(kb, ar, ars, acs, ws.bp[jr*kb:(jr+nr)*kb], cr[jr:], ldc, alpha, bet, rows, min(nr, nb-jr))
				}
				if last && ep.on() {
					ep.apply(cr, ldc, rows, nb, jc)
				}
				ir += tr
			}
		}
	}
}

// sgemmMerge stores the rows×cols corner of the kernel's tile t (row
// stride tld) into C: C = t + beta·C, C not read when beta = 0.
func sgemmMerge(t []float32, tld int, c []float32, ldc int, beta float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		row := c[r*ldc : r*ldc+cols]
		for j := range row {
			if beta == 0 {
				row[j] = t[r*tld+j]
			} else {
				row[j] = t[r*tld+j] + beta*row[j]
			}
		}
	}
}

// sgemmPackTiles copies all of a transposed A (A(i, p) = a[i + p·lda]) into
// dst in the layout the kernels read a packed tile in: the tile of tr rows
// starting at row ir holds A(ir+r, p) at dst[ir·k + p·tr + r], zero past
// row m, with the tiles sgemmSerial cuts. It returns dst, grown to fit.
func sgemmPackTiles(kern *sgemmKernel, m, k int, a []float32, lda int, dst []float32) []float32 {
	mr := kern.mr
	m6 := m - kern.rowsIn4(m)
	dst = sgemmGrow(dst, ((m6+mr-1)/mr*mr+m-m6)*k)
	for ir := 0; ir < m; {
		tr := mr
		if ir >= m6 {
			tr = 4
		}
		rows := min(tr, m-ir)
		if rows < tr || !sgemmPackAT(k, a[ir:], lda, dst[ir*k:], tr) {
			sgemmPackA(rows, k, tr, a, 1, lda, ir, 0, dst[ir*k:])
		}
		ir += tr
	}
	return dst
}

// sgemmActive is the kernel Sgemm uses: the first (fastest) available one.
// Tests switch it to check every kernel on the same cases.
var sgemmActive = sgemmKernels[0]

// sgemmFewSets says whether rows lda floats apart fall into at most four
// sets of a 32 KiB 8-way L1 (64 sets of 64-byte lines): the stride is a
// multiple of 1 KiB.
func sgemmFewSets(lda int) bool { return lda > 0 && (4*lda)%1024 == 0 }
