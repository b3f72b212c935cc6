package graph_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/models"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tapeLoss runs m's graph on the TapeMachine with x and labels set, and
// returns the loss and the logits.
func tapeLoss(t *testing.T, m *graph.Model, x, labels []float32) (float32, []float32) {
	t.Helper()
	let := func(n *G.Node, v []float32) {
		if n == nil {
			return
		}
		if err := G.Let(n, tensor.New(tensor.WithShape(n.Shape()...), tensor.WithBacking(append([]float32(nil), v...)))); err != nil {
			t.Fatal(err)
		}
	}
	let(m.X, x)
	let(m.Labels, labels)
	vm := G.NewTapeMachine(m.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("%s: %v", m.Name, err)
	}
	var loss float32
	switch v := m.Loss.Value().(type) {
	case *G.F32:
		loss = float32(*v)
	case tensor.Tensor:
		loss = v.Data().([]float32)[0]
	default:
		t.Fatalf("loss holds %T", v)
	}
	var logits []float32
	if m.Logits != nil {
		logits = append(logits, m.Logits.Value().Data().([]float32)...)
	}
	return loss, logits
}

func randSlice(rng *rand.Rand, n int, classes int) []float32 {
	s := make([]float32, n)
	for i := range s {
		if classes > 0 {
			s[i] = float32(rng.IntN(classes))
		} else {
			s[i] = float32(rng.NormFloat64())
		}
	}
	return s
}

// A zoo model recorded and rebuilt (at its batch and at another) computes
// the same loss and logits from the same weights, and keeps
// its parameter names, order, layer names and roles.
func TestRecordRebuildsZooModels(t *testing.T) {
	for _, name := range models.Names() {
		t.Run(name, func(t *testing.T) {
			orig, err := models.New(name, 3, 5)
			if err != nil {
				t.Fatal(err)
			}
			js, err := graph.MarshalModel(orig)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := models.ParamValues(orig)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range []int{0, 2} {
				re, err := graph.UnmarshalModel(js, batch)
				if err != nil {
					t.Fatalf("batch %d: %v", batch, err)
				}
				want := 3
				if batch != 0 {
					want = batch
				}
				if re.Batch() != want || re.Name != name {
					t.Fatalf("rebuilt %s at batch %d, want %s at %d", re.Name, re.Batch(), name, want)
				}
				if len(re.Params) != len(orig.Params) {
					t.Fatalf("%d params, want %d", len(re.Params), len(orig.Params))
				}
				for i, p := range re.Params {
					if p.Name() != orig.Params[i].Name() || !p.Shape().Eq(orig.Params[i].Shape()) {
						t.Errorf("param %d: %s %v, want %s %v", i, p.Name(), p.Shape(), orig.Params[i].Name(), orig.Params[i].Shape())
					}
				}
				if re.Logits.Name() != orig.Logits.Name() {
					t.Errorf("logits %q, want %q", re.Logits.Name(), orig.Logits.Name())
				}
				if err := models.SetParams(re, vals); err != nil {
					t.Fatal(err)
				}
				if batch == 0 {
					rng := rand.New(rand.NewPCG(1, 2))
					n := orig.X.Shape().TotalSize()
					x, y := randSlice(rng, n, 0), randSlice(rng, 3, orig.Logits.Shape()[1])
					lw, gw := tapeLoss(t, orig, x, y)
					lg, gg := tapeLoss(t, re, x, y)
					// The fc layer's GEMM (K = 3136 ≥ 8·max(M, N)) takes the cpu
					// depth split, whose sum order depends on which worker took
					// which chunk, so the match is to float32 rounding.
					if math.Abs(float64(lw-lg)) > 1e-6 {
						t.Errorf("loss %v, the zoo model's %v", lg, lw)
					}
					for i := range gw {
						if math.Abs(float64(gw[i]-gg[i])) > 1e-6 {
							t.Fatalf("logit %d: %v, the zoo model's %v", i, gg[i], gw[i])
						}
					}
				}
			}
			var r graph.ModelRecord
			if err := json.Unmarshal(js, &r); err != nil {
				t.Fatal(err)
			}
			roles := map[string]string{}
			for _, n := range r.Nodes {
				roles[n.Name] = n.Role
				if n.Op == "param" && !strings.HasPrefix(n.Name, n.Layer+".") {
					t.Errorf("param %s has layer %q", n.Name, n.Layer)
				}
			}
			if roles["fc1"] != graph.RoleDense || roles["loss"] != graph.RoleLoss {
				t.Errorf("roles fc1=%q loss=%q", roles["fc1"], roles["loss"])
			}
			if strings.Contains(name, "lenet") && (roles["conv1"] != graph.RoleConv || roles["pool2"] != graph.RolePooling) {
				t.Errorf("lenet roles conv1=%q pool2=%q (%v)", roles["conv1"], roles["pool2"], roles)
			}
		})
	}
}

// mseModel is a regression written with gorgonia built-ins for the loss:
// x [B, 2] → Dense(2→3) → tanh → Dense(3→1), loss = mean((pred − y)²).
func mseModel(t *testing.T, batch int) *graph.Model {
	t.Helper()
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(3, 4))
	param := func(name string, shape ...int) *G.Node {
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(randSlice(rng, tensor.Shape(shape).TotalSize(), 0)))
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
	}
	m := &graph.Model{Name: "regress", G: g, Target: graph.FloatTargets}
	m.X = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 2), G.WithName("x"))
	m.Labels = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 1), G.WithName("labels"))
	w1, b1, w2, b2 := param("fc1.weight", 3, 2), param("fc1.bias", 3), param("fc2.weight", 1, 3), param("fc2.bias", 1)
	m.Params = []*G.Node{w1, b1, w2, b2}
	h := must(graph.Dense(m.X, w1, b1))
	h = must(graph.Tanh(h))
	m.Logits = must(graph.Dense(h, w2, b2))
	d := must(G.Sub(m.Logits, m.Labels))
	m.Loss = must(G.Mean(must(G.Square(d))))
	return m
}

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

// A loss written with gorgonia's own Sub, Square and Mean is recorded and
// rebuilt to the same value.
func TestRecordRebuildsBuiltinLoss(t *testing.T) {
	orig := mseModel(t, 4)
	js, err := graph.MarshalModel(orig)
	if err != nil {
		t.Fatal(err)
	}
	re, err := graph.UnmarshalModel(js, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	vals, _ := models.ParamValues(orig)
	if err := models.SetParams(re, vals); err != nil {
		t.Fatal(err)
	}
	if re.Target != graph.FloatTargets {
		t.Errorf("target %v", re.Target)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := randSlice(rng, 8, 0), randSlice(rng, 4, 0)
	lw, _ := tapeLoss(t, orig, x, y)
	lg, _ := tapeLoss(t, re, x, y)
	if lw != lg || lw == 0 {
		t.Errorf("loss %v, the original's %v", lg, lw)
	}
}

// An op outside the recorded set is an error naming it.
func TestRecordRefusesUnknownOps(t *testing.T) {
	m := mseModel(t, 2)
	m.Loss = must(G.Mean(must(G.Cube(must(G.Sub(m.Logits, m.Labels))))))
	_, err := graph.Record(m)
	if err == nil || !strings.Contains(err.Error(), "cube") {
		t.Fatalf("got %v, want an error naming cube", err)
	}
}

// Malformed records are errors that say what is wrong.
func TestUnmarshalModelErrors(t *testing.T) {
	good, err := graph.MarshalModel(mseModel(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(r *graph.ModelRecord)) []byte {
		var r graph.ModelRecord
		if err := json.Unmarshal(good, &r); err != nil {
			t.Fatal(err)
		}
		f(&r)
		b, _ := json.Marshal(r)
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"not json", []byte("{"), "model record"},
		{"format", edit(func(r *graph.ModelRecord) { r.Format = "x" }), "format"},
		{"version", edit(func(r *graph.ModelRecord) { r.Version = 99 }), "version 99"},
		{"target", edit(func(r *graph.ModelRecord) { r.Target = "soft" }), "target"},
		{"forward ref", edit(func(r *graph.ModelRecord) { r.Nodes[len(r.Nodes)-1].In = []int{len(r.Nodes)} }), "does not come before"},
		{"op", edit(func(r *graph.ModelRecord) { r.Nodes[len(r.Nodes)-1].Op = "Frobnicate" }), "unknown op"},
		{"shape", edit(func(r *graph.ModelRecord) { r.Nodes[1].Shape = []int{3, 0} }), "out of range"},
		{"huge", edit(func(r *graph.ModelRecord) { r.Nodes[1].Shape = []int{1 << 20, 1 << 20} }), "elements"},
		{"loss index", edit(func(r *graph.ModelRecord) { r.Loss = 1000 }), "loss is node"},
		{"param", edit(func(r *graph.ModelRecord) { r.Params = r.Params[:1] }), "not in params"},
	} {
		_, err := graph.UnmarshalModel(c.in, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// FuzzUnmarshalModel: no record makes the reader panic; what it accepts it
// can record again.
func FuzzUnmarshalModel(f *testing.F) {
	for _, name := range []string{"mlp-sigmoid", "lenet"} {
		m, err := models.New(name, 1, 1)
		if err != nil {
			f.Fatal(err)
		}
		js, err := graph.MarshalModel(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js, 0)
	}
	if js, err := graph.MarshalModel(plainConvnet(f, 2)); err == nil {
		f.Add(js, 1) // gorgonia's own Conv2d, MaxPool2D, Rectify, Reshape, BroadcastAdd
	}
	f.Add([]byte(`{"format":"gabor-model","version":1,"target":"float","loss":0,"nodes":[{"op":"const","shape":[],"value":1}]}`), 2)
	f.Add([]byte(bnSoftmaxRecord), 3)
	f.Fuzz(func(t *testing.T, b []byte, batch int) {
		m, err := graph.UnmarshalModel(b, batch%8)
		if err != nil {
			return
		}
		if _, err := graph.Record(m); err != nil {
			t.Fatalf("accepted a record it cannot write back: %v", err)
		}
	})
}

// bnSoftmaxRecord is a record with gorgonia's BatchNorm and SoftMax.
const bnSoftmaxRecord = `{"format":"gabor-model","version":1,"target":"float","x":0,"loss":3,"nodes":[
{"name":"x","op":"input","shape":[2,3],"batched":true},
{"name":"bn","op":"gorgonia.BatchNorm","in":[0],"shape":[2,3],"batched":true,"momentum":0.1,"epsilon":1e-5},
{"name":"p","op":"gorgonia.SoftMax","in":[1],"shape":[2,3],"batched":true,"along":[-1]},
{"name":"s","op":"sum","in":[2],"shape":[]}]}`

// gorgonia's BatchNorm and SoftMax survive a record round trip at another
// batch size, with their parameters; a bad momentum is refused.
func TestRecordBatchNormAndSoftMax(t *testing.T) {
	m, err := graph.UnmarshalModel([]byte(bnSoftmaxRecord), 5)
	if err != nil {
		t.Fatal(err)
	}
	if m.Batch() != 5 {
		t.Errorf("rebuilt at batch %d, want 5", m.Batch())
	}
	js, err := graph.MarshalModel(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"gorgonia.BatchNorm"`, `"momentum": 0.1`, `"epsilon": 0.00001`, `"gorgonia.SoftMax"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the rebuilt record lacks %s:\n%s", want, js)
		}
	}
	bad := strings.Replace(bnSoftmaxRecord, `"momentum":0.1`, `"momentum":2`, 1)
	if _, err := graph.UnmarshalModel([]byte(bad), 5); err == nil || !strings.Contains(err.Error(), "momentum") {
		t.Errorf("momentum 2: %v", err)
	}
}
