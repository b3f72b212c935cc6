package data

import (
	"slices"
	"strconv"
	"testing"
)

// Expected values computed with the reference programs' permutation function (the
// arithmetic of permutation() in the PyTorch anchor, run under Python's big integers).
func TestPermutationMatchesReference(t *testing.T) {
	cases := []struct {
		n    int
		seed uint64
		want []int32
	}{
		{10, 1, []int32{4, 2, 8, 1, 9, 3, 0, 6, 7, 5}},
		{10, 0, []int32{6, 3, 2, 9, 8, 1, 4, 7, 0, 5}},
		{16, 12345678901234567, []int32{14, 15, 4, 5, 2, 3, 8, 6, 0, 12, 7, 9, 1, 13, 11, 10}},
		{5, 1<<64 - 1, []int32{2, 0, 3, 4, 1}},
		{1, 9, []int32{0}},
		{0, 9, []int32{}},
	}
	for _, c := range cases {
		if got := Permutation(c.n, c.seed); !slices.Equal(got, c.want) {
			t.Errorf("Permutation(%d, %d) = %v, want %v", c.n, c.seed, got, c.want)
		}
	}
	// Full-size epoch orders: canonical seed 1, epochs 0 and 1 (seed+epoch).
	p := Permutation(60000, 1)
	if !slices.Equal(p[:8], []int32{38768, 53657, 51377, 26060, 38721, 43226, 46572, 16065}) ||
		!slices.Equal(p[len(p)-4:], []int32{27881, 53764, 33654, 2465}) {
		t.Errorf("Permutation(60000, 1) head %v tail %v differ from the reference", p[:8], p[len(p)-4:])
	}
	p = Permutation(60000, 2)
	if !slices.Equal(p[:8], []int32{35543, 35518, 43113, 41279, 1864, 56132, 27470, 58051}) ||
		!slices.Equal(p[len(p)-4:], []int32{19923, 26785, 14134, 8110}) {
		t.Errorf("Permutation(60000, 2) head %v tail %v differ from the reference", p[:8], p[len(p)-4:])
	}
	var check int64
	for i, v := range p {
		check += int64(i) * int64(v)
	}
	if check%1000003 != 881526 {
		t.Errorf("Permutation(60000, 2): Σ i·p[i] mod 1000003 = %d, reference 881526", check%1000003)
	}
	seen := make([]bool, len(p))
	for _, v := range p {
		if seen[v] {
			t.Fatalf("Permutation(60000, 2) repeats %d", v)
		}
		seen[v] = true
	}
}

func TestNumBatchesDropsPartial(t *testing.T) {
	for _, c := range []struct{ n, b, want int }{{60000, 128, 468}, {128, 128, 1}, {127, 128, 0}, {10, 0, 0}, {256, 128, 2}} {
		if got := NumBatches(c.n, c.b); got != c.want {
			t.Errorf("NumBatches(%d, %d) = %d, want %d", c.n, c.b, got, c.want)
		}
	}
	p := Permutation(300, 3)
	if b := Batch(p, 128, 1); len(b) != 128 || b[0] != p[128] || cap(b) != 128 {
		t.Errorf("Batch(p,128,1): len %d cap %d first %d, want 128, 128, %d", len(b), cap(b), b[0], p[128])
	}
}

func testSet(n int) *Set {
	s := &Set{Name: "t", N: n, H: 28, W: 28, Classes: 10, Images: make([]uint8, n*784), Labels: make([]uint8, n)}
	rng := splitmix{s: 42}
	for i := range s.Images {
		s.Images[i] = uint8(rng.next())
	}
	for i := range s.Labels {
		s.Labels[i] = uint8(i % 10)
	}
	return s
}

func TestGatherNormalizesLikeReference(t *testing.T) {
	s := testSet(3000)
	for _, b := range []int{1, 7, 128, 2500} { // 2500·784 floats takes the parallel path
		idx := Permutation(s.N, uint64(b))[:b]
		x := make([]float32, b*784)
		y := make([]float32, b)
		if err := Gather(s, idx, x, y, FashionMean, FashionStd); err != nil {
			t.Fatal(err)
		}
		for k, i := range idx {
			if y[k] != float32(s.Labels[i]) {
				t.Fatalf("b=%d: y[%d] = %v, want label %d", b, k, y[k], s.Labels[i])
			}
			for j := 0; j < 784; j++ {
				// The reference programs' expression, evaluated in float32.
				want := (float32(s.Images[int(i)*784+j])/255 - FashionMean) / FashionStd
				if x[k*784+j] != want {
					t.Fatalf("b=%d: x[%d,0,%d,%d] = %v, want %v", b, k, j/28, j%28, x[k*784+j], want)
				}
			}
		}
	}
	if got := (float32(0)/255 - FashionMean) / FashionStd; got > -0.81 || got < -0.82 {
		t.Errorf("normalized 0 = %v, want ≈ −0.8102", got)
	}
}

func TestGatherRejectsBadArguments(t *testing.T) {
	s := testSet(10)
	if err := Gather(s, []int32{0, 1}, make([]float32, 784), nil, 0, 1); err == nil {
		t.Error("short x: no error")
	}
	if err := Gather(s, []int32{0}, make([]float32, 784), make([]float32, 2), 0, 1); err == nil {
		t.Error("long y: no error")
	}
	if err := Gather(s, []int32{10}, make([]float32, 784), nil, 0, 1); err == nil {
		t.Error("index out of range: no error")
	}
}

func TestGatherAllocationFree(t *testing.T) {
	s := testSet(3000)
	for _, b := range []int{128, 2500} {
		idx := Permutation(s.N, 1)[:b]
		x, y := make([]float32, b*784), make([]float32, b)
		_ = Gather(s, idx, x, y, FashionMean, FashionStd) // warm the pools
		if a := testing.AllocsPerRun(20, func() { _ = Gather(s, idx, x, y, FashionMean, FashionStd) }); a != 0 {
			t.Errorf("Gather of %d images: %v allocations per call, want 0", b, a)
		}
	}
}

func BenchmarkGather(b *testing.B) {
	s := testSet(60000)
	for _, bs := range []int{128, 10000} {
		idx := Permutation(s.N, 1)[:bs]
		x, y := make([]float32, bs*784), make([]float32, bs)
		b.Run("B="+strconv.Itoa(bs), func(b *testing.B) {
			b.SetBytes(int64(bs * 784 * 4))
			for b.Loop() {
				_ = Gather(s, idx, x, y, FashionMean, FashionStd)
			}
		})
	}
}

func BenchmarkPermutation60k(b *testing.B) {
	p := make([]int32, 60000)
	for b.Loop() {
		PermutationInto(p, 1)
	}
}
