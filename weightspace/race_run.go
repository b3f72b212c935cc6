package weightspace

import (
	"context"
	"fmt"
	"math"
)

// RaceOptions configure Race.
type RaceOptions struct {
	Optimizers []string           // of RaceOptimizers (nil: all)
	LR         map[string]float64 // overrides of the problem's default rates, by optimizer
	Steps      int                // steps per optimizer
	Tol        float64            // a path has converged when loss − MinLoss ≤ Tol
	Device     string
	Grid       int // the contour grid's points per side (0: 101)
}

// Path is one optimizer's run on a problem.
type Path struct {
	Optimizer string       `json:"optimizer"`
	LR        float64      `json:"lr"`
	Points    [][2]float64 `json:"points"` // the start, then the point after each step
	Losses    []float64    `json:"losses"` // the loss at each point
	// StepsToTol is the first step after which loss − MinLoss ≤ Tol (-1:
	// never, or no known minimum).
	StepsToTol int     `json:"steps_to_tol"`
	FinalLoss  float64 `json:"final_loss"`
	// Distance from the known minimizer at the end (-1 when none is known).
	FinalDist float64 `json:"final_distance"`
	// Stopped says why a path ended before Steps: "left the box" or
	// "non-finite loss" ("" when it ran every step).
	Stopped string `json:"stopped,omitempty"`
	Steps   int    `json:"steps"`
}

// RaceResult is a problem raced by several optimizers, with the surface on
// a grid for the contour figure.
type RaceResult struct {
	Problem string      `json:"problem"`
	About   string      `json:"about"`
	Start   [2]float64  `json:"start"`
	Box     [4]float64  `json:"box"`
	Min     *[2]float64 `json:"min,omitempty"`
	MinLoss *float64    `json:"min_loss,omitempty"`
	Tol     float64     `json:"tol"`
	Device  string      `json:"device"`
	Paths   []Path      `json:"paths"`
	Surface *Surface    `json:"-"`
}

// Race runs each optimizer from the problem's start for o.Steps steps, each
// step one run of the compiled training Program (forward, backward and the
// fused update kernel), and evaluates the surface on a grid over the box
// with the same Program's forward segment.
func Race(ctx context.Context, p *Problem, o RaceOptions) (*RaceResult, error) {
	if o.Steps < 1 {
		return nil, fmt.Errorf("weightspace: race needs at least 1 step, got %d", o.Steps)
	}
	opts := o.Optimizers
	if len(opts) == 0 {
		opts = RaceOptimizers
	}
	res := &RaceResult{Problem: p.Name, About: p.About, Start: p.Start, Box: p.Box, Tol: o.Tol}
	if p.HasMin {
		mn, ml := p.Min, p.MinLoss
		res.Min, res.MinLoss = &mn, &ml
	}
	for _, name := range opts {
		lr, ok := o.LR[name]
		if !ok {
			lr = p.LR[name]
		}
		r, err := NewRacer(p, name, lr, o.Device)
		if err != nil {
			return nil, err
		}
		path, err := runPath(ctx, r, p, o)
		if res.Device == "" {
			res.Device = deviceOf(o.Device)
		}
		if res.Surface == nil && err == nil {
			res.Surface, err = surfaceOf(r, p, o.Grid)
		}
		r.Close()
		if err != nil {
			return nil, err
		}
		res.Paths = append(res.Paths, path)
	}
	return res, nil
}

func deviceOf(d string) string {
	if d == "" {
		return "auto"
	}
	return d
}

func runPath(ctx context.Context, r *Racer, p *Problem, o RaceOptions) (Path, error) {
	path := Path{Optimizer: r.Optimizer, LR: r.LR, StepsToTol: -1, FinalDist: -1, Points: [][2]float64{p.Start}}
	for s := 1; s <= o.Steps; s++ {
		if err := ctx.Err(); err != nil {
			return path, err
		}
		l, err := r.Step()
		if err != nil {
			return path, err
		}
		path.Losses = append(path.Losses, l)
		if p.HasMin && path.StepsToTol < 0 && l-p.MinLoss <= o.Tol {
			path.StepsToTol = s - 1 // the loss read at step s is that of the point after step s−1
		}
		xy, err := r.Point()
		if err != nil {
			return path, err
		}
		path.Steps = s
		if math.IsNaN(l) || math.IsInf(l, 0) || math.IsNaN(xy[0]) || math.IsNaN(xy[1]) || math.IsInf(xy[0], 0) || math.IsInf(xy[1], 0) {
			path.Stopped = "non-finite loss"
			break
		}
		path.Points = append(path.Points, xy)
		if !inBox(xy, p.Box) {
			path.Stopped = "left the box"
			break
		}
	}
	last := path.Points[len(path.Points)-1]
	fl, err := r.Loss(last)
	if err != nil {
		return path, err
	}
	path.Losses = append(path.Losses, fl)
	path.FinalLoss = fl
	if p.HasMin {
		if path.StepsToTol < 0 && fl-p.MinLoss <= o.Tol && path.Stopped == "" {
			path.StepsToTol = path.Steps
		}
		path.FinalDist = math.Hypot(last[0]-p.Min[0], last[1]-p.Min[1])
	}
	if len(path.Losses) > len(path.Points) { // a stopped path: keep losses aligned with points
		path.Losses = append(path.Losses[:len(path.Points)-1], fl)
	}
	return path, nil
}

func inBox(xy [2]float64, b [4]float64) bool {
	return xy[0] >= b[0] && xy[0] <= b[1] && xy[1] >= b[2] && xy[1] <= b[3]
}

// surfaceOf evaluates the problem's loss over its box with the racer's
// forward segment (its weights are reset afterwards by whoever races next).
func surfaceOf(r *Racer, p *Problem, n int) (*Surface, error) {
	if n <= 1 {
		n = 101
	}
	s := &Surface{Kind: "race", X: Alphas(p.Box[0], p.Box[1], n), Y: Alphas(p.Box[2], p.Box[3], n)}
	s.Loss = make([][]float64, n)
	for j, y := range s.Y {
		s.Loss[j] = make([]float64, n)
		for i, x := range s.X {
			l, err := r.Loss([2]float64{x, y})
			if err != nil {
				return nil, err
			}
			s.Loss[j][i] = l
		}
	}
	return s, nil
}
