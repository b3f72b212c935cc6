package weightspace

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/train"
)

// refOpt is one optimizer's update in float64, written from its definition
// (PyTorch's), on a two-weight point with its gradient.
type refOpt struct {
	name  string
	lr    float64
	state [3][2]float64
	t     int
}

func (o *refOpt) step(p, g [2]float64) [2]float64 {
	o.t++
	var out [2]float64
	for i := 0; i < 2; i++ {
		v, m, s := &o.state[0][i], &o.state[1][i], &o.state[2][i]
		switch o.name {
		case "sgd":
			out[i] = p[i] - o.lr*g[i]
		case "momentum":
			*v = 0.9**v + g[i]
			out[i] = p[i] - o.lr**v
		case "nesterov":
			*v = 0.9**v + g[i]
			out[i] = p[i] - o.lr*(g[i]+0.9**v)
		case "adagrad":
			*s += g[i] * g[i]
			out[i] = p[i] - o.lr*g[i]/(math.Sqrt(*s)+1e-10)
		case "rmsprop":
			*s = 0.99**s + 0.01*g[i]*g[i]
			out[i] = p[i] - o.lr*g[i]/(math.Sqrt(*s)+1e-8)
		case "adam":
			*m = 0.9**m + 0.1*g[i]
			*s = 0.999**s + 0.001*g[i]*g[i]
			mh := *m / (1 - math.Pow(0.9, float64(o.t)))
			sh := *s / (1 - math.Pow(0.999, float64(o.t)))
			out[i] = p[i] - o.lr*mh/(math.Sqrt(sh)+1e-8)
		}
	}
	return out
}

// The gradients of the quadratic problems, by hand.
func lineFitGrad(p [2]float64) [2]float64 {
	xs, ys := LineFitData()
	var g [2]float64
	for i := range xs {
		r := p[0]*xs[i] + p[1] - ys[i]
		g[0] += 2 * r * xs[i] / float64(len(xs))
		g[1] += 2 * r / float64(len(xs))
	}
	return g
}

func saddleGrad(p [2]float64) [2]float64 { return [2]float64{2 * p[0], -2 * p[1]} }

// On the quadratic problems each optimizer's first three steps, run by the
// compiled Program's fused update kernel, equal the update computed by hand
// in float64, to 1e-6.
func TestRaceFirstStepsByHand(t *testing.T) {
	for _, pc := range []struct {
		name string
		grad func([2]float64) [2]float64
	}{{"linefit", lineFitGrad}, {"saddle", saddleGrad}} {
		p, err := ProblemByName(pc.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range RaceOptimizers {
			r, err := NewRacer(p, opt, p.LR[opt], "cpu")
			if err != nil {
				t.Fatal(err)
			}
			ref := &refOpt{name: opt, lr: p.LR[opt]}
			want := p.Start
			for s := 1; s <= 3; s++ {
				if _, err := r.Step(); err != nil {
					t.Fatal(err)
				}
				want = ref.step(want, pc.grad(want))
				got, _ := r.Point()
				if math.Abs(got[0]-want[0]) > 1e-6*math.Max(1, math.Abs(want[0])) || math.Abs(got[1]-want[1]) > 1e-6*math.Max(1, math.Abs(want[1])) {
					t.Errorf("%s %s step %d: (%.8g, %.8g), by hand (%.8g, %.8g)", pc.name, opt, s, got[0], got[1], want[0], want[1])
				}
			}
			r.Close()
		}
	}
}

// The known minima are reached: every optimizer fits the line (to the least
// squares solution; RMSprop to within its rate), Adam finds Beale's and Rosenbrock's minimizers, SGD the
// logistic neuron's (Newton's, in float64); the saddle's paths stop at the box.
func TestRaceReachesMinima(t *testing.T) {
	for _, tc := range []struct {
		problem string
		opts    []string
		steps   int
		dist    float64
	}{
		{"linefit", RaceOptimizers, 1000, 1e-3},
		{"logistic", []string{"sgd", "momentum", "adam"}, 1000, 1e-3},
		{"beale", []string{"momentum", "adam"}, 2000, 1e-3},
		{"rosenbrock", []string{"adam"}, 2000, 1e-3},
	} {
		p, _ := ProblemByName(tc.problem)
		res, err := Race(context.Background(), p, RaceOptions{Optimizers: tc.opts, Steps: tc.steps, Tol: 1e-4, Device: "cpu", Grid: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range res.Paths {
			dist, gap := tc.dist, 1e-4
			if path.Optimizer == "rmsprop" {
				// With a constant rate RMSprop's step stays about lr·g/rms(g) ≈ lr
				// long: it hovers around the minimum at a distance of order lr.
				dist, gap = 2*path.LR, 1e-2
			}
			if path.FinalDist > dist || path.StepsToTol < 0 || path.Stopped != "" || math.Abs(path.FinalLoss-p.MinLoss) > gap {
				t.Errorf("%s %s: ended %g from the minimizer %v, loss %g (minimum %g), steps to 1e-4: %d, stopped %q",
					tc.problem, path.Optimizer, path.FinalDist, p.Min, path.FinalLoss, p.MinLoss, path.StepsToTol, path.Stopped)
			}
			if len(path.Points) != len(path.Losses) || len(path.Points) != path.Steps+1 {
				t.Errorf("%s %s: %d points, %d losses, %d steps", tc.problem, path.Optimizer, len(path.Points), len(path.Losses), path.Steps)
			}
		}
	}
	p, _ := ProblemByName("saddle")
	res, err := Race(context.Background(), p, RaceOptions{Steps: 1000, Tol: 1e-4, Device: "cpu", Grid: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range res.Paths {
		last := path.Points[len(path.Points)-1]
		if path.Stopped != "left the box" || path.Steps >= 1000 || inBox(last, p.Box) || !inBox(path.Points[len(path.Points)-2], p.Box) {
			t.Errorf("saddle %s: stopped %q after %d steps at %v", path.Optimizer, path.Stopped, path.Steps, last)
		}
	}
	// The surface grid is the Program's loss: at the box's corner of the saddle, x² − y².
	if l := res.Surface.Loss[0][0]; math.Abs(l-(1.5*1.5-1.5*1.5)) > 1e-6 || math.Abs(res.Surface.Loss[1][0]-(1.5*1.5)) > 1e-6 {
		t.Errorf("saddle surface at (−1.5, −1.5) %g, at (−1.5, 0) %g", l, res.Surface.Loss[1][0])
	}
}

// The race compiles its surfaces with the optimizer `gabor train
// --optimizer X` configures (train.Config.GraphOptimizer): the update
// instruction of the race's Program is the training one, op and arguments.
func TestRaceUsesTrainingUpdate(t *testing.T) {
	p, _ := ProblemByName("rosenbrock")
	for race, tr := range map[string]string{"sgd": "sgd", "adam": "adam", "adagrad": "adagrad", "rmsprop": "rmsprop"} {
		cfg := train.DefaultConfig("lenet")
		cfg.Optimizer, cfg.Momentum = tr, 0
		cfg.Eps = 0 // the race takes each kernel's default ε; train's flag default is Adam's
		if tr == "adam" {
			cfg.Eps = 1e-8
		}
		m, _ := p.Model(0, 0)
		want, err := graph.Compile(m, graph.Options{Optimizer: cfg.GraphOptimizer()})
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRacer(p, race, 0.01, "cpu")
		if err != nil {
			t.Fatal(err)
		}
		got := r.Prog.Instrs[r.Prog.Update.Start:r.Prog.Update.End]
		w := want.Instrs[want.Update.Start:want.Update.End]
		if len(got) != 1 || len(w) != 1 || got[0].Op != w[0].Op || !reflect.DeepEqual(got[0].Args, w[0].Args) {
			t.Errorf("%s: race update %v, training update %v", race, got, w)
		}
		r.Close()
	}
}

// Bad input: an unknown problem or optimizer names what exists; a rate
// that is not positive is refused.
func TestRaceBadInput(t *testing.T) {
	if _, err := ProblemByName("himmelblau"); err == nil || !strings.Contains(err.Error(), "rosenbrock") {
		t.Errorf("unknown problem: %v", err)
	}
	p, _ := ProblemByName("beale")
	if _, err := NewRacer(p, "lbfgs", 0.1, "cpu"); err == nil || !strings.Contains(err.Error(), "rmsprop") {
		t.Errorf("unknown optimizer: %v", err)
	}
	if _, err := NewRacer(p, "adam", -1, "cpu"); err == nil {
		t.Error("a negative rate raced")
	}
}
