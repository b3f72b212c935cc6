package introspect

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/runs"
)

// Sanity check of projection methods (Adebayo et al., "Sanity checks for
// saliency maps", 2018): a method that explains the model must change when
// the model does. The weights on the projection's path are replaced by
// random ones layer by layer from the top (cascading randomization: first
// the projected layer's own, then also the one below, …), the same
// activations are projected again, and each projection is compared with
// the trained model's by the Spearman rank correlation of the absolute
// values over the receptive field. A method whose similarity stays high
// with every layer randomized is flagged: its maps show the input (edges)
// more than what the network learned.

// SanityOptions configure Sanity.
type SanityOptions struct {
	DeconvOptions              // layer, maps, top, step, limit, device (Rule is ignored)
	Rules         []graph.Rule // nil: all three
	Seed          uint64       // of the random weights
	// Threshold flags a rule whose similarity with every layer randomized
	// is still at least this (0: 0.5).
	Threshold float64
}

// SanityStage is one step of the cascade: the layers randomized so far and
// each rule's mean similarity to the trained projections.
type SanityStage struct {
	Randomized []string           `json:"randomized"`
	Similarity map[string]float64 `json:"similarity"`
}

// SanityResult is the whole cascade.
type SanityResult struct {
	Model     string        `json:"model"`
	Layer     string        `json:"layer"`
	Step      int           `json:"step"`
	Backend   string        `json:"device"`
	Hits      int           `json:"activations"` // projections compared per rule and stage
	Rules     []string      `json:"rules"`
	Stages    []SanityStage `json:"stages"`
	Threshold float64       `json:"threshold"`
	Flagged   []string      `json:"flagged"` // rules whose maps do not change
}

// Sanity runs the cascading randomization test.
func Sanity(run *runs.Run, o SanityOptions) (*SanityResult, error) {
	w, ckStep, err := runWeights(run, o.Step)
	if err != nil {
		return nil, err
	}
	if o.Layer == "" {
		if o.Layer, err = DefaultLayer(w, w.Config.Model); err != nil {
			return nil, err
		}
	}
	if o.Top <= 0 {
		o.Top = 9
	}
	if o.Rules == nil {
		o.Rules = []graph.Rule{graph.RuleDeconvnet, graph.RuleGuided, graph.RuleGradient}
	}
	if o.Threshold == 0 {
		o.Threshold = 0.5
	}
	ds, err := TestSet(w.Config)
	if err != nil {
		return nil, err
	}
	set := ds.Test
	if o.Limit > 0 && o.Limit < set.N {
		set = set.Head(o.Limit)
	}
	res := &SanityResult{Model: w.Config.Model, Layer: o.Layer, Step: w.Step, Threshold: o.Threshold}
	var maps []int
	var dm []DeconvMap
	for ri, rule := range o.Rules {
		p, err := NewProjector(w, o.Layer, rule, ProjectorOptions{ForwardOptions: ForwardOptions{Batch: o.Batch, Device: o.Device}, CheckpointStep: ckStep})
		if err != nil {
			return nil, err
		}
		if ri == 0 { // the strongest activations, once: they do not depend on the rule
			if maps, err = checkMaps(o.Maps, p.Layer); err != nil {
				p.Close()
				return nil, err
			}
			tk, err := topScan(p, set, o.Top)
			if err != nil {
				p.Close()
				return nil, err
			}
			for _, m := range maps {
				d := DeconvMap{Map: m}
				for _, h := range tk.Best(m) {
					d.Hits = append(d.Hits, DeconvHit{Hit: h})
				}
				dm = append(dm, d)
				res.Hits += len(d.Hits)
			}
			res.Backend = p.Backend
			for _, l := range layerGroups(p.Weights) {
				res.Stages = append(res.Stages, SanityStage{Similarity: map[string]float64{}})
				if k := len(res.Stages) - 1; k > 0 {
					res.Stages[k].Randomized = slices.Clone(res.Stages[k-1].Randomized)
				}
				res.Stages[len(res.Stages)-1].Randomized = append(res.Stages[len(res.Stages)-1].Randomized, l[0])
			}
		}
		sims, err := cascade(p, w, set, dm, o.Seed)
		p.Close()
		if err != nil {
			return nil, err
		}
		res.Rules = append(res.Rules, rule.String())
		for k, s := range sims {
			res.Stages[k].Similarity[rule.String()] = s
		}
		if last := sims[len(sims)-1]; last >= o.Threshold {
			res.Flagged = append(res.Flagged, rule.String())
		}
	}
	for k := range res.Stages { // name layers, not tensors
		for i, n := range res.Stages[k].Randomized {
			res.Stages[k].Randomized[i] = strings.TrimSuffix(n, ".weight")
		}
	}
	return res, nil
}

// layerGroups splits a projector's parameter list (weight, bias, weight,
// …, topmost first) into one group per layer.
func layerGroups(names []string) [][]string {
	var out [][]string
	for _, n := range names {
		if strings.HasSuffix(n, ".weight") || len(out) == 0 {
			out = append(out, []string{n})
		} else {
			out[len(out)-1] = append(out[len(out)-1], n)
		}
	}
	return out
}

// cascade projects the hits with the trained weights, then after each
// randomization stage, and returns the mean similarity per stage. The
// trained weights are written back at the end.
func cascade(p *Projector, w *runs.Weights, set *data.Set, dm []DeconvMap, seed uint64) (sims []float64, err error) {
	defer func() {
		if rerr := p.SetWeights(w); err == nil {
			err = rerr
		}
	}()
	trained, err := projectCrops(p, set, dm)
	if err != nil {
		return nil, err
	}
	for _, group := range layerGroups(p.Weights) {
		ws := p.ParamShape(group[0])
		fanIn := elems(ws[1:])
		for _, name := range group {
			h := fnv.New64a()
			h.Write([]byte(name))
			rng := rand.New(rand.NewPCG(seed, h.Sum64()))
			if err := p.SetParam(name, randomWeights(rng, elems(p.ParamShape(name)), fanIn)); err != nil {
				return nil, fmt.Errorf("introspect: sanity check: %w", err)
			}
		}
		now, err := projectCrops(p, set, dm)
		if err != nil {
			return nil, err
		}
		var sum float64
		for i := range trained {
			sum += spearman(absAll(trained[i]), absAll(now[i]))
		}
		sims = append(sims, sum/float64(len(trained)))
	}
	return sims, nil
}

// projectCrops projects every hit and keeps the part of the image under its
// receptive field.
func projectCrops(p *Projector, set *data.Set, dm []DeconvMap) ([][]float32, error) {
	projs, err := ProjectHits(p, set, dm)
	if err != nil {
		return nil, err
	}
	var out [][]float32
	k := 0
	for _, d := range dm {
		for _, h := range d.Hits {
			win, err := p.Proj.ReceptiveField(h.Y, h.X)
			if err != nil {
				return nil, fmt.Errorf("introspect: %w", err)
			}
			win = graph.Window{Y0: max(win.Y0, 0), Y1: min(win.Y1, set.H), X0: max(win.X0, 0), X1: min(win.X1, set.W)}
			out = append(out, crop(projs[k], set.H, set.W, win))
			k++
		}
	}
	return out, nil
}

func absAll(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(math.Abs(float64(x)))
	}
	return out
}

func elems(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// spearman is the rank correlation of a and b (ties get their mean rank);
// 0 when either is constant.
func spearman(a, b []float32) float64 {
	return pearson(ranks(a), ranks(b))
}

func ranks(v []float32) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		switch {
		case v[i] < v[j]:
			return -1
		case v[i] > v[j]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(v))
	for lo := 0; lo < len(idx); {
		hi := lo + 1
		for hi < len(idx) && v[idx[hi]] == v[idx[lo]] {
			hi++
		}
		mean := float64(lo+hi-1) / 2
		for k := lo; k < hi; k++ {
			r[idx[k]] = mean
		}
		lo = hi
	}
	return r
}

// pearson is the correlation coefficient of a and b; 0 when either is constant.
func pearson(a, b []float64) float64 {
	n := float64(len(a))
	if n == 0 {
		return 0
	}
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

// randomWeights draws a parameter like the models' initialization,
// U(±1/√fan_in) with fan_in the product of all but the first dimension
// (a bias takes the fan-in of its weight, given as fanIn).
func randomWeights(rng *rand.Rand, n, fanIn int) []float32 {
	bound := 1 / math.Sqrt(float64(max(fanIn, 1)))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return v
}
