package cuda

// Shape arithmetic of the launchers (the argument checks are
// kernels.Operands, shared with every backend): pure Go, without the driver, so that they are built and tested without the gpu tag (CI
// has no GPU, and a gpu test binary cannot start without one).

import "math"

// Tile sizes of gemm_core.cuh.
const (
	tileM, tileN, tileK = 64, 64, 16
	gemmThreads         = 128
)

// maxElems bounds every buffer and index space a kernel walks: the kernels
// index with 32-bit ints.
const maxElems = math.MaxInt32

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// splitK chooses how many slices the K loop of an M×N product is cut into:
// one unless the output has fewer tiles than the GPU has SMs and the loop
// is long; then enough slices for about two blocks per SM, each at least 4
// k-tiles (64) long, at most 32, and with the partial sums (splits·M·N
// floats) within the 32-bit index range. kper is the k-tiles per slice.
func splitK(sms, m, n, k int) (splits, kper int) {
	tiles := ceilDiv(m, tileM) * ceilDiv(n, tileN)
	ktiles := ceilDiv(k, tileK)
	splits = 1
	if tiles < sms && ktiles >= 8 {
		splits = min(ceilDiv(2*sms, tiles), ktiles/4, 32)
		for splits > 1 && splits*m*n > maxElems {
			splits--
		}
	}
	kper = ceilDiv(max(ktiles, 1), splits)
	return ceilDiv(max(ktiles, 1), kper), kper // no empty slice
}
