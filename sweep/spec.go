package sweep

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is what a sweep explores: the fixed flags of every run, the values
// swept (a grid, random samples, seeds) and how often a failed run is tried.
// It comes from a SPEC file (ParseSpec), from flags, or both (Merge).
type Spec struct {
	Name    string  // optional, for titles
	Train   []Flag  // fixed `gabor train` flags, in order
	Grid    []Param // every combination of their values
	Random  *Random // random samples, crossed with the grid
	Seeds   []uint64
	Retries int // attempts after the first failure (default DefaultRetries)
	// RetriesSet says Retries was given (a flag or the file), not defaulted.
	RetriesSet bool
}

// DefaultRetries is how many times a failed run is tried again by default.
const DefaultRetries = 2

// Flag is one fixed `gabor train` flag: --Name=Value (a bool flag's Value
// is true or false). Line is where a SPEC file gave it (0: flags).
type Flag struct {
	Name, Value string
	Line        int
}

// Param is one swept flag of the grid and the values it takes.
type Param struct {
	Name   string
	Values []string
	Line   int
}

// Random is a random search: Samples points drawn from Params with a
// generator seeded by Seed (the same spec draws the same points).
type Random struct {
	Samples int
	Seed    uint64
	Params  []Dist
}

// Dist is how one flag of a random search is drawn:
//
//	uniform(a, b)      a + (b−a)·u
//	log-uniform(a, b)  a·(b/a)^u, for rates (0 < a < b)
//	int(a, b)          an integer from a to b, both included
//	choice(v1, v2, …)  one of the values, equally likely
type Dist struct {
	Name    string
	Kind    string
	Lo, Hi  float64
	Choices []string
	Line    int
}

// Distribution kinds (Dist.Kind).
const (
	DistUniform    = "uniform"
	DistLogUniform = "log-uniform"
	DistInt        = "int"
	DistChoice     = "choice"
)

// SpecError is a problem at one place of a SPEC file: "FILE:LINE: what".
type SpecError struct {
	File string
	Line int // 0: the file as a whole
	Msg  string
}

func (e *SpecError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// specKeys are the top-level keys of a SPEC file.
var specKeys = []string{"name", "train", "grid", "random", "seeds", "retries"}

// ParseSpec reads a SPEC file's content (YAML, or JSON, which YAML reads
// too); file names it in errors. Every error is a *SpecError with the line.
//
//	name: lr-and-seeds        # optional
//	train:                    # fixed flags of gabor train
//	  model: mlp
//	  epochs: 3
//	grid:                     # every combination
//	  lr: [0.01, 0.05]
//	random:                   # samples drawn, crossed with the grid
//	  samples: 4
//	  seed: 1
//	  params:
//	    momentum: uniform(0.8, 0.99)
//	seeds: 1-3                # or [1, 2, 3]
//	retries: 2
func ParseSpec(file string, b []byte) (*Spec, error) {
	file = filepath.Base(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &SpecError{File: file, Line: yamlErrorLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	bad := func(n *yaml.Node, format string, args ...any) error {
		return &SpecError{File: file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &SpecError{File: file, Msg: "empty spec (it needs at least a grid, random samples or seeds)"}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, bad(top, "a spec is a mapping of %s", strings.Join(specKeys, ", "))
	}
	s := &Spec{Retries: DefaultRetries}
	seen := map[string]bool{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			return nil, bad(k, "%s is given twice", k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "name":
			s.Name, err = scalar(v, "name", bad)
		case "train":
			s.Train, err = parseTrainNode(v, bad)
		case "grid":
			s.Grid, err = parseGridNode(v, bad)
		case "random":
			s.Random, err = parseRandomNode(v, bad)
		case "seeds":
			s.Seeds, err = parseSeedsNode(v, bad)
		case "retries":
			var t string
			if t, err = scalar(v, "retries", bad); err == nil {
				s.Retries, err = strconv.Atoi(t)
				if err != nil || s.Retries < 0 || s.Retries > 100 {
					err = bad(v, "retries must be a whole number from 0 to 100, got %q", t)
				}
				s.RetriesSet = true
			}
		default:
			err = bad(k, "unknown key %q (known: %s)", k.Value, strings.Join(specKeys, ", "))
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.checkNames(func(name string, line int, msg string) error {
		return &SpecError{File: file, Line: line, Msg: msg}
	}); err != nil {
		return nil, err
	}
	return s, nil
}

type badFunc func(n *yaml.Node, format string, args ...any) error

// yamlErrorLine finds "line N" in a yaml error (0 when there is none).
func yamlErrorLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if i := strings.Index(msg, "line "); i >= 0 {
		n := 0
		for _, c := range msg[i+5:] {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
			if n > 1<<30 {
				return 0
			}
		}
		return n
	}
	return 0
}

// scalar is a node's text, or an error when it is a list or mapping.
func scalar(n *yaml.Node, what string, bad badFunc) (string, error) {
	if n.Kind == yaml.AliasNode {
		return "", bad(n, "%s: aliases are not supported in a spec", what)
	}
	if n.Kind != yaml.ScalarNode {
		return "", bad(n, "%s must be a single value, not a %s", what, kindName(n))
	}
	if n.Tag == "!!null" {
		return "", bad(n, "%s has no value", what)
	}
	return n.Value, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}

// flagName checks a flag name as written in a spec ("lr", "--lr").
func flagName(k *yaml.Node, bad badFunc) (string, error) {
	if k.Kind != yaml.ScalarNode {
		return "", bad(k, "a flag name must be a single word, not a %s", kindName(k))
	}
	name := strings.TrimPrefix(k.Value, "--")
	if err := checkFlagName(name); err != nil {
		return "", bad(k, "%v", err)
	}
	return name, nil
}

func checkFlagName(name string) error {
	if name == "" {
		return errors.New("empty flag name")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("flag name %q: only letters, digits, - and _", name)
		}
	}
	return nil
}

func parseTrainNode(n *yaml.Node, bad badFunc) ([]Flag, error) {
	if n.Kind != yaml.MappingNode {
		return nil, bad(n, "train must be a mapping of gabor train flags to values (model: mlp), not a %s", kindName(n))
	}
	var out []Flag
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, err := flagName(k, bad)
		if err != nil {
			return nil, err
		}
		val, err := scalar(v, "train flag "+name, bad)
		if err != nil {
			return nil, err
		}
		out = append(out, Flag{Name: name, Value: val, Line: k.Line})
	}
	return out, nil
}

func parseGridNode(n *yaml.Node, bad badFunc) ([]Param, error) {
	if n.Kind != yaml.MappingNode {
		return nil, bad(n, "grid must be a mapping of flags to lists of values (lr: [0.01, 0.05]), not a %s", kindName(n))
	}
	var out []Param
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, err := flagName(k, bad)
		if err != nil {
			return nil, err
		}
		p := Param{Name: name, Line: k.Line}
		switch v.Kind {
		case yaml.SequenceNode:
			for _, e := range v.Content {
				s, err := scalar(e, "grid value of "+name, bad)
				if err != nil {
					return nil, err
				}
				p.Values = append(p.Values, s)
			}
		case yaml.ScalarNode:
			if v.Tag != "!!null" {
				p.Values = splitList(v.Value)
			}
		default:
			return nil, bad(v, "grid %s must be a list of values, not a %s", name, kindName(v))
		}
		if len(p.Values) == 0 {
			return nil, bad(k, "grid %s has no values", name)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, bad(n, "empty grid (give each swept flag a list of values, lr: [0.01, 0.05])")
	}
	return out, nil
}

var randomKeys = []string{"samples", "seed", "params"}

func parseRandomNode(n *yaml.Node, bad badFunc) (*Random, error) {
	if n.Kind != yaml.MappingNode {
		return nil, bad(n, "random must be a mapping of %s, not a %s", strings.Join(randomKeys, ", "), kindName(n))
	}
	r := &Random{Seed: 1}
	var params *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "samples", "seed":
			t, err := scalar(v, "random "+k.Value, bad)
			if err != nil {
				return nil, err
			}
			u, err := strconv.ParseUint(t, 10, 64)
			if k.Value == "seed" {
				if err != nil {
					return nil, bad(v, "random seed must be a whole number, got %q", t)
				}
				r.Seed = u
				continue
			}
			if err != nil || u < 1 || u > MaxPoints {
				return nil, bad(v, "random samples must be from 1 to %d, got %q", MaxPoints, t)
			}
			r.Samples = int(u)
		case "params":
			if v.Kind != yaml.MappingNode {
				return nil, bad(v, "random params must be a mapping of flags to distributions (lr: log-uniform(0.001, 0.1)), not a %s", kindName(v))
			}
			params = v
		default:
			return nil, bad(k, "unknown key %q in random (known: %s)", k.Value, strings.Join(randomKeys, ", "))
		}
	}
	if params == nil || len(params.Content) == 0 {
		return nil, bad(n, "random needs params: the flags to draw and their distributions")
	}
	if r.Samples == 0 {
		return nil, bad(n, "random needs samples: how many points to draw")
	}
	for i := 0; i+1 < len(params.Content); i += 2 {
		k, v := params.Content[i], params.Content[i+1]
		name, err := flagName(k, bad)
		if err != nil {
			return nil, err
		}
		t, err := scalar(v, "distribution of "+name, bad)
		if err != nil {
			return nil, err
		}
		d, err := ParseDist(name, t)
		if err != nil {
			return nil, bad(v, "%v", err)
		}
		d.Line = k.Line
		r.Params = append(r.Params, d)
	}
	return r, nil
}

func parseSeedsNode(n *yaml.Node, bad badFunc) ([]uint64, error) {
	var text string
	switch n.Kind {
	case yaml.SequenceNode:
		var parts []string
		for _, e := range n.Content {
			s, err := scalar(e, "a seed", bad)
			if err != nil {
				return nil, err
			}
			parts = append(parts, s)
		}
		text = strings.Join(parts, ",")
	case yaml.ScalarNode:
		text = n.Value
	default:
		return nil, bad(n, "seeds must be a list or a range (1-5), not a %s", kindName(n))
	}
	seeds, err := ParseSeeds(text)
	if err != nil {
		return nil, bad(n, "%v", err)
	}
	return seeds, nil
}

// splitList splits "a,b, c" into its trimmed, non-empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// MaxPoints bounds a sweep's size: a typo (seeds 1-100000) is an error,
// not a month of runs.
const MaxPoints = 10000

// ParseSeeds reads a seed list: numbers and ranges separated by commas
// ("1-5", "1,2,7", "1-3,10"), each seed once.
func ParseSeeds(s string) ([]uint64, error) {
	var out []uint64
	seen := map[uint64]bool{}
	parts := splitList(s)
	if len(parts) == 0 {
		return nil, fmt.Errorf("seeds: empty list (give numbers or ranges: 1-5)")
	}
	for _, p := range parts {
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seeds: %q is not a whole number or a range like 1-5", p)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("seeds: %q is not a range from a low to a high seed", p)
			}
		}
		if b-a >= MaxPoints {
			return nil, fmt.Errorf("seeds: %q holds more than %d seeds", p, MaxPoints)
		}
		for v := a; ; v++ {
			if seen[v] {
				return nil, fmt.Errorf("seeds: seed %d is given twice", v)
			}
			seen[v] = true
			out = append(out, v)
			if len(out) > MaxPoints {
				return nil, fmt.Errorf("seeds: more than %d seeds", MaxPoints)
			}
			if v == b {
				break
			}
		}
	}
	return out, nil
}

// ParseGrid reads one --grid flag: "lr=0.01,0.05".
func ParseGrid(s string) (Param, error) {
	name, vals, ok := strings.Cut(s, "=")
	name = strings.TrimPrefix(strings.TrimSpace(name), "--")
	if !ok {
		return Param{}, fmt.Errorf("--grid %q: want FLAG=V1,V2,… (lr=0.01,0.05)", s)
	}
	if err := checkFlagName(name); err != nil {
		return Param{}, fmt.Errorf("--grid %q: %v", s, err)
	}
	p := Param{Name: name, Values: splitList(vals)}
	if len(p.Values) == 0 {
		return Param{}, fmt.Errorf("--grid %q: empty grid: %s has no values", s, name)
	}
	return p, nil
}

// ParseRandomFlag reads one --random flag: "lr=log-uniform(0.001,0.1)".
func ParseRandomFlag(s string) (Dist, error) {
	name, dist, ok := strings.Cut(s, "=")
	name = strings.TrimPrefix(strings.TrimSpace(name), "--")
	if !ok {
		return Dist{}, fmt.Errorf("--random %q: want FLAG=DIST (lr=log-uniform(0.001,0.1))", s)
	}
	if err := checkFlagName(name); err != nil {
		return Dist{}, fmt.Errorf("--random %q: %v", s, err)
	}
	d, err := ParseDist(name, dist)
	if err != nil {
		return Dist{}, fmt.Errorf("--random %q: %v", s, err)
	}
	return d, nil
}

// ParseDist reads a distribution: uniform(a, b), log-uniform(a, b),
// int(a, b) or choice(v1, v2, …).
func ParseDist(name, s string) (Dist, error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return Dist{}, fmt.Errorf("%s: %q is not a distribution: write uniform(a, b), log-uniform(a, b), int(a, b) or choice(v1, v2, …)", name, s)
	}
	d := Dist{Name: name, Kind: strings.TrimSpace(s[:open])}
	args := splitList(s[open+1 : len(s)-1])
	switch d.Kind {
	case DistChoice:
		if len(args) == 0 {
			return Dist{}, fmt.Errorf("%s: choice() needs at least one value", name)
		}
		d.Choices = args
		return d, nil
	case DistUniform, DistLogUniform, DistInt:
	default:
		return Dist{}, fmt.Errorf("%s: unknown distribution %q (known: uniform, log-uniform, int, choice)", name, d.Kind)
	}
	if len(args) != 2 {
		return Dist{}, fmt.Errorf("%s: %s needs two bounds, %s(low, high); got %d", name, d.Kind, d.Kind, len(args))
	}
	var err error
	if d.Lo, err = strconv.ParseFloat(args[0], 64); err == nil {
		d.Hi, err = strconv.ParseFloat(args[1], 64)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case err != nil || !finite(d.Lo) || !finite(d.Hi):
		return Dist{}, fmt.Errorf("%s: the bounds of %s must be finite numbers, got %q and %q", name, d.Kind, args[0], args[1])
	case !(d.Lo < d.Hi) && !(d.Kind == DistInt && d.Lo == d.Hi):
		return Dist{}, fmt.Errorf("%s: %s(%s, %s): the low bound must be below the high one", name, d.Kind, args[0], args[1])
	case d.Kind == DistLogUniform && d.Lo <= 0:
		return Dist{}, fmt.Errorf("%s: log-uniform needs positive bounds, got %s", name, args[0])
	case d.Kind == DistInt && (d.Lo != math.Trunc(d.Lo) || d.Hi != math.Trunc(d.Hi) || math.Abs(d.Lo) > 1<<52 || math.Abs(d.Hi) > 1<<52):
		return Dist{}, fmt.Errorf("%s: int needs whole-number bounds, got %s and %s", name, args[0], args[1])
	}
	return d, nil
}

// flagsOwned are `gabor train` flags the sweep sets itself.
var flagsOwned = map[string]string{
	"out":    "the sweep gives every run its directory",
	"resume": "the sweep resumes its runs itself",
	"json":   "the sweep reads the run directories",
}

// checkNames refuses a flag swept twice, swept and fixed at once, or one
// the sweep owns; fail builds the error for a name at a line.
func (s *Spec) checkNames(fail func(name string, line int, msg string) error) error {
	where := map[string]string{}
	add := func(name, role string, line int) error {
		if why, ok := flagsOwned[name]; ok {
			return fail(name, line, fmt.Sprintf("--%s cannot be set in a sweep: %s", name, why))
		}
		if name == "seed" && len(s.Seeds) > 0 && role != "seeds" {
			return fail(name, line, "seed is swept by seeds: give the seeds there, not as a "+role+" flag")
		}
		if prev, ok := where[name]; ok {
			return fail(name, line, fmt.Sprintf("%s is given twice (as %s and as %s)", name, prev, role))
		}
		where[name] = role
		return nil
	}
	for _, f := range s.Train {
		if err := add(f.Name, "a train flag", f.Line); err != nil {
			return err
		}
	}
	for _, p := range s.Grid {
		if err := add(p.Name, "a grid flag", p.Line); err != nil {
			return err
		}
	}
	if s.Random != nil {
		for _, d := range s.Random.Params {
			if err := add(d.Name, "a random flag", d.Line); err != nil {
				return err
			}
		}
	}
	return nil
}
