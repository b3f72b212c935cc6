package cpu

// Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, row-major.
//
// The work is done by a register-tile micro-kernel that computes an mr×nr
// block of C from mr rows of op(A) and nr columns of op(B) over a depth of kc:
//
//	for p in 0..kc: C[r][0:nr] += A(r, p) · Bpanel[p][0:nr]   (r = 0..mr-1)
//
// op(B) is packed, kc×nc at a time, into contiguous micro-panels of nr columns
// (zero-padded at the right edge); this is where transB is absorbed, so one
// kernel serves all four transpose cases. op(A) is not packed: the kernel
// reads A(r, p) at a[r·rsa + p·csa], which is (rsa, csa) = (lda, 1) for plain
// A and (1, lda) for transposed A. Skipping the A copy matters for the tall,
// narrow im2col products (M = 100352, N = 6..64), where A is read exactly once
// and copying it would cost as much as the arithmetic. The last, partial row
// tile is copied into a zero-padded mr×kc buffer, so the kernel never reads
// past the rows of A that exist; so is every tile of a transposed A whose
// stride would crowd it into a few L1 sets (sgemmFewSets), when enough
// panels read it to pay for the copy (or, when the parallel column chunks
// are too narrow for that, all of A once before the split). The AVX2
// kernel has a 4-row companion for the last rows when M mod 6 is 2 or 4
// (M = 128 is 20 tiles of 6 and 2 of 4). A dense layer's bias and
// activation (sgemmEpi) are applied to each tile of C right after its last
// depth block, while it is in L1.
//
// Blocking (gemm_driver.go): an mr×kc tile of A stays in L1 while the kernel
// sweeps it across a packed kc×nc block of B that stays in L2.
// Parallelism (gemm_parallel.go) shares out column ranges of C, row ranges
// when N is narrow, or depth ranges when K dwarfs M and N.

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices:
// op(A) is m×k (A is k×m when transA), op(B) is k×n (B is n×k when transB),
// lda, ldb, ldc are the row strides. beta = 0 overwrites C (NaNs in C are not
// propagated). m, n or k = 0 is allowed (k = 0 scales C by beta). It panics
// when a stride or a slice length is too small for the shapes.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmFused(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, sgemmEpi{})
}

// sgemmFused is Sgemm followed by the epilogue ep (bias per column of C,
// activation), which is applied tile by tile inside the product.
func sgemmFused(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep sgemmEpi) {
	sgemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if ep.bias != nil && len(ep.bias) < n {
		panic(fmt.Sprintf("cpu.Sgemm: len(bias)=%d < n=%d", len(ep.bias), n))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		sgemmScale(m, n, beta, c, ldc)
		if ep.on() {
			ep.apply(c, ldc, m, n, 0)
		}
		return
	}
	kern := sgemmActive
	if kern.narrow != nil && n <= kern.narrow.nr {
		kern = kern.narrow
	}
	if m*n*k < sgemmSerialWork || Workers() == 1 {
		ws := sgemmGetWork()
		sgemmSerial(kern, ws, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep, nil)
		sgemmPutWork(ws)
		return
	}
	job := sgemmJobPool.Get().(*sgemmJob)
	job.kern, job.transA, job.transB, job.m, job.n, job.k = kern, transA, transB, m, n, k
	job.alpha, job.a, job.lda, job.b, job.ldb, job.beta, job.c, job.ldc = alpha, a, lda, b, ldb, beta, c, ldc
	job.ep = ep
	chunks := job.split(Workers())
	// A transposed A that crowds L1 (sgemmFewSets) is copied into tiles once
	// for all the column chunks when they are too narrow (< 8 panels) to
	// copy their tiles themselves: read in place, each tile evicted itself
	// on every panel, and the weight gradients of the mlp's dense layers
	// (lda = 512) ran 25-30 % slower than the forward products.
	job.apk = job.apk[:0]
	if job.mode == sgemmByCols && transA && job.chunk < 8 && sgemmFewSets(lda) {
		job.apk = sgemmPackTiles(kern, m, k, a, lda, job.apk)
	}
	parallelFor(min(chunks, Workers()), 1, job.run)
	if job.mode == sgemmByDepth {
		job.reduce()
	}
	job.a, job.b, job.c, job.ep = nil, nil, nil, sgemmEpi{} // drop references to the caller's slices
	sgemmJobPool.Put(job)
}

// sgemmSerialWork is the m·n·k below which one goroutine does the whole
// product: handing half of it to a worker costs a few microseconds, about the
// time ~2^17 multiply-adds take on one core.
const sgemmSerialWork = 1 << 17

// sgemmCheck panics unless every element the shapes address lies inside its
// slice. The assembly kernels read through raw pointers, so this check is what
// keeps them memory-safe.
func sgemmCheck(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("cpu.Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k // A as stored
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(name string, rows, cols int, s []float32, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("cpu.Sgemm: ld%s=%d < %d columns (m=%d n=%d k=%d transA=%v transB=%v)",
				name, ld, cols, m, n, k, transA, transB))
		}
		if want := (rows-1)*ld + cols; len(s) < want {
			panic(fmt.Sprintf("cpu.Sgemm: len(%s)=%d < %d needed for %d×%d with ld=%d (m=%d n=%d k=%d transA=%v transB=%v)",
				name, len(s), want, rows, cols, ld, m, n, k, transA, transB))
		}
	}
	need("a", ar, ac, a, lda)
	need("b", br, bc, b, ldb)
	need("c", m, n, c, ldc)
}

// sgemmScale sets C = beta·C, writing zeros (not beta·NaN) when beta = 0.
func sgemmScale(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
