//go:build arm64 && !purego

package cpu

// The NEON micro-kernel (gemm_neon_arm64.s). Advanced SIMD is part of every
// arm64 processor, so the neon path is always available there.

//go:noescape
func sgemmNEON8x8(kc int, a *float32, rsa, csa int, b *float32, c *float32, ldc int, alpha, beta float32, loadC int)

var sgemmNEON = &sgemmKernel{name: "neon", mr: 8, nr: 8, fn: sgemmKernelNEON}

// sgemmKernels lists the kernels this machine can run, fastest first.
var sgemmKernels = []*sgemmKernel{sgemmNEON, sgemmGeneric}

// sgemmKernelNEON runs a full 8×8 tile in place; a partial one is computed
// into a local tile and merged.
func sgemmKernelNEON(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = bp[8*kc-1]
	_ = a[7*rsa+(kc-1)*csa]
	loadC := 0
	if beta != 0 {
		loadC = 1
	}
	if rows == 8 && cols == 8 {
		_ = c[7*ldc+7]
		sgemmNEON8x8(kc, &a[0], rsa, csa, &bp[0], &c[0], ldc, alpha, beta, loadC)
		return
	}
	var t [8 * 8]float32
	sgemmNEON8x8(kc, &a[0], rsa, csa, &bp[0], &t[0], 8, alpha, 0, 0)
	sgemmMerge(t[:], 8, c, ldc, beta, rows, cols)
}

// pathSupported: generic and neon.
func pathSupported(p cpuPath) bool { return p == pathGeneric || p == pathNEON }

// sgemmKernelFor is the GEMM micro-kernel of path p.
func sgemmKernelFor(p cpuPath) *sgemmKernel {
	if p == pathNEON {
		return sgemmNEON
	}
	return sgemmGeneric
}
