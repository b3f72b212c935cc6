package cuda

import (
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

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

// TestTransposeDims: shapes and permutations are padded in front to rank 4
// and invalid permutations are refused.
func TestTransposeDims(t *testing.T) {
	xd, perm, err := transposeDims(kernels.TransposeArgs{Rank: 2, Shape: [4]int{3, 5}, Perm: [4]int{1, 0}})
	if err != nil || xd != [4]int{1, 1, 3, 5} || perm != [4]int{0, 1, 3, 2} {
		t.Errorf("rank 2: xd=%v perm=%v err=%v", xd, perm, err)
	}
	for _, a := range []kernels.TransposeArgs{
		{Rank: 2, Shape: [4]int{3, 5}, Perm: [4]int{1, 1}},
		{Rank: 3, Shape: [4]int{3, 5, 2}, Perm: [4]int{0, 1, 3}},
		{Rank: 5},
		{Rank: 1, Shape: [4]int{-1}},
	} {
		if _, _, err := transposeDims(a); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

// TestCheckConvAndPool: the output extent must agree with the other sizes.
func TestCheckConvAndPool(t *testing.T) {
	good := kernels.ConvArgs{N: 2, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1, OH: 28, OW: 28}
	if err := checkConv(good); err != nil {
		t.Fatalf("lenet conv1: %v", err)
	}
	bad := good
	bad.OW = 27
	if err := checkConv(bad); err == nil || !strings.Contains(err.Error(), "gives 28×28") {
		t.Errorf("OW=27 for a 28-wide output: err = %v", err)
	}
	bad = good
	bad.Act = kernels.ActTanh + 1
	if checkConv(bad) == nil {
		t.Error("an unknown activation was accepted")
	}
	pool := kernels.PoolArgs{N: 1, C: 6, H: 28, W: 28, KH: 2, KW: 2, StrideH: 2, StrideW: 2, OH: 14, OW: 14}
	if err := checkPool(pool); err != nil {
		t.Fatalf("2×2 pool: %v", err)
	}
	pool.PadH = 2
	if checkPool(pool) == nil {
		t.Error("padding as large as the window was accepted")
	}
}
