package introspect

import (
	"container/heap"
	"fmt"
	"slices"
)

// Hit is one strong activation of a feature map: the image, the position of
// the map's maximum in that image, and its value.
type Hit struct {
	Image int     `json:"image"`
	Y     int     `json:"y"`
	X     int     `json:"x"`
	Value float32 `json:"activation"`
}

// TopK keeps, for each of a layer's feature maps, the k images whose
// strongest activation of that map is highest, while activations stream
// past batch by batch (an evaluation pass over a test set). Each image
// counts once per map, at the position of its maximum, as in Zeiler and
// Fergus's figures. Memory is k hits per map whatever the set's size: each
// map holds a min-heap whose root is the weakest kept hit, replaced when a
// stronger one arrives. Ties keep the lower image index, so the result does
// not depend on how the set is split into batches.
type TopK struct {
	K       int
	C, H, W int       // the layer's maps: C planes of H×W
	maps    []hitHeap // per map
}

// NewTopK prepares a top-k over c maps of h×w.
func NewTopK(k, c, h, w int) (*TopK, error) {
	if k < 1 || c < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("introspect: top-k needs k ≥ 1 and a positive map shape, got k=%d, %d maps of %d×%d", k, c, h, w)
	}
	return &TopK{K: k, C: c, H: h, W: w, maps: make([]hitHeap, c)}, nil
}

// Observe takes the activations of n images, first..first+n−1, laid out
// [n, C, H, W] (a layer tap of a batch; rows past n are ignored).
func (t *TopK) Observe(first, n int, acts []float32) error {
	plane := t.H * t.W
	if len(acts) < n*t.C*plane {
		return fmt.Errorf("introspect: top-k: %d activations for %d images of %d×%d×%d", len(acts), n, t.C, t.H, t.W)
	}
	for i := 0; i < n; i++ {
		for c := 0; c < t.C; c++ {
			p := acts[(i*t.C+c)*plane : (i*t.C+c+1)*plane]
			best := 0
			for k, v := range p {
				if v > p[best] {
					best = k
				}
			}
			t.push(c, Hit{Image: first + i, Y: best / t.W, X: best % t.W, Value: p[best]})
		}
	}
	return nil
}

func (t *TopK) push(c int, h Hit) {
	q := &t.maps[c]
	if len(*q) < t.K {
		heap.Push(q, h)
		return
	}
	if weaker((*q)[0], h) {
		(*q)[0] = h
		heap.Fix(q, 0)
	}
}

// Best returns map c's hits, strongest first.
func (t *TopK) Best(c int) []Hit {
	out := slices.Clone([]Hit(t.maps[c]))
	slices.SortFunc(out, func(a, b Hit) int {
		switch {
		case weaker(b, a):
			return -1
		case weaker(a, b):
			return 1
		}
		return 0
	})
	return out
}

// weaker orders hits: a lower value, or an equal value from a later image.
func weaker(a, b Hit) bool {
	if a.Value != b.Value {
		return a.Value < b.Value
	}
	return a.Image > b.Image
}

// hitHeap is a min-heap of hits under weaker.
type hitHeap []Hit

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return weaker(h[i], h[j]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(Hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
