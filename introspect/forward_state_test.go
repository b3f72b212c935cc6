package introspect

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Introspection of a model with gorgonia's BatchNorm runs it with the
// running averages its checkpoint holds, not with fresh ones: ReadWeights
// keeps the checkpoint's state.* tensors and NewForward (at another batch
// size) writes them into Program.State.
func TestForwardLoadsBatchNormState(t *testing.T) {
	const batch = 32
	g := G.NewGraph()
	param := func(name string, v float32, shape ...int) *G.Node {
		d := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range d {
			d[i] = v * float32(i%7-3)
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))))
	}
	m := &graph.Model{Name: "bn-mlp", G: g}
	m.X = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 784), G.WithName("x"))
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	w0, w1 := param("hidden.weight", 0.01, 784, 8), param("out.weight", 0.1, 8, 10)
	gamma, beta := param("bn.weight", 0.1, 1, 8), param("bn.bias", 0.1, 1, 8)
	m.Params = []*G.Node{w0, gamma, beta, w1}
	bn, _, _, _, err := G.BatchNorm(G.Must(G.Mul(m.X, w0)), gamma, beta, 0.1, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	m.Logits = G.Must(G.Mul(G.Must(G.Rectify(bn)), w1))
	if m.Loss, err = graph.SoftmaxCrossEntropy(m.Logits, m.Labels); err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig("")
	cfg.Dataset, cfg.Epochs, cfg.Batch, cfg.Limit, cfg.TestLimit = data.SyntheticName, 1, batch, 64, 64
	cfg.Device, cfg.Out = "cpu", filepath.Join(t.TempDir(), "run")
	ds, err := data.Load(cfg.Dataset, "", data.LoadOptions{TrainLimit: 64, TestLimit: 64, SyntheticTrain: 64, SyntheticTest: 64})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Fit(context.Background(), cfg, m, ds, train.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := runs.ReadWeights(filepath.Join(cfg.Out, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewForward(w, ForwardOptions{Batch: 4, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Exe.Close()
	if len(f.Prog.State) != 2 {
		t.Fatalf("the forward program lists %d state buffers, want 2", len(f.Prog.State))
	}
	for name, id := range f.Prog.State {
		ck, ok := w.Tensors[train.StatePrefix+name]
		if !ok || !strings.Contains(name, "running_") {
			t.Fatalf("the checkpoint's weights lack %s (have %v)", name, w.Names())
		}
		got := make([]float32, f.Prog.Buf(id).Len)
		if err := f.Exe.Read(id, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, ck.Data) || !slices.ContainsFunc(got, func(v float32) bool { return v != 0 }) {
			t.Errorf("%s in the forward program %v, in the checkpoint %v", name, got, ck.Data)
		}
	}
}
