package introspect

import (
	"fmt"
	"slices"

	"github.com/gaborlab/gabor/data"
	"gonum.org/v1/gonum/mat"
)

// Embedding is a layer's activations on a sample of test images projected
// on their first two principal axes.
type Embedding struct {
	Layer  Layer
	Step   int
	Epoch  int
	Index  []int32    // the test images, in row order
	Labels []int      // their classes
	XY     *mat.Dense // n×2 coordinates (PC1, PC2)
	PCA    *PCA
}

// SampleIndices is a seeded sample of n of the first total test images,
// sorted: the first n of data.Permutation(total, seed). n ≥ total (or
// n ≤ 0) takes them all.
func SampleIndices(total, n int, seed uint64) []int32 {
	if n <= 0 || n >= total {
		idx := make([]int32, total)
		for i := range idx {
			idx[i] = int32(i)
		}
		return idx
	}
	idx := slices.Clone(data.Permutation(total, seed)[:n])
	slices.Sort(idx)
	return idx
}

// Embed runs the sample through f (with whatever weights it holds) and
// projects each named layer's activations on its two leading principal
// axes. Layers that f's weights cannot compute are an error; callers check
// Forward.Computable first.
func Embed(f *Forward, set *data.Set, idx []int32, layers []string, seed uint64) (map[string]*Embedding, error) {
	for _, name := range layers {
		if !f.Computable(name) {
			return nil, fmt.Errorf("introspect: the weights given lack parameters layer %s needs", name)
		}
	}
	act, err := f.Run(set, idx, layers)
	if err != nil {
		return nil, err
	}
	labels := make([]int, len(idx))
	for i, k := range idx {
		labels[i] = int(set.Labels[k])
	}
	out := map[string]*Embedding{}
	for _, name := range layers {
		l, err := f.Layer(name)
		if err != nil {
			return nil, err
		}
		d := LayerSize(l)
		p, err := FitPCA(act.By[name], len(idx), d, min(2, d), seed)
		if err != nil {
			return nil, fmt.Errorf("introspect: PCA of layer %s: %w", name, err)
		}
		xy := p.Coords
		if d == 1 { // a single feature: plot it against zero
			xy = mat.NewDense(len(idx), 2, nil)
			xy.SetCol(0, mat.Col(nil, 0, p.Coords))
		}
		out[name] = &Embedding{Layer: l, Index: idx, Labels: labels, XY: xy, PCA: p}
	}
	return out, nil
}

// AlignToLast aligns a sequence of embeddings of one layer (same sample,
// successive training steps) so it reads smoothly: walking back from the
// last frame, each frame is mapped onto the one after it by Procrustes
// (rotation or reflection, uniform scale, shift). The last frame keeps its
// own PCA orientation, so an animation ends on the static figure of the
// final weights. It returns the aligned coordinates, in input order.
func AlignToLast(frames []*Embedding) ([]*mat.Dense, error) {
	rev := make([]*mat.Dense, len(frames))
	for i, e := range frames {
		rev[len(frames)-1-i] = e.XY
	}
	aligned, _, err := AlignFrames(rev)
	if err != nil {
		return nil, err
	}
	slices.Reverse(aligned)
	return aligned, nil
}
