package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/train"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// edgeNet is a convnet built by hand with gabor's ops, outside the zoo and
// with names the zoo never uses: x [B,1,28,28] → edge (conv 5×5, 1→4) →
// ReLU → pool 2 → flatten → readout (dense 576→10), softmax cross-entropy.
func edgeNet(t *testing.T, batch int) *graph.Model {
	t.Helper()
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(11, 12))
	param := func(name string, bound float64, shape ...int) *G.Node {
		v := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * bound)
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	ok := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	m := &graph.Model{Name: "edgenet", G: g}
	m.X = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, 28, 28), G.WithName("x"))
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	cw, cb := param("edge.weight", 0.2, 4, 1, 5, 5), param("edge.bias", 0.2, 4)
	dw, db := param("readout.weight", 0.04, 10, 576), param("readout.bias", 0.04, 10)
	m.Params = []*G.Node{cw, cb, dw, db}
	h := ok(graph.Conv2D(m.X, cw, cb, [2]int{1, 1}, [2]int{0, 0}))
	G.WithName("edge")(h)
	h = ok(graph.ReLU(h))
	G.WithName("rect")(h)
	h = ok(graph.MaxPool2D(h, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}))
	G.WithName("shrink")(h)
	h = ok(graph.Flatten(h))
	m.Logits = ok(graph.Dense(h, dw, db))
	G.WithName("readout")(m.Logits)
	m.Loss = ok(graph.SoftmaxCrossEntropy(m.Logits, m.Labels))
	return m
}

// TestModelBuiltOutsideTheZoo trains a hand-built convnet with train.Fit,
// then runs filters, activations and eval on its run directory through the
// CLI: each verb rebuilds the model from the run's model record (the zoo
// has no "edgenet"), and the --json keys are those of zoo runs.
func TestModelBuiltOutsideTheZoo(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "run")
	cfg := train.DefaultConfig("")
	cfg.Limit, cfg.TestLimit, cfg.Epochs, cfg.Batch, cfg.Device, cfg.Out = 256, 128, 1, 32, "cpu", dir
	ds, err := train.LoadDataset(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Fit(context.Background(), cfg, edgeNet(t, 32), ds, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model != "edgenet" || res.Epochs != 1 {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, train.ModelFile)); err != nil {
		t.Fatalf("the run directory has no model record: %v", err)
	}

	out, errOut, code := runCLI(t, "filters", dir, "--json", "--format", "png", "--fit=false")
	if code != 0 {
		t.Fatalf("filters exit %d: %s", code, errOut)
	}
	var fl map[string]any
	if err := json.Unmarshal([]byte(out), &fl); err != nil {
		t.Fatalf("filters --json %q: %v", out, err)
	}
	if fl["layer"] != "edge" || fl["n_filters"] != 4.0 {
		t.Errorf("filters --json: %s", out)
	}
	for _, k := range []string{"layer", "step", "n_filters", "files"} {
		if _, ok := fl[k]; !ok {
			t.Errorf("filters --json lacks %q: %s", k, out)
		}
	}

	out, errOut, code = runCLI(t, "activations", dir, "--index", "3", "--json", "--device", "cpu")
	if code != 0 {
		t.Fatalf("activations exit %d: %s", code, errOut)
	}
	var act introspect.ActivationsResult
	if err := json.Unmarshal([]byte(out), &act); err != nil {
		t.Fatalf("activations --json %q: %v", out, err)
	}
	var names []string
	for _, l := range act.Layers {
		names = append(names, l.Layer)
	}
	if got := strings.Join(names, ","); act.Index != 3 || got != "x,edge,rect,shrink,readout" {
		t.Errorf("activations: index %d, layers %s", act.Index, got)
	}

	out, errOut, code = runCLI(t, "eval", "--checkpoint", dir, "--json", "--device", "cpu", "--test-limit", "128")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, errOut)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("eval --json %q: %v", out, err)
	}
	n, _ := ev["n"].(float64)
	correct, _ := ev["correct"].(float64)
	// The same 128 test images training scored after its last epoch.
	if ev["model"] != "edgenet" || n != 128 || ev["test_acc"] != correct/n || ev["test_acc"] != res.TestAcc {
		t.Errorf("eval --json %s", out)
	}

	// deconv's default layer is the model's last convolution, found in the
	// record.
	out, errOut, code = runCLI(t, "deconv", dir, "--json", "--device", "cpu", "--limit", "64", "--top", "2", "--maps", "0-1")
	if code != 0 {
		t.Fatalf("deconv exit %d: %s", code, errOut)
	}
	var dc introspect.DeconvResult
	if err := json.Unmarshal([]byte(out), &dc); err != nil {
		t.Fatalf("deconv --json %q: %v", out, err)
	}
	if dc.Layer != "edge" || len(dc.Maps) != 2 {
		t.Errorf("deconv --json: %s", out)
	}

	// --maps is checked against the recorded layer.
	_, errOut, code = runCLI(t, "deconv", dir, "--device", "cpu", "--maps", "0-9")
	if code != exitUsage || !strings.Contains(errOut, "layer edge has 4 maps") {
		t.Errorf("deconv --maps 0-9: exit %d, %q", code, errOut)
	}

	// Without the record the run cannot be rebuilt: the error says so.
	if err := os.Remove(filepath.Join(dir, train.ModelFile)); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runCLI(t, "eval", "--checkpoint", dir, "--device", "cpu")
	if code == 0 || !strings.Contains(errOut, "model.json") {
		t.Errorf("eval without the record: exit %d, %q", code, errOut)
	}
}
