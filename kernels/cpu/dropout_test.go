package cpu_test

import (
	"math"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
)

// mix and unit restate the documented dropout stream (kernels.DropoutArgs,
// dropout.go) independently of the kernel, so a change to the bits fails
// here and a CUDA port can be checked against the same numbers.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func unit(seed, step uint64, i int) float32 {
	return float32(mix((seed^mix(step))+uint64(i))>>40) / (1 << 24)
}

func dropoutMask(t *testing.T, n int, p float32, seed uint64, ctl []float64) []float64 {
	t.Helper()
	in := kernels.Instr{Op: kernels.OpDropout, Args: kernels.DropoutArgs{N: n, P: p, Seed: seed}, Out: make([]kernels.BufID, 2)}
	out, err := cpu.Reference(in, [][]float64{make([]float64, n), ctl})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	out2, err := cpu.Reference(in, [][]float64{x, ctl})
	if err != nil {
		t.Fatal(err)
	}
	for i := range out2[0] {
		if out2[0][i] != out2[1][i] || out[0][i] != 0 {
			t.Fatalf("y != x·mask at %d", i)
		}
	}
	return out2[1]
}

func TestDropoutStream(t *testing.T) {
	const n, p = 100000, float32(0.3)
	scale := float64(1 / (1 - p))
	mask := dropoutMask(t, n, p, 12345, []float64{1, 17})
	kept := 0
	for i, m := range mask {
		want := 0.0
		if unit(12345, 17, i) >= p {
			want = scale
			kept++
		}
		if m != want {
			t.Fatalf("mask[%d] = %v, the documented stream gives %v", i, m, want)
		}
	}
	// Binomial(1e5, 0.7): σ ≈ 145, so ±1000 is ~7σ.
	if kept < 69000 || kept > 71000 {
		t.Errorf("kept %d of %d at P=0.3, want about 70000", kept, n)
	}
	other := dropoutMask(t, n, p, 12345, []float64{1, 18})
	same := 0
	for i := range mask {
		if mask[i] == other[i] {
			same++
		}
	}
	if same > 62000 { // independent masks agree on 0.7² + 0.3² = 58% of elements
		t.Errorf("steps 17 and 18 agree on %d of %d elements; the streams look correlated", same, n)
	}
	for i, m := range dropoutMask(t, 100, p, 12345, []float64{0, 17}) {
		if m != 1 {
			t.Fatalf("evaluation mask[%d] = %v, want 1", i, m)
		}
	}
	if u := unit(0, 0, 0); math.IsNaN(float64(u)) || u < 0 || u >= 1 {
		t.Fatalf("unit out of [0, 1): %v", u)
	}
}
