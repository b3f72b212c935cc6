package graph_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// plainConvnet is a convnet written with gorgonia's own calls only: x
// [B,1,12,12] → Conv2d 3×3 pad 1 (1→3) → Rectify → MaxPool2D 2 → Conv2d
// 3×3 stride 2 dilation 2 pad 2 (3→4) → Rectify → Reshape [B, 36] → Mul
// (36→5) → BroadcastAdd bias, and gabor's cross-entropy on class indices.
func plainConvnet(t testing.TB, batch int) *graph.Model {
	t.Helper()
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(3, 4))
	param := func(name string, shape ...int) *G.Node {
		v := randSlice(rng, tensor.Shape(shape).TotalSize(), 0)
		for i := range v {
			v[i] *= 0.3
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	m := &graph.Model{Name: "plain", G: g}
	m.X = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, 12, 12), G.WithName("x"))
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	w1, w2 := param("conv1.weight", 3, 1, 3, 3), param("conv2.weight", 4, 3, 3, 3)
	w3, b3 := param("fc.weight", 36, 5), param("fc.bias", 5)
	m.Params = []*G.Node{w1, w2, w3, b3}
	h := must(G.Conv2d(m.X, w1, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, nil))
	G.WithName("conv1")(h)
	h = must(G.MaxPool2D(must(G.Rectify(h)), tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	h = must(G.Conv2d(h, w2, tensor.Shape{3, 3}, []int{2, 2}, []int{2, 2}, []int{2, 2}))
	G.WithName("conv2")(h)
	h = must(G.Reshape(must(G.Rectify(h)), tensor.Shape{batch, 36}))
	m.Logits = must(G.BroadcastAdd(must(G.Mul(h, w3)), b3, nil, []byte{0}))
	m.Loss = must(graph.SoftmaxCrossEntropy(m.Logits, m.Labels))
	return m
}

// A plain-gorgonia convnet recorded and rebuilt at another batch computes
// the original's logits (TapeMachine, same weights, the same images), and
// its record keeps the calls with their parameters and layer roles.
func TestRecordRebuildsGorgoniaConvnet(t *testing.T) {
	orig := plainConvnet(t, 4)
	js, err := graph.MarshalModel(orig)
	if err != nil {
		t.Fatal(err)
	}
	var r graph.ModelRecord
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	byName := map[string]graph.RecordNode{}
	ops := map[string]int{}
	for _, n := range r.Nodes {
		byName[n.Name] = n
		ops[n.Op]++
	}
	if c := byName["conv2"]; c.Op != "gorgonia.Conv2d" || c.Role != graph.RoleConv || c.Kernel != [2]int{3, 3} ||
		c.Pad != [2]int{2, 2} || c.Stride != [2]int{2, 2} || c.Dil != [2]int{2, 2} || len(c.In) != 2 {
		t.Errorf("conv2 recorded as %+v", c)
	}
	if ops["gorgonia.Conv2d"] != 2 || ops["gorgonia.Rectify"] != 2 || ops["gorgonia.MaxPool2D"] != 1 ||
		ops["gorgonia.Reshape"] != 1 || ops["broadcast +"] != 1 {
		t.Errorf("recorded ops %v", ops)
	}
	re, err := graph.UnmarshalModel(js, 3)
	if err != nil {
		t.Fatal(err)
	}
	if re.Batch() != 3 {
		t.Fatalf("rebuilt at batch %d, want 3", re.Batch())
	}
	for i, p := range re.Params {
		if p.Name() != orig.Params[i].Name() {
			t.Fatalf("param %d is %s, want %s", i, p.Name(), orig.Params[i].Name())
		}
		if err := G.Let(p, orig.Params[i].Value().(*tensor.Dense).Clone().(*tensor.Dense)); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := randSlice(rng, 4*144, 0), randSlice(rng, 4, 5)
	_, want := tapeLoss(t, orig, x, y)
	_, got := tapeLoss(t, re, x[:3*144], y[:3])
	if len(got) != 15 {
		t.Fatalf("%d logits, want 15", len(got))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("logit %d: %v, the original's %v", i, got[i], want[i])
		}
	}
	if again, err := graph.MarshalModel(re); err != nil {
		t.Fatalf("the rebuilt model cannot be recorded again: %v", err)
	} else if re2, err := graph.UnmarshalModel(again, 0); err != nil || re2.Batch() != 3 {
		t.Fatalf("second round trip: %v", err)
	}
	roles := graph.GorgoniaRoles(re.G.AllNodes())
	count := map[string]int{}
	for _, r := range roles {
		count[r]++
	}
	if roles[re.Logits] != graph.RoleDense || count[graph.RoleConv] != 2 || count[graph.RoleActivation] != 2 ||
		count[graph.RolePooling] != 1 || count[graph.RoleFlatten] != 1 || count[graph.RoleDense] != 1 {
		t.Errorf("layer roles %v (logits %q)", count, roles[re.Logits])
	}
	for n, r := range roles {
		if (n.Name() == "conv1" || n.Name() == "conv2") && r != graph.RoleConv {
			t.Errorf("%s has role %q", n.Name(), r)
		}
	}
}

// A recorded gorgonia call with parameters out of range is an error.
func TestUnmarshalGorgoniaCallErrors(t *testing.T) {
	good, err := graph.MarshalModel(plainConvnet(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	for what, f := range map[string]func(n *graph.RecordNode){
		"stride":   func(n *graph.RecordNode) { n.Stride = [2]int{0, 1} },
		"dilation": func(n *graph.RecordNode) { n.Dil = [2]int{1, -1} },
		"inputs":   func(n *graph.RecordNode) { n.In = n.In[:1] },
	} {
		var r graph.ModelRecord
		if err := json.Unmarshal(good, &r); err != nil {
			t.Fatal(err)
		}
		for i := range r.Nodes {
			if r.Nodes[i].Op == "gorgonia.Conv2d" {
				f(&r.Nodes[i])
				break
			}
		}
		if _, err := graph.RebuildModel(&r, 0); err == nil {
			t.Errorf("%s: a broken gorgonia.Conv2d was rebuilt", what)
		}
	}
}

// What a record cannot rebuild is refused when recording, by name: an
// asymmetric max-pool padding, a reshape that folds the batch axis away.
func TestRecordRefusesGorgoniaCallsItCannotRebuild(t *testing.T) {
	build := func(f func(x *G.Node) *G.Node) error {
		g := G.NewGraph()
		m := &graph.Model{Name: "bad", G: g, Target: graph.FloatTargets}
		m.X = G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 1, 4, 4), G.WithName("x"))
		m.Loss = must(G.Sum(f(m.X)))
		_, err := graph.Record(m)
		return err
	}
	err := build(func(x *G.Node) *G.Node {
		return must(G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 1, 0, 1}, []int{2, 2}))
	})
	if err == nil || !strings.Contains(err.Error(), "maxPoolOp") {
		t.Errorf("asymmetric max-pool: got %v, want an error naming maxPoolOp", err)
	}
	err = build(func(x *G.Node) *G.Node { return must(G.Reshape(x, tensor.Shape{4, 8})) })
	if err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("reshape across the batch: got %v, want an error about the batch axis", err)
	}
}
