package introspect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Streaming in batches of any size keeps exactly the k best of a full sort.
func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, c, h, w, k = 203, 3, 4, 5, 9
	acts := make([]float32, n*c*h*w)
	for i := range acts {
		acts[i] = float32(rng.IntN(50)) // many ties
	}
	var want [c][]Hit
	for img := 0; img < n; img++ {
		for m := 0; m < c; m++ {
			p := acts[(img*c+m)*h*w : (img*c+m+1)*h*w]
			best := 0
			for i, v := range p {
				if v > p[best] {
					best = i
				}
			}
			want[m] = append(want[m], Hit{img, best / w, best % w, p[best]})
		}
	}
	for m := range want {
		slices.SortStableFunc(want[m], func(a, b Hit) int {
			switch {
			case a.Value > b.Value:
				return -1
			case a.Value < b.Value:
				return 1
			}
			return a.Image - b.Image
		})
		want[m] = want[m][:k]
	}
	for _, batch := range []int{1, 7, 64, n} {
		tk, err := NewTopK(k, c, h, w)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < n; lo += batch {
			nb := min(batch, n-lo)
			if err := tk.Observe(lo, nb, acts[lo*c*h*w:]); err != nil {
				t.Fatal(err)
			}
		}
		for m := 0; m < c; m++ {
			if got := tk.Best(m); !slices.Equal(got, want[m]) {
				t.Fatalf("batch %d, map %d:\n got %v\nwant %v", batch, m, got, want[m])
			}
		}
	}
}

func TestTopKByHand(t *testing.T) {
	tk, err := NewTopK(2, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Three images of one 2×2 map; their maxima 3 at (1,0), 9 at (0,1), 5 at (1,1).
	if err := tk.Observe(10, 3, []float32{1, 0, 3, 2, 0, 9, 1, 1, -1, 0, 2, 5}); err != nil {
		t.Fatal(err)
	}
	want := []Hit{{Image: 11, Y: 0, X: 1, Value: 9}, {Image: 12, Y: 1, X: 1, Value: 5}}
	if got := tk.Best(0); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := NewTopK(0, 1, 1, 1); err == nil {
		t.Error("k = 0 accepted")
	}
}
