package cuda

import "testing"

// These tests need no GPU: they cover the launchers' pure arithmetic.

// TestSplitK: every choice covers the K loop with no empty slice, stays
// within 32 slices and the workspace's 32-bit range, and splits only when
// the output has fewer tiles than the GPU has SMs.
func TestSplitK(t *testing.T) {
	for _, sms := range []int{1, 108, 132} {
		for _, m := range []int{1, 6, 64, 65, 512, 100000} {
			for _, n := range []int{1, 10, 288, 513} {
				for _, k := range []int{0, 1, 16, 127, 128, 784, 100352, 1 << 22} {
					splits, kper := splitK(sms, m, n, k)
					ktiles := max(ceilDiv(k, tileK), 1)
					if splits < 1 || splits > 32 || kper < 1 {
						t.Fatalf("sms=%d %d×%d×%d: splits=%d kper=%d", sms, m, n, k, splits, kper)
					}
					if splits*kper < ktiles || (splits-1)*kper >= ktiles {
						t.Fatalf("sms=%d %d×%d×%d: %d slices of %d k-tiles for %d k-tiles (a gap or an empty slice)", sms, m, n, k, splits, kper, ktiles)
					}
					if splits > 1 && (splits*m*n > maxElems || ceilDiv(m, tileM)*ceilDiv(n, tileN) >= sms) {
						t.Fatalf("sms=%d %d×%d×%d: split %d ways", sms, m, n, k, splits)
					}
				}
			}
		}
	}
	// The filter gradient of the convnet's second conv at batch 128 on an
	// H100: a 32×288 result summed over 100352 pixels is split.
	if s, _ := splitK(132, 32, 288, 128*28*28); s < 16 {
		t.Errorf("32×288×100352 on 132 SMs: %d slices, want ≥ 16", s)
	}
}
