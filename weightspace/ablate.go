package weightspace

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Ablation methods, scopes and granularities.
const (
	MethodRandom   = "random"
	MethodSmallest = "smallest" // smallest magnitude first
	MethodLargest  = "largest"  // largest magnitude first

	ScopeGlobal = "global" // one ranking over every prunable tensor
	ScopeLayer  = "layer"  // each tensor loses the same fraction of its own

	GrainWeight = "weight" // single weights
	GrainUnit   = "unit"   // whole units (a dense row, a convolution's output channel) with their bias
)

// Prunable is a parameter ablation removes from: a weight of rank ≥ 2
// (biases and other 1-D parameters are kept; a removed unit loses its bias
// too). Units are the slices along its first axis: a dense layer's output
// units, a convolution's output channels.
type Prunable struct {
	Param    int    // index into the model's parameters
	Name     string // "conv1.weight"
	Layer    string // "conv1"
	Bias     int    // index of the layer's bias, -1 when it has none
	Units    int
	UnitSize int
}

// Prunables lists a model's prunable weights, in parameter order; its last
// one (the layer producing the logits) is marked by last.
func Prunables(params []Param) []Prunable {
	idx := map[string]int{}
	for i, p := range params {
		idx[p.Name] = i
	}
	var out []Prunable
	for i, p := range params {
		if len(p.Shape) < 2 || p.Shape[0] < 1 {
			continue
		}
		layer := strings.TrimSuffix(p.Name, ".weight")
		b, ok := idx[layer+".bias"]
		if !ok || params[b].Len() != p.Shape[0] {
			b = -1
		}
		out = append(out, Prunable{Param: i, Name: p.Name, Layer: layer, Bias: b, Units: p.Shape[0], UnitSize: p.Len() / p.Shape[0]})
	}
	return out
}

// item is one thing ablation removes: element (or unit) k of prunable t.
type item struct{ t, k int }

// ablationOrder is the order in which items are removed, per group (one
// group for ScopeGlobal, one per prunable for ScopeLayer): removing a
// fraction f removes the first round(f·n) items of every group.
func ablationOrder(center Point, pr []Prunable, method, scope, grain string, seed uint64) ([][]item, error) {
	score := func(it item) float64 { // the magnitude an item is ranked by
		p := pr[it.t]
		v := center[p.Param]
		if grain == GrainWeight {
			return math.Abs(float64(v[it.k]))
		}
		var s float64 // a unit's RMS weight, comparable across layers of different fan-in
		for _, w := range v[it.k*p.UnitSize : (it.k+1)*p.UnitSize] {
			s += float64(w) * float64(w)
		}
		return math.Sqrt(s / float64(p.UnitSize))
	}
	var groups [][]item
	for t, p := range pr {
		n := p.Units
		if grain == GrainWeight {
			n = p.Units * p.UnitSize
		}
		g := make([]item, n)
		for k := range g {
			g[k] = item{t, k}
		}
		if scope == ScopeGlobal && len(groups) == 1 {
			groups[0] = append(groups[0], g...)
		} else {
			groups = append(groups, g)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x61626c)) // "abl"
	for _, g := range groups {
		switch method {
		case MethodRandom:
			rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		case MethodSmallest, MethodLargest:
			s := make(map[item]float64, len(g))
			for _, it := range g {
				s[it] = score(it)
			}
			slices.SortStableFunc(g, func(a, b item) int {
				if method == MethodLargest {
					return cmp.Compare(s[b], s[a])
				}
				return cmp.Compare(s[a], s[b])
			})
		default:
			return nil, fmt.Errorf("weightspace: unknown ablation method %q (random, smallest, largest)", method)
		}
	}
	return groups, nil
}

// applyAblation writes into dst center with the first round(f·n) items of
// each group removed (zeroed; a unit with its bias).
func applyAblation(dst, center Point, pr []Prunable, groups [][]item, grain string, f float64) int {
	for i := range center {
		copy(dst[i], center[i])
	}
	removed := 0
	for _, g := range groups {
		n := int(math.Round(f * float64(len(g))))
		for _, it := range g[:n] {
			p := pr[it.t]
			if grain == GrainWeight {
				dst[p.Param][it.k] = 0
				continue
			}
			clear(dst[p.Param][it.k*p.UnitSize : (it.k+1)*p.UnitSize])
			if p.Bias >= 0 {
				dst[p.Bias][it.k] = 0
			}
		}
		removed += n
	}
	return removed
}

// AblateOptions configure Ablate.
type AblateOptions struct {
	Methods   []string
	Scope     string
	Grain     string
	Fractions []float64 // each in [0, 1]
	Seeds     int       // repetitions of the random method (each its own seed from Seed)
	Seed      uint64
	// Layers restricts ablation to these layers' weights (nil: all). With
	// GrainUnit the logits layer is never included: removing its units
	// removes classes, not features.
	Layers   []string
	Progress Progress
	// Finetune, when set, trains each pruned point (0 < fraction < 1) with
	// the removed weights held at zero before it is scored.
	Finetune func(ctx context.Context, start, mask Point) (Point, error)
}

// Curve is accuracy and loss against the fraction removed, for one method:
// the mean over seeds, and the standard deviation (zero for one seed).
type Curve struct {
	Method    string    `json:"method"`
	Fractions []float64 `json:"fractions"`
	Removed   []int     `json:"removed"` // items removed at each fraction
	Accuracy  []float64 `json:"accuracy"`
	AccStd    []float64 `json:"accuracy_std"`
	Loss      []float64 `json:"loss"`
	LossStd   []float64 `json:"loss_std"`
	Seeds     int       `json:"seeds"`
}

// SelectPrunables keeps the prunables of the named layers (nil: all; with
// unit granularity the last, logits, layer is left out), or says which
// layers exist.
func SelectPrunables(pr []Prunable, layers []string, grain string) ([]Prunable, error) {
	var names []string
	for _, p := range pr {
		names = append(names, p.Layer)
	}
	if len(layers) == 0 {
		if grain == GrainUnit && len(pr) > 1 {
			return pr[:len(pr)-1], nil
		}
		return pr, nil
	}
	var out []Prunable
	for _, l := range layers {
		i := slices.Index(names, l)
		if i < 0 {
			return nil, inputErr("weightspace: the model has no prunable layer %q (layers: %s)", l, strings.Join(names, ", "))
		}
		out = append(out, pr[i])
	}
	return out, nil
}

// Ablate evaluates the model at center with growing fractions of its
// weights removed, once per method (Seeds times for random).
func Ablate(ctx context.Context, e *Evaluator, center Point, o AblateOptions) ([]Curve, error) {
	pr, err := SelectPrunables(Prunables(e.Params), o.Layers, o.Grain)
	if err != nil {
		return nil, err
	}
	if len(pr) == 0 {
		return nil, inputErr("weightspace: model %s has no weights of rank ≥ 2 to remove", e.Model.Name)
	}
	for _, f := range o.Fractions {
		if !(f >= 0 && f <= 1) {
			return nil, inputErr("weightspace: fraction %g is outside [0, 1]", f)
		}
	}
	total := 0
	for _, m := range o.Methods {
		total += len(o.Fractions) * seedsOf(m, o.Seeds)
	}
	done := 0
	dst := center.Clone()
	var curves []Curve
	for _, m := range o.Methods {
		ns := seedsOf(m, o.Seeds)
		acc := make([][]float64, len(o.Fractions))
		loss := make([][]float64, len(o.Fractions))
		c := Curve{Method: m, Fractions: o.Fractions, Seeds: ns, Removed: make([]int, len(o.Fractions))}
		for s := 0; s < ns; s++ {
			groups, err := ablationOrder(center, pr, m, o.Scope, o.Grain, o.Seed+uint64(s))
			if err != nil {
				return nil, err
			}
			for i, f := range o.Fractions {
				c.Removed[i] = applyAblation(dst, center, pr, groups, o.Grain, f)
				pt := dst
				if o.Finetune != nil && f > 0 && f < 1 {
					if pt, err = o.Finetune(ctx, dst, ablationMask(center, pr, groups, o.Grain, f)); err != nil {
						return nil, err
					}
				}
				sc, err := e.Eval(ctx, pt)
				if err != nil {
					return nil, err
				}
				acc[i], loss[i] = append(acc[i], sc.Accuracy), append(loss[i], sc.Loss)
				done++
				if o.Progress != nil {
					o.Progress(done, total)
				}
			}
		}
		for i := range o.Fractions {
			ma, sa := meanStd(acc[i])
			ml, sl := meanStd(loss[i])
			c.Accuracy, c.AccStd = append(c.Accuracy, ma), append(c.AccStd, sa)
			c.Loss, c.LossStd = append(c.Loss, ml), append(c.LossStd, sl)
		}
		curves = append(curves, c)
	}
	return curves, nil
}

func seedsOf(method string, seeds int) int {
	if method == MethodRandom {
		return max(1, seeds)
	}
	return 1
}

// meanStd is the mean and the sample standard deviation (0 for one value);
// an infinite loss (a diverged point) makes the mean +Inf.
func meanStd(v []float64) (float64, float64) {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	if len(v) < 2 || math.IsInf(m, 0) {
		return m, 0
	}
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)-1))
}

// UnitMap is, for each unit of one layer, the drop in each class's accuracy
// when that unit alone is removed (its incoming weights and bias zeroed).
type UnitMap struct {
	Layer    string      `json:"layer"`
	Classes  []string    `json:"classes"`
	Base     []float64   `json:"base"`       // per-class accuracy of the intact model
	Drop     [][]float64 `json:"drop"`       // [unit][class]: base − accuracy without the unit
	Total    []float64   `json:"total_drop"` // [unit]: the overall accuracy drop
	PerClass []int       `json:"class_counts"`
}

// AblateUnits computes the unit × class map of a layer.
func AblateUnits(ctx context.Context, e *Evaluator, center Point, layer string, classNames []string, progress Progress) (*UnitMap, error) {
	pr, err := SelectPrunables(Prunables(e.Params), []string{layer}, GrainUnit)
	if err != nil {
		return nil, err
	}
	p := pr[0]
	counts := make([]int, e.classes)
	for _, l := range e.Set.Labels {
		if int(l) < len(counts) {
			counts[l]++
		}
	}
	perClass := func(pt Point) ([]float64, float64, error) {
		for i, s := range e.Prog.Params {
			if err := e.exe.Write(s.Value, pt[i]); err != nil {
				return nil, 0, err
			}
		}
		correct := make([]int, e.classes)
		sc, err := e.score(ctx, correct)
		if err != nil {
			return nil, 0, err
		}
		out := make([]float64, e.classes)
		for c := range out {
			if counts[c] > 0 {
				out[c] = float64(correct[c]) / float64(counts[c])
			}
		}
		return out, sc.Accuracy, nil
	}
	um := &UnitMap{Layer: layer, PerClass: counts}
	for c := 0; c < e.classes; c++ {
		name := fmt.Sprint(c)
		if c < len(classNames) {
			name = classNames[c]
		}
		um.Classes = append(um.Classes, name)
	}
	base, baseAcc, err := perClass(center)
	if err != nil {
		return nil, err
	}
	um.Base = base
	dst := center.Clone()
	for u := 0; u < p.Units; u++ {
		applyAblation(dst, center, []Prunable{p}, [][]item{{{0, u}}}, GrainUnit, 1)
		acc, all, err := perClass(dst)
		if err != nil {
			return nil, err
		}
		drop := make([]float64, e.classes)
		for c := range drop {
			drop[c] = base[c] - acc[c]
		}
		um.Drop, um.Total = append(um.Drop, drop), append(um.Total, baseAcc-all)
		if progress != nil {
			progress(u+1, p.Units)
		}
	}
	return um, nil
}
