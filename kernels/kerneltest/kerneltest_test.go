package kerneltest

import (
	"math"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
)

// The suite must catch a faulty backend. faulty wraps the CPU backend and
// damages the result of every Run in one way.
type faulty struct{ fault string }

func (f faulty) Name() string       { return "faulty-" + f.fault }
func (f faulty) Caps() kernels.Caps { return kernels.Caps{} }
func (f faulty) Load(p *kernels.Program) (kernels.Executable, error) {
	x, err := cpu.Backend{}.Load(p)
	if err != nil {
		return nil, err
	}
	return &faultyExec{Executable: x, p: p, fault: f.fault}, nil
}

type faultyExec struct {
	kernels.Executable
	p     *kernels.Program
	fault string
}

func (x *faultyExec) Run(seg kernels.Segment) error {
	if err := x.Executable.Run(seg); err != nil {
		return err
	}
	in := x.p.Instrs[0]
	poke := func(id kernels.BufID, k int, f func(float32) float32) {
		v := make([]float32, x.p.Buffers[id].Len)
		if err := x.Read(id, v); err != nil {
			panic(err)
		}
		v[k] = f(v[k])
		if err := x.Write(id, v); err != nil {
			panic(err)
		}
	}
	out := in.Out[0]
	switch x.fault {
	case "perturb": // one element off by 0.1%
		poke(out, 3, func(v float32) float32 { return v*1.001 + 1e-3 })
	case "unwritten": // the last element left as it was (NaN)
		poke(out, x.p.Buffers[out].Len-1, func(float32) float32 { return float32(math.NaN()) })
	case "guard": // one write past the end of the output
		poke(out+1, 0, func(float32) float32 { return 0 })
	case "input": // an input clobbered
		poke(in.In[0], 0, func(v float32) float32 { return v + 1 })
	}
	return nil
}

func TestSuiteCatchesFaults(t *testing.T) {
	c := unaryCase(kernels.UnaryTanh, 33, false)
	if problems, err := checkCase(faulty{"none"}, "clean", c); err != nil || len(problems) != 0 {
		t.Fatalf("a correct backend failed: %v %v", problems, err)
	}
	for fault, want := range map[string]string{
		"perturb":   "output 0: 1 of 33 elements off; worst [3]",
		"unwritten": "output 0: 1 of 33 elements off; worst [32]",
		"guard":     "guard after output 0 was written",
		"input":     "input 0 was modified: [0]",
	} {
		problems, err := checkCase(faulty{fault}, fault, c)
		if err != nil {
			t.Fatalf("%s: %v", fault, err)
		}
		if len(problems) != 1 || !strings.Contains(problems[0], want) {
			t.Errorf("fault %q: problems %q, want one containing %q", fault, problems, want)
		}
	}
}

func TestTol(t *testing.T) {
	tol := Tol{Atol: 1e-3, Rtol: 1e-2}
	for _, c := range []struct {
		got  float32
		want float64
		ok   bool
	}{
		{1, 1, true}, {1.0105, 1, true}, {1.012, 1, false}, {0.0009, 0, true}, {0.0011, 0, false},
		{float32(math.NaN()), math.NaN(), true}, {0, math.NaN(), false}, {float32(math.NaN()), 0, false},
		{float32(math.Inf(1)), math.Inf(1), true}, {float32(math.Inf(-1)), math.Inf(1), false},
	} {
		if got := tol.ok(float64(c.got), c.want); got != c.ok {
			t.Errorf("Tol%+v.ok(%v, %v) = %v, want %v", tol, c.got, c.want, got, c.ok)
		}
	}
}

// Case names are unique within a family and name its op, and every op of
// the vocabulary has a family, so a new op cannot skip the suite.
func TestCasesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Families() {
		for _, c := range f.Cases(true) {
			key := f.Name + "/" + c.Name
			if seen[key] {
				t.Errorf("duplicate case name %s", key)
			}
			seen[key] = true
			if c.Op.String() != f.Name {
				t.Errorf("case %s has op %s", key, c.Op)
			}
		}
	}
	for op := kernels.OpGemm; int(op) < kernels.NumOps; op++ {
		found := false
		for _, f := range Families() {
			found = found || f.Name == op.String()
		}
		if !found {
			t.Errorf("op %s has no conformance family", op)
		}
	}
}
