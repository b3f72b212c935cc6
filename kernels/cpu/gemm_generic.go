package cpu

// The portable micro-kernel: a 4×4 tile held in sixteen scalar accumulators,
// which the Go compiler keeps in registers on amd64 and arm64. It is the
// kernel on machines without the assembly ones and the reference path the
// tests force to check the driver independently of the assembly.

var sgemmGeneric = &sgemmKernel{name: "generic", mr: 4, nr: 4, fn: sgemmKernelGeneric}

func sgemmKernelGeneric(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	a0 := a[:(kc-1)*csa+1]
	a1 := a[rsa:][:len(a0)]
	a2 := a[2*rsa:][:len(a0)]
	a3 := a[3*rsa:][:len(a0)]
	bp = bp[:4*kc]
	for p, off := 0, 0; p < kc; p, off = p+1, off+csa {
		b := bp[4*p:][:4]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		x := a0[off]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		x = a1[off]
		c10 += x * b0
		c11 += x * b1
		c12 += x * b2
		c13 += x * b3
		x = a2[off]
		c20 += x * b0
		c21 += x * b1
		c22 += x * b2
		c23 += x * b3
		x = a3[off]
		c30 += x * b0
		c31 += x * b1
		c32 += x * b2
		c33 += x * b3
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for r := 0; r < rows; r++ {
		row := c[r*ldc : r*ldc+cols]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[r][j]
			} else {
				row[j] = alpha*acc[r][j] + beta*row[j]
			}
		}
	}
}
