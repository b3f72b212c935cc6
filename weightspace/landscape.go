package weightspace

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
)

// RunWeights are the points of one run a landscape is drawn from: its final
// weights (the checkpoint, or the latest snapshot), its initial weights
// (the snapshot of step 0, else the model rebuilt from its seed and
// --init-from, which is what training started from), and its trajectory
// (every snapshot, by step).
type RunWeights struct {
	Run        *runs.Run
	Params     []Param
	Final      *runs.Weights
	FinalPoint Point
	InitPoint  Point
	InitFrom   string // "snapshot step 0" or "seeded initialization"
}

// OpenRunWeights reads a run's final and initial weights.
func OpenRunWeights(dir string) (*RunWeights, error) {
	r, err := runs.OpenRun(dir)
	if err != nil {
		return nil, err
	}
	m, err := r.Model(1)
	if err != nil {
		return nil, err
	}
	rw := &RunWeights{Run: r, Params: paramsOf(m)}
	if rw.Final, err = r.At(-1); err != nil {
		return nil, err
	}
	if rw.FinalPoint, err = PointOf(rw.Final, rw.Params); err != nil {
		return nil, err
	}
	if len(r.Snapshots) > 0 && r.Snapshots[0].Step == 0 {
		w, err := runs.ReadWeights(r.Snapshots[0].Path)
		if err != nil {
			return nil, err
		}
		if rw.InitPoint, err = PointOf(w, rw.Params); err == nil {
			rw.InitFrom = "snapshot step 0"
			return rw, nil
		}
	}
	if r.Config.InitFrom != "" {
		if err := models.LoadInit(m, r.Config.InitFrom); err != nil {
			return nil, fmt.Errorf("weightspace: the initial weights of %s: %w", dir, err)
		}
	}
	vals, err := models.ParamValues(m)
	if err != nil {
		return nil, err
	}
	rw.InitPoint, rw.InitFrom = Point(vals), "seeded initialization"
	return rw, nil
}

// paramsOf lists a model's parameters (names and shapes) in its order.
func paramsOf(m *graph.Model) []Param {
	out := make([]Param, len(m.Params))
	for i, p := range m.Params {
		out[i] = Param{Name: p.Name(), Shape: slices.Clone([]int(p.Shape()))}
	}
	return out
}

// SameParams says why two parameter lists differ ("" when they do not), for
// --to: a line between two runs needs the same model.
func SameParams(a, b []Param) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d parameters against %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.Equal(a[i].Shape, b[i].Shape) {
			return fmt.Sprintf("parameter %d is %s %v in one and %s %v in the other", i, a[i].Name, a[i].Shape, b[i].Name, b[i].Shape)
		}
	}
	return ""
}

// Trajectory is a run's snapshots as points, by step.
type Trajectory struct {
	Steps  []int
	Points []Point
}

// ReadTrajectory reads every snapshot of a run. A run with fewer than 3
// snapshots (a plane needs two directions of spread), or whose snapshots
// lack some parameter (a large model's snapshots keep only some layers), is
// an error saying what there is.
func ReadTrajectory(rw *RunWeights) (*Trajectory, error) {
	r := rw.Run
	if len(r.Snapshots) < 3 {
		return nil, fmt.Errorf("weightspace: run %s has %d snapshots; a trajectory plane needs at least 3 (train with --snapshot every=N to take them, e.g. every=50steps)", r.Dir, len(r.Snapshots))
	}
	t := &Trajectory{}
	for _, s := range r.Snapshots {
		w, err := runs.ReadWeights(s.Path)
		if err != nil {
			return nil, err
		}
		p, err := PointOf(w, rw.Params)
		if err != nil {
			return nil, fmt.Errorf("%w; the trajectory needs snapshots of every parameter", err)
		}
		t.Steps, t.Points = append(t.Steps, s.Step), append(t.Points, p)
	}
	return t, nil
}

// LinePoint is the score at one α of a Line.
type LinePoint struct {
	Alpha float64 `json:"alpha"`
	Score
}

// Progress is told how many of total evaluations are done.
type Progress func(done, total int)

// Alphas are n evenly spaced values from lo to hi (n ≥ 2), with 0 and 1
// exact when they fall on the grid.
func Alphas(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		if r := math.Round(out[i]*1e9) / 1e9; r == math.Trunc(r) {
			out[i] = r
		}
	}
	return out
}

// Line scores the points (1−α)·from + α·to for each α.
func Line(ctx context.Context, e *Evaluator, from, to Point, alphas []float64, progress Progress) ([]LinePoint, error) {
	if why := pointsAgree(from, to); why != "" {
		return nil, fmt.Errorf("weightspace: line: %s", why)
	}
	p := from.Clone()
	out := make([]LinePoint, len(alphas))
	for i, a := range alphas {
		Interpolate(p, from, to, a)
		s, err := e.Eval(ctx, p)
		if err != nil {
			return nil, err
		}
		out[i] = LinePoint{Alpha: a, Score: s}
		if progress != nil {
			progress(i+1, len(alphas))
		}
	}
	return out, nil
}

func pointsAgree(a, b Point) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d tensors against %d", len(a), len(b))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Sprintf("tensor %d has %d values against %d", i, len(a[i]), len(b[i]))
		}
	}
	return ""
}

// Surface is a 2-D landscape: scores on the grid center + X[i]·D1 + Y[j]·D2.
type Surface struct {
	Kind     string      `json:"kind"` // "random" or "pca"
	X        []float64   `json:"x"`
	Y        []float64   `json:"y"`
	Loss     [][]float64 `json:"loss"`     // [len(Y)][len(X)]
	Accuracy [][]float64 `json:"accuracy"` // [len(Y)][len(X)]
	D1, D2   Point       `json:"-"`
	// With Kind "pca": the explained variance ratio of the two axes and the
	// trajectory's coordinates in the plane, by step.
	Ratio []float64    `json:"explained_variance_ratio,omitempty"`
	Steps []int        `json:"steps,omitempty"`
	Path  [][2]float64 `json:"path,omitempty"`
}

// Plane scores the grid center + x·d1 + y·d2 over xs × ys, row by row (y
// outer), and fills s's X, Y, Loss and Accuracy.
func Plane(ctx context.Context, e *Evaluator, s *Surface, center Point, xs, ys []float64, progress Progress) error {
	if why := pointsAgree(center, s.D1); why != "" {
		return fmt.Errorf("weightspace: plane: %s", why)
	}
	p := center.Clone()
	s.X, s.Y = xs, ys
	s.Loss, s.Accuracy = make([][]float64, len(ys)), make([][]float64, len(ys))
	done := 0
	for j, y := range ys {
		s.Loss[j], s.Accuracy[j] = make([]float64, len(xs)), make([]float64, len(xs))
		for i, x := range xs {
			Combine(p, center, s.D1, s.D2, x, y)
			sc, err := e.Eval(ctx, p)
			if err != nil {
				return err
			}
			s.Loss[j][i], s.Accuracy[j][i] = sc.Loss, sc.Accuracy
			done++
			if progress != nil {
				progress(done, len(xs)*len(ys))
			}
		}
	}
	return nil
}

// RandomPlane is a Surface on two filter-normalized random directions
// around center (seeds seed and seed+1), to be scored by Plane.
func RandomPlane(center Point, params []Param, seed uint64) *Surface {
	return &Surface{Kind: "random", D1: FilterNormalized(center, params, seed), D2: FilterNormalized(center, params, seed+1)}
}

// PCAPlane is the plane through the trajectory's last point spanned by the
// first two principal axes of the trajectory's points relative to it
// (θ_i − θ_n, as Li et al. 2018 do; introspect.FitPCA, which centres them),
// with every snapshot projected onto it: path_i = ((θ_i − θ_n)·d1,
// (θ_i − θ_n)·d2), the axes being orthonormal. The last point projects to
// (0, 0), the plane's origin.
func PCAPlane(t *Trajectory, params []Param) (*Surface, error) {
	n, d := len(t.Points), Dim(params)
	last := t.Points[n-1]
	x := make([]float32, 0, n*d)
	diffs := make([][]float64, n)
	for i, p := range t.Points {
		diffs[i] = Sub(p, last)
		for _, v := range diffs[i] {
			x = append(x, float32(v))
		}
	}
	pca, err := introspect.FitPCA(x, n, d, 2, 1)
	if err != nil {
		return nil, fmt.Errorf("weightspace: PCA of the trajectory: %w", err)
	}
	s := &Surface{Kind: "pca", Ratio: slices.Clone(pca.Ratio), Steps: slices.Clone(t.Steps)}
	axes := [2][]float64{make([]float64, d), make([]float64, d)}
	for k := range axes {
		for j := 0; j < d; j++ {
			axes[k][j] = pca.Components.At(j, k)
		}
	}
	s.D1, s.D2 = Unflat(axes[0], params), Unflat(axes[1], params)
	for _, df := range diffs {
		s.Path = append(s.Path, [2]float64{Dot(df, axes[0]), Dot(df, axes[1])})
	}
	return s, nil
}

// PathExtent is a grid range covering the projected trajectory with a
// margin of a quarter of its span on each side (at least ±margin·1 when the
// path is a point).
func PathExtent(path [][2]float64, axis int) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, q := range path {
		lo, hi = math.Min(lo, q[axis]), math.Max(hi, q[axis])
	}
	span := hi - lo
	if !(span > 0) {
		span = 1
	}
	return lo - span/4, hi + span/4
}

// SurfaceCSV is the grid as CSV: x, y, loss, accuracy, one row per point.
func SurfaceCSV(s *Surface) []byte {
	var b strings.Builder
	b.WriteString("x,y,loss,accuracy\n")
	for j, y := range s.Y {
		for i, x := range s.X {
			fmt.Fprintf(&b, "%s,%s,%s,%s\n", g(x), g(y), g(s.Loss[j][i]), g(s.Accuracy[j][i]))
		}
	}
	return []byte(b.String())
}

// LineCSV is a Line as CSV: alpha, loss, accuracy.
func LineCSV(pts []LinePoint) []byte {
	var b strings.Builder
	b.WriteString("alpha,loss,accuracy\n")
	for _, p := range pts {
		fmt.Fprintf(&b, "%s,%s,%s\n", g(p.Alpha), g(p.Loss), g(p.Accuracy))
	}
	return []byte(b.String())
}

func g(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
