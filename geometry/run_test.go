package geometry

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

func modelValues(t *testing.T, m *graph.Model) func(string) ([]float32, bool) {
	t.Helper()
	vals, err := models.ParamValues(m)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]float32{}
	for i, p := range m.Params {
		by[p.Name()] = vals[i]
	}
	return func(n string) ([]float32, bool) { v, ok := by[n]; return v, ok }
}

// The Net read from an mlp2d model computes, in float64, the logits the
// compiled Program computes on the CPU backend (a step layer compared as
// the sigmoid it trains as).
func TestNetFromModelMatchesProgram(t *testing.T) {
	const batch = 64
	for _, act := range models.MLP2DActs() {
		t.Run(act, func(t *testing.T) {
			m, err := models.MLP2D(batch, 9, models.MLP2DOptions{Hidden: []int{5, 4}, Act: act, Classes: 3})
			if err != nil {
				t.Fatal(err)
			}
			n, err := NetFromModel(m, modelValues(t, m))
			if err != nil {
				t.Fatal(err)
			}
			if n.Widths() != "2-5-4-3" {
				t.Fatalf("widths %s", n.Widths())
			}
			want, _ := ParseAct(act)
			for i, l := range n.Layers {
				if exp := want; i == len(n.Layers)-1 && l.Act != Linear || i < len(n.Layers)-1 && l.Act != exp {
					t.Fatalf("layer %d has activation %s, want %s", i, l.Act, exp)
				}
			}
			if act == models.ActStep {
				for i := 0; i < n.Hidden(); i++ {
					n.Layers[i].Act = Sigmoid
				}
			}
			p, err := graph.Compile(m, graph.Options{})
			if err != nil {
				t.Fatal(err)
			}
			be, err := kernels.Open("cpu")
			if err != nil {
				t.Fatal(err)
			}
			ex, err := be.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			vals, _ := models.ParamValues(m)
			for i, s := range p.Params {
				if err := ex.Write(s.Value, vals[i]); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, 2*batch)
			for i := range x {
				x[i] = float32(3 * (rng.Float64() - 0.5))
			}
			if err := ex.Write(p.Inputs["x"], x); err != nil {
				t.Fatal(err)
			}
			if err := ex.Write(p.Inputs["labels"], make([]float32, batch)); err != nil {
				t.Fatal(err)
			}
			if err := ex.Run(p.Forward); err != nil {
				t.Fatal(err)
			}
			got := make([]float32, batch*3)
			if err := ex.Read(p.Logits, got); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < batch; i++ {
				_, out := n.Forward(Point{float64(x[2*i]), float64(x[2*i+1])})
				for c := range out {
					if d := math.Abs(out[c] - float64(got[3*i+c])); d > 1e-5*(1+math.Abs(out[c])) {
						t.Fatalf("point %d logit %d: Net %g, Program %g", i, c, out[c], got[3*i+c])
					}
				}
			}
		})
	}
}

func TestNetFromModelRejectsImages(t *testing.T) {
	m, err := models.New("mlp", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NetFromModel(m, modelValues(t, m)); !errors.Is(err, ErrNotPlanar) {
		t.Errorf("the 784-input mlp: got %v, want ErrNotPlanar", err)
	}
}

// The program's map and the float64 map agree away from the boundaries.
func TestProgramMapMatchesDecisionMap(t *testing.T) {
	for _, act := range []string{models.ActReLU, models.ActTanh} {
		m, err := models.MLP2D(ProgramBatch/16, 4, models.MLP2DOptions{Hidden: []int{8, 8}, Act: act, Classes: 3})
		if err != nil {
			t.Fatal(err)
		}
		vals := modelValues(t, m)
		n, err := NetFromModel(m, vals)
		if err != nil {
			t.Fatal(err)
		}
		g := Grid{Box: Box{-3, -3, 3, 3}, NX: 97, NY: 61} // not a multiple of the batch
		pm, err := ProgramMap(m, vals, g, "cpu")
		if err != nil {
			t.Fatal(err)
		}
		dm, err := DecisionMap(n, g)
		if err != nil {
			t.Fatal(err)
		}
		differ := 0
		for i := range pm.Class {
			if pm.Class[i] != dm.Class[i] {
				differ++
				continue
			}
			if math.Abs(pm.Prob[i]-dm.Prob[i]) > 1e-5 {
				t.Fatalf("%s pixel %d: probability %g (program) vs %g", act, i, pm.Prob[i], dm.Prob[i])
			}
		}
		if differ > 3 {
			t.Errorf("%s: %d of %d pixels differ in class", act, differ, len(pm.Class))
		}
	}
}
