package models_test

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// pytorchLosses reads the per-step losses printed by the reference script
// (testdata/<model>.pytorch.log, made with
// `pytorch_ref.py --model M --limit 1280 --epochs 2 --log-every 1 --save-init testdata/M.init.anchorw1 --test-limit 1000`).
func pytorchLosses(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "step ") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		must(t, err)
		out = append(out, v)
	}
	return out
}

// TestFirst20StepsMatchPyTorch: from PyTorch's initial weights, on the same
// Fashion-MNIST batches (the shared splitmix64 shuffle, first 1280 images,
// two epochs of 10 steps), gabor's SGD steps give PyTorch's losses within
// 1e-4 relative.
func TestFirst20StepsMatchPyTorch(t *testing.T) {
	ds, err := data.Load("fashion-mnist", "", data.LoadOptions{})
	if err != nil {
		t.Fatalf("this test needs Fashion-MNIST (apt-get install dataset-fashion-mnist; .ci/run installs it): %v", err)
	}
	for _, name := range []string{"mlp", "lenet"} {
		t.Run(name, func(t *testing.T) {
			want := pytorchLosses(t, "testdata/"+name+".pytorch.log")
			if len(want) != 20 {
				t.Fatalf("testdata has %d losses, want 20", len(want))
			}
			const bs, limit, lr = 128, 1280, 0.05
			m, err := models.New(name, bs, 1)
			must(t, err)
			must(t, models.LoadInit(m, "testdata/"+name+".init.anchorw1"))
			p, err := graph.Compile(m, graph.Options{Optimizer: &graph.Optimizer{Kind: "sgd", Momentum: 0.9}})
			must(t, err)
			be, err := kernels.Open("cpu")
			must(t, err)
			ex, err := be.Load(p)
			must(t, err)
			defer ex.Close()
			vals, err := models.ParamValues(m)
			must(t, err)
			for i, s := range p.Params {
				must(t, ex.Write(s.Value, vals[i]))
			}
			train := *ds.Train
			train.N = limit
			x := make([]float32, bs*784)
			y := make([]float32, bs)
			loss := make([]float32, 1)
			step := 0
			for epoch := 0; epoch < 2; epoch++ {
				perm := data.Permutation(limit, 1+uint64(epoch))
				for b := 0; b < data.NumBatches(limit, bs); b++ {
					must(t, data.Gather(&train, data.Batch(perm, bs, b), x, y, data.FashionMean, data.FashionStd))
					must(t, ex.Write(p.Inputs["x"], x))
					must(t, ex.Write(p.Inputs["labels"], y))
					must(t, ex.Write(p.Hyper, []float32{lr, float32(step + 1)}))
					must(t, ex.Run(kernels.Segment{Start: p.Forward.Start, End: p.Update.End}))
					must(t, ex.Read(p.Loss, loss))
					if r := math.Abs(float64(loss[0])-want[step]) / want[step]; r > 1e-4 {
						t.Errorf("step %d: gabor %.6f, PyTorch %.6f (rel %.2g)", step+1, loss[0], want[step], r)
					}
					step++
				}
			}
		})
	}
}
