package sweep

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Plan is a spec expanded into its points: what sweep.json records and what
// every executor runs. It is built once (NewPlan) and never changes; a
// resumed sweep reads it back.
type Plan struct {
	Version int      `json:"version"`
	Name    string   `json:"name,omitempty"`
	Train   []string `json:"train"`            // the fixed `gabor train` arguments of every point
	Swept   []string `json:"swept"`            // the swept flags, in order (seed last when seeds are swept)
	Random  []string `json:"random,omitempty"` // those of Swept drawn at random
	Retries int      `json:"retries"`
	Points  []Point  `json:"points"`
}

// PlanVersion is the sweep.json format version.
const PlanVersion = 1

// Point is one run of a sweep.
type Point struct {
	Index  int     `json:"index"`
	Name   string  `json:"name"` // its run directory under runs/, named by its values
	Values []Value `json:"values"`
	// Args are the `gabor train` arguments (after "train", before --out).
	Args []string `json:"args"`
}

// Value is one swept flag's value at a point.
type Value struct {
	Flag  string `json:"flag"`
	Value string `json:"value"`
}

// Get returns the value of a swept flag at p ("" when not swept).
func (p Point) Get(flag string) string {
	for _, v := range p.Values {
		if v.Flag == flag {
			return v.Value
		}
	}
	return ""
}

// NewPlan expands s into points: every combination of the grid's values,
// crossed with each random sample, crossed with each seed (the innermost).
// extra are `gabor train` arguments given on the command line, after the
// spec's train flags.
func NewPlan(s *Spec, extra []string) (*Plan, error) {
	if len(s.Grid) == 0 && s.Random == nil && len(s.Seeds) == 0 {
		return nil, errors.New("sweep: nothing to sweep: give a grid (--grid lr=0.01,0.05), random samples (--random) or seeds (--seeds 1-3)")
	}
	p := &Plan{Version: PlanVersion, Name: s.Name, Retries: s.Retries}
	for _, f := range s.Train {
		p.Train = append(p.Train, flagArg(f.Name, f.Value))
	}
	p.Train = append(p.Train, extra...)
	for _, g := range s.Grid {
		p.Swept = append(p.Swept, g.Name)
	}
	if s.Random != nil {
		for _, d := range s.Random.Params {
			p.Swept = append(p.Swept, d.Name)
			p.Random = append(p.Random, d.Name)
		}
	}
	if len(s.Seeds) > 0 {
		p.Swept = append(p.Swept, "seed")
	}
	for _, name := range argFlagNames(extra) {
		if slices.Contains(p.Swept, name) {
			return nil, fmt.Errorf("sweep: --%s is swept and also given after --: give it in one place", name)
		}
		if why, ok := flagsOwned[name]; ok {
			return nil, fmt.Errorf("sweep: --%s cannot be given to the runs of a sweep: %s", name, why)
		}
	}

	n := 1
	for _, g := range s.Grid {
		n *= len(g.Values)
		if n > MaxPoints {
			break
		}
	}
	if s.Random != nil {
		n *= s.Random.Samples
	}
	if len(s.Seeds) > 0 {
		n *= len(s.Seeds)
	}
	if n > MaxPoints || n < 0 {
		return nil, fmt.Errorf("sweep: the spec makes more than %d points", MaxPoints)
	}

	combos := [][]Value{nil}
	for _, g := range s.Grid {
		var next [][]Value
		for _, c := range combos {
			for _, v := range g.Values {
				next = append(next, append(slices.Clone(c), Value{g.Name, v}))
			}
		}
		combos = next
	}
	if s.Random != nil {
		samples := s.Random.draw()
		var next [][]Value
		for _, c := range combos {
			for _, smp := range samples {
				next = append(next, append(slices.Clone(c), smp...))
			}
		}
		combos = next
	}
	if len(s.Seeds) > 0 {
		var next [][]Value
		for _, c := range combos {
			for _, seed := range s.Seeds {
				next = append(next, append(slices.Clone(c), Value{"seed", strconv.FormatUint(seed, 10)}))
			}
		}
		combos = next
	}
	used := map[string]bool{}
	for i, c := range combos {
		pt := Point{Index: i, Values: c, Args: slices.Clone(p.Train)}
		for _, v := range c {
			pt.Args = append(pt.Args, flagArg(v.Flag, v.Value))
		}
		pt.Name = pointName(c)
		if used[pt.Name] {
			base := pt.Name
			for k := 2; used[pt.Name]; k++ {
				pt.Name = base + "-" + strconv.Itoa(k)
			}
		}
		used[pt.Name] = true
		p.Points = append(p.Points, pt)
	}
	return p, nil
}

// flagArg is --name=value, always with "=": an empty value then stays the
// flag's (a bare --name would take the next argument as its value).
func flagArg(name, value string) string { return "--" + name + "=" + value }

// argFlagNames are the flag names in command-line arguments (--name,
// --name=value; -x).
func argFlagNames(args []string) []string {
	var out []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 && (a[1] < '0' || a[1] > '9') && a[1] != '.' {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			out = append(out, name)
		}
	}
	return out
}

// pointName is a run directory name made of a point's values:
// "lr=0.01_seed=2". Characters that are awkward in a path become '-'.
func pointName(vals []Value) string {
	if len(vals) == 0 {
		return "run"
	}
	var parts []string
	for _, v := range vals {
		parts = append(parts, v.Flag+"="+v.Value)
	}
	b := []byte(strings.Join(parts, "_"))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '=' || c == '_' || c == '+' || c == '-') {
			b[i] = '-'
		}
	}
	name := string(b)
	if len(name) > 200 {
		name = name[:200]
	}
	if name[0] == '.' || name[0] == '-' {
		name = "p" + name
	}
	return name
}

// draw returns the Samples points of a random search, each a value per
// param in order, from a PCG generator seeded by Seed: the same spec always
// draws the same points. Continuous values keep 4 significant digits, so a
// point's name and its flags say the same number.
func (r *Random) draw() [][]Value {
	rng := rand.New(rand.NewPCG(r.Seed, 0x5377656570)) // "Sweep"
	out := make([][]Value, r.Samples)
	for i := range out {
		for _, d := range r.Params {
			out[i] = append(out[i], Value{d.Name, d.sample(rng)})
		}
	}
	return out
}

func (d Dist) sample(rng *rand.Rand) string {
	switch d.Kind {
	case DistChoice:
		return d.Choices[rng.IntN(len(d.Choices))]
	case DistInt:
		lo, hi := int64(d.Lo), int64(d.Hi)
		return strconv.FormatInt(lo+rng.Int64N(hi-lo+1), 10)
	case DistLogUniform:
		v := d.Lo * math.Pow(d.Hi/d.Lo, rng.Float64())
		return strconv.FormatFloat(v, 'g', 4, 64)
	default:
		v := d.Lo + (d.Hi-d.Lo)*rng.Float64()
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

// CheckFlags checks every flag name of s against `gabor train`'s (known):
// an unknown one is a *SpecError at its line in file.
func CheckFlags(s *Spec, file string, known func(name string) bool) error {
	check := func(name string, line int, role string) error {
		if known(name) {
			return nil
		}
		msg := fmt.Sprintf("unknown gabor train flag %q in %s (gabor train --help lists them)", name, role)
		if file == "" {
			return fmt.Errorf("sweep: %s", msg)
		}
		return &SpecError{File: file, Line: line, Msg: msg}
	}
	for _, f := range s.Train {
		if err := check(f.Name, f.Line, "train"); err != nil {
			return err
		}
	}
	for _, g := range s.Grid {
		if err := check(g.Name, g.Line, "grid"); err != nil {
			return err
		}
	}
	if s.Random != nil {
		for _, d := range s.Random.Params {
			if err := check(d.Name, d.Line, "random"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Merge adds the sweep given by flags to s (a SPEC file's); a flag swept in
// both is an error.
func (s *Spec) Merge(o *Spec) error {
	s.Train = append(s.Train, o.Train...)
	s.Grid = append(s.Grid, o.Grid...)
	if o.Random != nil {
		if s.Random != nil {
			return errors.New("sweep: random samples are given both in the spec and by flags")
		}
		s.Random = o.Random
	}
	if len(o.Seeds) > 0 {
		if len(s.Seeds) > 0 {
			return errors.New("sweep: seeds are given both in the spec and by --seeds")
		}
		s.Seeds = o.Seeds
	}
	if o.RetriesSet {
		s.Retries, s.RetriesSet = o.Retries, true
	}
	if o.Name != "" {
		s.Name = o.Name
	}
	return s.checkNames(func(_ string, _ int, msg string) error { return errors.New("sweep: " + msg) })
}
