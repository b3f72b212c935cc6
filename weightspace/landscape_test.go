package weightspace

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

var (
	runsOnce sync.Once
	runDirs  [2]string
	runsErr  error
	testDS   *data.Dataset
)

// testRuns trains lenet twice (seeds 1 and 2) for 2 epochs of 2 steps on
// synthetic digits, with a snapshot after every step, once per test binary.
func testRuns(t *testing.T) ([2]string, *data.Dataset) {
	t.Helper()
	runsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gabor-weightspace-")
		if err != nil {
			runsErr = err
			return
		}
		if testDS, err = data.Synthetic(5, 256, 300); err != nil {
			runsErr = err
			return
		}
		for i := range runDirs {
			runDirs[i] = filepath.Join(dir, "run"+string(rune('a'+i)))
			cfg := train.DefaultConfig("lenet")
			cfg.Device, cfg.Epochs, cfg.Snapshot, cfg.Out, cfg.Seed = "cpu", 2, "every=1steps", runDirs[i], uint64(i+1)
			w, err := runs.NewSnapshotWriter(runDirs[i], cfg)
			if err != nil {
				runsErr = err
				return
			}
			if err := w.TakeInitial(); err != nil {
				runsErr = err
				return
			}
			_, err = train.Run(context.Background(), cfg, testDS, train.RunOptions{Hooks: w.Hooks()})
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				runsErr = err
				return
			}
		}
	})
	if runsErr != nil {
		t.Fatal(runsErr)
	}
	return runDirs, testDS
}

func newTestEvaluator(t *testing.T, rw *RunWeights, set *data.Set, batch int) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(func(b int) (*graph.Model, error) { return rw.Run.Model(b) }, set, rw.Run.Config.Normalization(), EvaluatorOptions{Batch: batch, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// The two ends of a line between two runs' final weights score what
// `gabor eval` (train.Evaluate) reports for those checkpoints, on the same
// seeded subset, to 1e-5.
func TestLineEndsEqualEval(t *testing.T) {
	dirs, ds := testRuns(t)
	a, err := OpenRunWeights(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenRunWeights(dirs[1])
	if err != nil {
		t.Fatal(err)
	}
	sub := Subset(ds.Test, 200, 7)
	e := newTestEvaluator(t, a, sub, 64) // 200 = 3·64 + 8: a padded last batch
	line, err := Line(context.Background(), e, a.FinalPoint, b.FinalPoint, []float64{0, 0.5, 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	subDS := &data.Dataset{Name: ds.Name, Train: ds.Train, Test: sub, ClassNames: ds.ClassNames}
	for k, dir := range dirs {
		want, err := train.Evaluate(context.Background(), filepath.Join(dir, train.CheckpointFile), "cpu", subDS)
		if err != nil {
			t.Fatal(err)
		}
		got := line[2*k]
		if math.Abs(got.Loss-want.Loss) > 1e-5 || got.Correct != want.Correct || got.N != want.N {
			t.Errorf("α=%g: loss %.7f, %d/%d correct; gabor eval of %s: loss %.7f, %d/%d", got.Alpha, got.Loss, got.Correct, got.N, dir, want.Loss, want.Correct, want.N)
		}
	}
	if line[1].Loss == line[0].Loss {
		t.Errorf("the midpoint scores the same loss as an end (%g): the weights were not written", line[1].Loss)
	}
}

// A run's initial point is the step-0 snapshot, which is the model's seeded
// initialization, and α = 0 of the init → final line scores it.
func TestInitialPoint(t *testing.T) {
	dirs, ds := testRuns(t)
	rw, err := OpenRunWeights(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if rw.InitFrom != "snapshot step 0" {
		t.Fatalf("initial weights from %q, want the step-0 snapshot", rw.InitFrom)
	}
	m, err := models.NewWith("lenet", 1, rw.Run.Config.Seed, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seeded, _ := models.ParamValues(m)
	for i := range seeded {
		for j := range seeded[i] {
			if seeded[i][j] != rw.InitPoint[i][j] {
				t.Fatalf("%s[%d]: snapshot %v, seeded init %v", rw.Params[i].Name, j, rw.InitPoint[i][j], seeded[i][j])
			}
		}
	}
	e := newTestEvaluator(t, rw, ds.Test, 100)
	want, err := e.Eval(context.Background(), rw.InitPoint)
	if err != nil {
		t.Fatal(err)
	}
	line, err := Line(context.Background(), e, rw.InitPoint, rw.FinalPoint, []float64{0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if line[0].Score != want {
		t.Errorf("α=0 scores %+v, the initial weights %+v", line[0].Score, want)
	}
}

// Filter normalization, worked by hand: each row of a dense weight and each
// output channel of a convolution is scaled to the norm of the same filter
// of the weights; biases stay zero.
func TestNormalizeFiltersByHand(t *testing.T) {
	// Dense [2, 3]: rows (3, 0, 4) (norm 5) and (6, 8, 0) (norm 10); the
	// direction's rows (1, 2, 2) (norm 3) and (3, 4, 0) (norm 5).
	d := []float64{1, 2, 2, 3, 4, 0}
	normalizeFilters(d, []float32{3, 0, 4, 6, 8, 0}, 2)
	want := []float64{5.0 / 3, 10.0 / 3, 10.0 / 3, 6, 8, 0}
	for i := range d {
		if math.Abs(d[i]-want[i]) > 1e-12 {
			t.Fatalf("dense: got %v, want %v", d, want)
		}
	}
	// Conv [2, 1, 2, 2]: channel 0 all zero in the weights → zero direction;
	// channel 1 weights (1, 1, 1, 1) (norm 2), direction (0, 0, 0, 3) → (0, 0, 0, 2).
	d = []float64{1, -1, 1, -1, 0, 0, 0, 3}
	normalizeFilters(d, []float32{0, 0, 0, 0, 1, 1, 1, 1}, 2)
	want = []float64{0, 0, 0, 0, 0, 0, 0, 2}
	for i := range d {
		if math.Abs(d[i]-want[i]) > 1e-12 {
			t.Fatalf("conv: got %v, want %v", d, want)
		}
	}
	// Through FilterNormalized: per-filter norms equal the weights', the
	// bias's direction is zero, and the seed fixes the draw.
	params := []Param{{"w", []int{3, 4}}, {"b", []int{3}}}
	center := Point{{1, 2, 3, 4, 0, 0, 0, 5, -1, 1, -1, 1}, {7, 8, 9}}
	dir := FilterNormalized(center, params, 3)
	for f := 0; f < 3; f++ {
		var nd, nc float64
		for j := 4 * f; j < 4*f+4; j++ {
			nd += float64(dir[0][j]) * float64(dir[0][j])
			nc += float64(center[0][j]) * float64(center[0][j])
		}
		if math.Abs(math.Sqrt(nd)-math.Sqrt(nc)) > 1e-5 {
			t.Errorf("filter %d: direction norm %g, weights' %g", f, math.Sqrt(nd), math.Sqrt(nc))
		}
	}
	for _, v := range dir[1] {
		if v != 0 {
			t.Fatalf("bias direction %v, want zeros", dir[1])
		}
	}
	again := FilterNormalized(center, params, 3)
	other := FilterNormalized(center, params, 4)
	if again[0][0] != dir[0][0] || other[0][0] == dir[0][0] {
		t.Errorf("seed 3 drew %v then %v; seed 4 drew %v", dir[0][0], again[0][0], other[0][0])
	}
}

// A trajectory that lies in a plane is recovered exactly by the PCA plane:
// its points are the final point plus their projected coordinates along
// the two axes, and the final point projects to the origin.
func TestPCAPlaneContainsTrajectory(t *testing.T) {
	params := []Param{{"w", []int{2, 3}}, {"b", []int{2}}}
	u := []float64{1, 0, 2, 0, -1, 0, 0, 1}
	v := []float64{0, 3, 0, 1, 0, 0, 2, 0}
	final := []float64{0.5, -0.5, 1, 2, 0, 1, -1, 0.25}
	coef := [][2]float64{{3, 1}, {2, 2}, {1.5, -1}, {0.5, 0.2}, {0, 0}}
	tr := &Trajectory{}
	for k, c := range coef {
		x := make([]float64, len(final))
		for j := range x {
			x[j] = final[j] + c[0]*u[j] + c[1]*v[j]
		}
		tr.Steps, tr.Points = append(tr.Steps, 10*k), append(tr.Points, Unflat(x, params))
	}
	s, err := PCAPlane(tr, params)
	if err != nil {
		t.Fatal(err)
	}
	last := s.Path[len(s.Path)-1]
	if math.Abs(last[0]) > 1e-6 || math.Abs(last[1]) > 1e-6 {
		t.Errorf("the final point projects to %v, want (0, 0)", last)
	}
	if r := s.Ratio[0] + s.Ratio[1]; math.Abs(r-1) > 1e-6 {
		t.Errorf("two axes explain %g of a planar trajectory's variance, want 1", r)
	}
	d1, d2 := flat64(s.D1), flat64(s.D2)
	if math.Abs(Dot(d1, d1)-1) > 1e-5 || math.Abs(Dot(d2, d2)-1) > 1e-5 || math.Abs(Dot(d1, d2)) > 1e-5 {
		t.Errorf("axes not orthonormal: |d1|² %g |d2|² %g d1·d2 %g", Dot(d1, d1), Dot(d2, d2), Dot(d1, d2))
	}
	for k, p := range tr.Points {
		rec := make(Point, len(params))
		for i, q := range params {
			rec[i] = make([]float32, q.Len())
		}
		Combine(rec, tr.Points[len(tr.Points)-1], s.D1, s.D2, s.Path[k][0], s.Path[k][1])
		diff := Sub(rec, p)
		if n := math.Sqrt(Dot(diff, diff)); n > 1e-5 {
			t.Errorf("point %d is %g from its projection onto the plane", k, n)
		}
	}
}

func flat64(p Point) []float64 {
	var out []float64
	for _, v := range p {
		for _, x := range v {
			out = append(out, float64(x))
		}
	}
	return out
}

// On a real run the PCA plane's origin scores the final weights, and a
// random plane's centre too.
func TestPlanesOfARun(t *testing.T) {
	dirs, ds := testRuns(t)
	rw, err := OpenRunWeights(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTrajectory(rw)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 5 {
		t.Fatalf("trajectory steps %v, want 0..4", tr.Steps)
	}
	s, err := PCAPlane(tr, rw.Params)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEvaluator(t, rw, Subset(ds.Test, 100, 1), 100)
	want, _ := e.Eval(context.Background(), rw.FinalPoint)
	if err := Plane(context.Background(), e, s, rw.FinalPoint, []float64{-1, 0, 1}, []float64{0}, nil); err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.Loss[0][1]-want.Loss) > 1e-6 {
		t.Errorf("PCA plane origin loss %g, final weights %g", s.Loss[0][1], want.Loss)
	}
	r := RandomPlane(rw.FinalPoint, rw.Params, 1)
	if err := Plane(context.Background(), e, r, rw.FinalPoint, []float64{0, 1}, []float64{0, 1}, nil); err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Loss[0][0]-want.Loss) > 1e-6 || r.Loss[1][1] == r.Loss[0][0] {
		t.Errorf("random plane losses %v, centre should be %g and a corner differ", r.Loss, want.Loss)
	}
	if _, err := SurfaceFigure(r, "t", "d1", "d2"); err != nil {
		t.Error(err)
	}
	if _, err := SurfaceFigure(s, "t", "d1", "d2"); err == nil {
		t.Error("a 3×1 grid drew a surface figure")
	}
}
