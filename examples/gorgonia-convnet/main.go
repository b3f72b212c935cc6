// Command gorgonia-convnet trains a convnet written with gorgonia's own API
// — G.Conv2d, G.Rectify, G.MaxPool2D, G.Reshape, G.Mul, G.BroadcastAdd, as
// gorgonia's examples/convnet writes one — with gabor: graph.Compile lowers
// the graph to a Program, train.Fit trains it on the default device (the
// GPU when one is there, else the CPU) and writes a run directory whose
// figures the gabor CLI draws:
//
//	go run ./examples/gorgonia-convnet -out runs/gorgonia-convnet
//	gabor filters runs/gorgonia-convnet      # conv1's 8 filters
//	gabor activations runs/gorgonia-convnet  # every layer for one test image
//
// The loss is written as gorgonia's examples write theirs, from gorgonia's
// own ops on one-hot labels y [B, 10] (graph.OneHot):
//
//	loss = −Mean(Sum(Log(SoftMax(logits)) ⊙ y, 1))
//
// the training loop builds y's rows from the dataset's class indices.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/train"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// options are the example's flags.
type options struct {
	out       string
	dataset   string
	device    string
	epochs    int
	batch     int
	limit     int
	testLimit int
	lr        float64
	seed      uint64
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "runs/gorgonia-convnet", "run directory")
	flag.StringVar(&o.dataset, "dataset", "", "dataset (empty: train's default, the synthetic digits)")
	flag.StringVar(&o.device, "device", "auto", "device: auto (the GPU when there is one), cpu or cuda")
	flag.IntVar(&o.epochs, "epochs", 1, "epochs")
	flag.IntVar(&o.batch, "batch", 64, "batch size")
	flag.IntVar(&o.limit, "limit", 0, "training images (0: all)")
	flag.IntVar(&o.testLimit, "test-limit", 0, "test images (0: all)")
	flag.Float64Var(&o.lr, "lr", 0.02, "SGD learning rate")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gorgonia-convnet:", err)
		os.Exit(1)
	}
}

// run trains the convnet and says how to draw its figures.
func run(ctx context.Context, o options, w io.Writer) error {
	m, err := convnet(o.batch, o.seed)
	if err != nil {
		return err
	}
	cfg := train.DefaultConfig("")
	if o.dataset != "" {
		cfg.Dataset = o.dataset
	}
	cfg.Out, cfg.Device, cfg.Epochs, cfg.Batch, cfg.LR, cfg.Limit, cfg.TestLimit = o.out, o.device, o.epochs, o.batch, o.lr, o.limit, o.testLimit
	ds, err := train.LoadDataset(cfg)
	if err != nil {
		return err
	}
	res, err := train.Fit(ctx, cfg, m, ds, train.RunOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "trained %s: %d epochs, test accuracy %.4f, run directory %s\n", res.Model, res.Epochs, res.TestAcc, o.out)
	fmt.Fprintf(w, "figures: gabor filters %s; gabor activations %s\n", o.out, o.out)
	return nil
}

// convnet is gorgonia's examples/convnet at MNIST scale, written with
// gorgonia's calls only (the loss aside):
//
//	x [B,1,28,28] → conv1 3×3 pad 1 (1→8) → relu1 → pool1 2×2
//	             → conv2 3×3 pad 1 (8→16) → relu2 → pool2 2×2
//	             → Reshape [B, 784] → fc1 (784→64, + bias) → relu3
//	             → fc2 (64→10, + bias) = logits
//
// Parameters are named by layer (conv1.weight, fc1.bias): checkpoints and
// figures use those names. Weights are Glorot-uniform from seed.
func convnet(batch int, seed uint64) (m *graph.Model, err error) {
	// gorgonia's calls return errors; G.Must turns them into panics, which
	// become this function's error.
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("building the convnet: %v", p)
		}
	}()
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(seed, 0x6f6e76))
	param := func(name string, fanIn, fanOut int, shape ...int) *G.Node {
		bound := math.Sqrt(6 / float64(fanIn+fanOut))
		v := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * bound)
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	zeros := func(name string, n int) *G.Node {
		return G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(make([]float32, n)))))
	}
	named := func(name string, n *G.Node) *G.Node {
		G.WithName(name)(n)
		return n
	}
	w1 := param("conv1.weight", 1*9, 8*9, 8, 1, 3, 3)
	w2 := param("conv2.weight", 8*9, 16*9, 16, 8, 3, 3)
	w3, b3 := param("fc1.weight", 784, 64, 784, 64), zeros("fc1.bias", 64)
	w4, b4 := param("fc2.weight", 64, 10, 64, 10), zeros("fc2.bias", 10)

	m = &graph.Model{Name: "gorgonia-convnet", G: g, Params: []*G.Node{w1, w2, w3, b3, w4, b4}}
	m.X = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, 28, 28), G.WithName("x"))
	m.Labels = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 10), G.WithName("labels"))
	m.Target = graph.OneHot

	k, pad, stride := tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}
	pool, poolStride := tensor.Shape{2, 2}, []int{2, 2}
	h := named("conv1", G.Must(G.Conv2d(m.X, w1, k, pad, stride, nil)))
	h = named("relu1", G.Must(G.Rectify(h)))
	h = named("pool1", G.Must(G.MaxPool2D(h, pool, []int{0, 0}, poolStride)))
	h = named("conv2", G.Must(G.Conv2d(h, w2, k, pad, stride, nil)))
	h = named("relu2", G.Must(G.Rectify(h)))
	h = named("pool2", G.Must(G.MaxPool2D(h, pool, []int{0, 0}, poolStride)))
	h = G.Must(G.Reshape(h, tensor.Shape{batch, 784}))
	h = named("fc1", G.Must(G.BroadcastAdd(G.Must(G.Mul(h, w3)), b3, nil, []byte{0})))
	h = named("relu3", G.Must(G.Rectify(h)))
	m.Logits = named("fc2", G.Must(G.BroadcastAdd(G.Must(G.Mul(h, w4)), b4, nil, []byte{0})))
	logProb := G.Must(G.Log(G.Must(G.SoftMax(m.Logits))))
	m.Loss = named("loss", G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Sum(G.Must(G.HadamardProd(logProb, m.Labels)), 1)))))))
	return m, nil
}
