package geometry

import "fmt"

// PatternResult is one in/out pattern of the depth example: whether one
// threshold unit over the ten edge indicators (a 2-10-8 network's unit)
// fires on exactly its cells.
type PatternResult struct {
	Pattern     string    `json:"pattern"` // bit i from the left: inside polygon i
	Cells       int       `json:"cells"`   // cells of the arrangement with this pattern
	Expressible bool      `json:"expressible"`
	W           []float64 `json:"weight,omitempty"` // over the edges, when expressible
	B           float64   `json:"bias,omitempty"`
}

// DepthResult is the depth example: the 2-10-3-8 network built exactly,
// and which patterns a 2-10-8 network's units can take over.
type DepthResult struct {
	Deep           *Result         `json:"deep"`
	Shallow        *Result         `json:"shallow"`
	Cells          int             `json:"cells"` // distinct edge patterns in the plane
	Patterns       []PatternResult `json:"patterns"`
	DeepWeights    int             `json:"deep_weights"`
	DeepParams     int             `json:"deep_params"`
	ShallowWeights int             `json:"shallow_weights"`
	ShallowParams  int             `json:"shallow_params"`
}

// RenderDepth builds the depth example over DepthPolygons and draws both
// networks: the deep one with its three polygon units' active sets, the
// shallow one with the units the linear programs found.
func RenderDepth(o RenderOptions) (*DepthResult, error) {
	deep, err := DeepPatternNet(DepthPolygons)
	if err != nil {
		return nil, err
	}
	ths, cells, err := deep.ShallowPatterns()
	if err != nil {
		return nil, err
	}
	shallow := deep.ShallowNet(ths)
	r := &DepthResult{Cells: len(cells)}
	w, b := deep.Net.Weights()
	r.DeepWeights, r.DeepParams = w, w+b
	w, b = shallow.Weights()
	r.ShallowWeights, r.ShallowParams = w, w+b
	count := map[int]int{}
	for _, c := range cells {
		count[c.Pattern]++
	}
	k := len(deep.Polygons)
	for _, th := range ths {
		pr := PatternResult{Pattern: bits(th.Pattern, k), Cells: count[th.Pattern], Expressible: th.OK}
		if th.OK {
			pr.W, pr.B = th.W, th.B
		}
		r.Patterns = append(r.Patterns, pr)
	}
	if o.Box == nil {
		b := deep.ShapesBox()
		o.Box = &b
	}
	do := o
	do.Units = []UnitRef{{1, 0}, {1, 1}, {1, 2}}
	if r.Deep, err = RenderNet(deep.Net, "depth-"+deep.Net.Widths(), -1, do); err != nil {
		return nil, err
	}
	so := o
	so.Units = nil
	if r.Shallow, err = RenderNet(shallow, "depth-"+shallow.Widths(), -1, so); err != nil {
		return nil, err
	}
	return r, nil
}

// bits writes pattern p of k polygons as "b0b1…" (polygon 0 first).
func bits(p, k int) string {
	s := ""
	for i := 0; i < k; i++ {
		s += fmt.Sprint(p >> i & 1)
	}
	return s
}
