package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MLP2D activations, as --act spells them.
const (
	ActStep    = "step"
	ActSigmoid = "sigmoid"
	ActTanh    = "tanh"
	ActReLU    = "relu"
)

// MLP2DActs lists the activations MLP2D takes.
func MLP2DActs() []string { return []string{ActStep, ActSigmoid, ActTanh, ActReLU} }

// MLP2DOptions shape an mlp2d model.
type MLP2DOptions struct {
	Hidden  []int  // hidden widths from the input (nil: 8, 8)
	Act     string // one of MLP2DActs ("" : relu)
	Classes int    // output classes (0: 2)
}

// MLP2D is a small network on the plane: input x [B, 2], dense layers fc1…
// of the hidden widths, each followed by the activation, then a dense
// layer to the classes' logits and softmax cross-entropy. Weights are
// drawn from U(±1/√fan_in) like the zoo's.
//
// The activation nodes are named by kind and position (relu1, tanh2…). A
// step layer is a sigmoid in the graph, named step1, step2…: training needs
// a gradient, so the step trains through σ(s·z) whose steepness s grows
// over training (StepSteepness; SteepenStepLayers, called by `gabor train`
// at each epoch's end), and every reader that knows the name (gabor regions, package
// geometry) evaluates it as the true step 1[z > 0].
func MLP2D(batch int, seed uint64, o MLP2DOptions) (*graph.Model, error) {
	if o.Hidden == nil {
		o.Hidden = []int{8, 8}
	}
	if o.Act == "" {
		o.Act = ActReLU
	}
	if o.Classes == 0 {
		o.Classes = 2
	}
	act := strings.ToLower(o.Act)
	switch act {
	case ActStep, ActSigmoid, ActTanh, ActReLU:
	default:
		return nil, fmt.Errorf("models: mlp2d: unknown activation %q (known: %s)", o.Act, strings.Join(MLP2DActs(), ", "))
	}
	if len(o.Hidden) > 16 {
		return nil, fmt.Errorf("models: mlp2d: %d hidden layers (at most 16)", len(o.Hidden))
	}
	for i, w := range o.Hidden {
		if w < 1 || w > 4096 {
			return nil, fmt.Errorf("models: mlp2d: hidden layer %d has width %d (from 1 to 4096)", i+1, w)
		}
	}
	if o.Classes < 2 || o.Classes > 256 {
		return nil, fmt.Errorf("models: mlp2d: %d classes (from 2 to 256)", o.Classes)
	}
	if batch < 1 {
		return nil, fmt.Errorf("models: mlp2d: batch must be at least 1, got %d", batch)
	}
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15))
	m := &graph.Model{Name: "mlp2d", G: g}
	h := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 2), G.WithName("x"))
	m.X = h
	param := func(name string, fanIn int, shape ...int) *G.Node {
		bound := 1 / math.Sqrt(float64(fanIn))
		data := make([]float32, numel(shape))
		for i := range data {
			data[i] = float32((2*rng.Float64() - 1) * bound)
		}
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
		n := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
		m.Params = append(m.Params, n)
		return n
	}
	widths := append(append([]int(nil), o.Hidden...), o.Classes)
	in := 2
	var err error
	for i, out := range widths {
		name := fmt.Sprintf("fc%d", i+1)
		w := param(name+".weight", in, out, in)
		b := param(name+".bias", in, out)
		if h, err = graph.Dense(h, w, b); err != nil {
			return nil, fmt.Errorf("models: mlp2d %s: %w", name, err)
		}
		G.WithName(name)(h)
		in = out
		if i == len(widths)-1 {
			break
		}
		switch act {
		case ActReLU:
			h, err = graph.ReLU(h)
		case ActTanh:
			h, err = graph.Tanh(h)
		case ActSigmoid, ActStep:
			h, err = graph.Sigmoid(h)
		}
		if err != nil {
			return nil, fmt.Errorf("models: mlp2d %s activation: %w", name, err)
		}
		G.WithName(fmt.Sprintf("%s%d", act, i+1))(h)
	}
	m.Logits = h
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	if m.Loss, err = graph.SoftmaxCrossEntropy(m.Logits, m.Labels); err != nil {
		return nil, fmt.Errorf("models: mlp2d loss: %w", err)
	}
	G.WithName("loss")(m.Loss)
	return m, nil
}

// The steepness schedule of step layers: after epoch e (from 1) a step
// unit is σ(s_e · z) for the pre-activation z its weights would give at
// steepness 1, with s_e = min(StepGrowth^e, StepMax): ×1.5 per epoch, ×57.7
// after 10 epochs, capped at 1000 from epoch 18 on (a sigmoid that, for
// weights of order 1, goes from 0.01 to 0.99 within 0.01 of its line; the
// cap keeps float32 weights and gradients finite however long the run).
// Evaluated, a step layer is the true step 1[z > 0] whatever s_e is.
const (
	StepGrowth = 1.5
	StepMax    = 1000.0
)

// StepSteepness is s_e, the steepness of a step layer after epoch e (s_0 =
// 1, before training).
func StepSteepness(epoch int) float64 {
	if epoch <= 0 {
		return 1
	}
	return math.Min(math.Pow(StepGrowth, float64(epoch)), StepMax)
}

// StepLayers are the dense layers of an mlp2d model of these options that a
// step follows (fc1… of every hidden layer), nil unless the activation is
// step.
func StepLayers(o MLP2DOptions) []string {
	if !strings.EqualFold(o.Act, ActStep) {
		return nil
	}
	n := len(o.Hidden)
	if o.Hidden == nil {
		n = 2
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("fc%d", i+1)
	}
	return out
}

// SteepenStepLayers raises the steepness of the step layers of a running
// mlp2d program by g: σ(s·(W·x + b)) becomes σ(g·s·(W·x + b)) by
// multiplying W and b of each named dense layer (StepLayers) by g, with
// their optimizer state as the scaled parameters would have it (momentum
// and Adam's first moment ×g, Adam's second moment ×g²), so the next
// update continues in the same direction. It returns the buffers scaled.
func SteepenStepLayers(p *kernels.Program, exe kernels.Executable, layers []string, g float64) ([]string, error) {
	if !(g > 0) || math.IsInf(g, 0) {
		return nil, fmt.Errorf("models: steepness factor %v must be positive and finite", g)
	}
	want := map[string]bool{}
	for _, l := range layers {
		want[l] = true
	}
	var done []string
	scale := func(id kernels.BufID, f float64) error {
		buf := p.Buf(id)
		v := make([]float32, buf.Len)
		if err := exe.Read(id, v); err != nil {
			return fmt.Errorf("models: reading %s: %w", buf.Name, err)
		}
		for i := range v {
			v[i] *= float32(f)
		}
		if err := exe.Write(id, v); err != nil {
			return fmt.Errorf("models: writing %s: %w", buf.Name, err)
		}
		done = append(done, buf.Name)
		return nil
	}
	for _, par := range p.Params {
		layer, _, _ := strings.Cut(par.Name, ".")
		if !want[layer] {
			continue
		}
		if err := scale(par.Value, g); err != nil {
			return done, err
		}
		for _, id := range par.State {
			f := g
			if strings.HasPrefix(p.Buf(id).Name, "optim.v.") {
				f = g * g
			}
			if err := scale(id, f); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

func init() {
	if err := Register("mlp2d", func(batch int, seed uint64, _ Options) (*graph.Model, error) {
		return MLP2D(batch, seed, MLP2DOptions{})
	}); err != nil {
		panic(err) // a constant name, registered once
	}
}
