//go:build !amd64 || purego

package cpu

// Without the x86 assembly (arm64 included: its NEON tile is the GEMM's
// only kernel there) the row-table and split-tile kernels of the direct
// convolutions and the vector packing loops do not exist; the callers ask
// first and take their Go paths.

func sgemmRowsReady() bool { return false }

func sgemmRowsTile() (mr, nr int) { return 12, 32 }

func sgemmRowsKernel(kc int, a []float32, rsa, csa int, b []float32, boff []int, c []float32, ldc int, beta float32, rows, cols int) {
	panic("cpu: sgemmRowsKernel without assembly")
}

func sgemmSplitReady() bool { return false }

func sgemmSplitTile(kc int, a0, a3, bp, c []float32, ldc, rows, cols int) {
	panic("cpu: sgemmSplitTile without assembly")
}

// sgemmPackBT16 has no vector transpose here: the caller packs every depth.
func sgemmPackBT16(kb int, b []float32, ldb int, dst []float32, ldd int) int { return 0 }

// sgemmPackBN16 has no vector copy here: the caller packs.
func sgemmPackBN16(kb, panels, nr int, b []float32, ldb int, dst []float32, ldd int) bool {
	return false
}

// sgemmPackAT has no vector copy here: the caller packs.
func sgemmPackAT(k int, a []float32, lda int, dst []float32, tr int) bool { return false }
