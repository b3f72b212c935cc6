package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A model record is a Model written as a small versioned JSON document, so
// that a run directory can rebuild the model it trained without knowing how
// the caller built it:
//
//	{"format": "gabor-model", "version": 1, "name": "lenet", "batch": 128,
//	 "target": "class-indices", "x": 0, "labels": 13, "logits": 12, "loss": 14,
//	 "params": [1, 2, …],
//	 "nodes": [
//	   {"name": "x", "op": "input", "shape": [128, 1, 28, 28], "batched": true},
//	   {"name": "conv1.weight", "op": "param", "shape": [6, 1, 5, 5], "layer": "conv1"},
//	   {"name": "conv1", "op": "Conv2D", "in": [0, 1, 2], "stride": [1, 1], "pad": [2, 2],
//	    "bias": true, "shape": [128, 6, 28, 28], "batched": true, "role": "conv"}, …]}
//
// Nodes are listed inputs first (an "in" index always points back), so a
// reader replays them in order. A node's "batched" marks that its first axis
// is the batch: RebuildModel can rebuild the graph at another batch size (a
// forward pass at batch 1 for introspection) by changing exactly those axes.
// Parameters carry their shapes, not their values: values live in
// checkpoints, under the parameter's name, so a checkpoint maps onto the
// record by name. "role" is the layer's kind (conv, dense, activation,
// pooling, flatten, dropout, loss) and "layer" a parameter's layer ("conv1"
// for "conv1.weight").
//
// The ops recorded are gabor's own (graph.Conv2D, Dense, MatMul, the
// activations, the poolings, Flatten and Reshape, Dropout, Softmax,
// SoftmaxCrossEntropy), gorgonia's SoftMax and LogSoftMax ("along" the
// axis, −1 for the last), gorgonia's BatchNormOp (its momentum and epsilon;
// the scale and bias are the broadcast ⊙ and + gorgonia.BatchNorm adds after
// it), the gorgonia built-ins a loss is commonly written
// with: elementwise + − ⊙ ÷, neg, exp, ln, square, sqrt, Mul of two
// matrices, Sum and the size and scalar constants that Mean builds, and the
// gorgonia built-ins a plain-gorgonia convnet is written with, each recorded
// as the call that built it and rebuilt by that call:
//
//	gorgonia.Conv2d     G.Conv2d(x, w, kernel, pad, stride, dilation): the
//	                    im2col → reshape → Mul(·, wᵀ) → reshape → transpose
//	                    chain it builds is one node, inputs [x, w]
//	gorgonia.MaxPool2D  G.MaxPool2D(x, kernel, pad, stride), symmetric pad
//	gorgonia.Rectify    G.Rectify(x): x ⊙ (x ≥ 0)
//	gorgonia.Reshape    G.Reshape(x, to); a batched reshape keeps the batch axis
//	broadcast +         G.BroadcastAdd(a, b, left, right) (and − ⊙ ÷): the
//	                    reshape and Repeat chain it builds on one side is
//	                    folded into one node, inputs [a, b], "along" the
//	                    broadcast axes and "left" when a is the broadcast one
//
// Any other op is an error naming it and its node.

// ModelFormat and ModelVersion identify a model record.
const (
	ModelFormat  = "gabor-model"
	ModelVersion = 1
)

// Limits on what a record may ask RebuildModel to allocate.
const (
	maxRecordNodes  = 1 << 14
	maxRecordParams = 1 << 26 // float32 values over all parameters
	maxRecordRank   = 8
)

// ModelRecord is the JSON form of a Model (see above).
type ModelRecord struct {
	Format  string         `json:"format"`
	Version int            `json:"version"`
	Name    string         `json:"name"`
	Batch   int            `json:"batch"`
	Target  string         `json:"target"`
	X       *int           `json:"x,omitempty"`
	Labels  *int           `json:"labels,omitempty"`
	Logits  *int           `json:"logits,omitempty"`
	Loss    int            `json:"loss"`
	Params  []int          `json:"params"`
	Inputs  map[string]int `json:"inputs,omitempty"`
	Nodes   []RecordNode   `json:"nodes"`
}

// RecordNode is one node of a ModelRecord.
type RecordNode struct {
	Name    string `json:"name"`
	Op      string `json:"op"` // input, param, const, or an op name (Conv2D, Dense, +, sum, …)
	In      []int  `json:"in,omitempty"`
	Shape   []int  `json:"shape"`
	Batched bool   `json:"batched,omitempty"`
	Role    string `json:"role,omitempty"`
	Layer   string `json:"layer,omitempty"`

	// Op parameters; each op uses the ones it needs.
	Stride [2]int   `json:"stride,omitzero"`
	Pad    [2]int   `json:"pad,omitzero"`
	Kernel [2]int   `json:"kernel,omitzero"`
	Dil    [2]int   `json:"dilation,omitzero"` // gorgonia.Conv2d's dilation
	Left   bool     `json:"left,omitempty"`    // broadcast: the left operand is the broadcast one
	Bias   bool     `json:"bias,omitempty"`
	Act    string   `json:"act,omitempty"`
	TransA bool     `json:"trans_a,omitempty"`
	TransB bool     `json:"trans_b,omitempty"`
	To     []int    `json:"to,omitempty"`   // Reshape's target shape
	P      float64  `json:"p,omitempty"`    // Dropout's probability
	Seed   uint64   `json:"seed,omitempty"` // Dropout's mask seed
	OneHot bool     `json:"one_hot,omitempty"`
	Along  []int    `json:"along,omitempty"` // sum axes; size's axis
	Value  *float64 `json:"value,omitempty"` // a scalar constant

	Momentum float64 `json:"momentum,omitempty"` // gorgonia.BatchNorm's running-average weight
	Eps      float64 `json:"epsilon,omitempty"`  // gorgonia.BatchNorm's ε
}

// Layer roles of recorded nodes.
const (
	RoleConv       = "conv"
	RoleDense      = "dense"
	RoleActivation = "activation"
	RolePooling    = "pooling"
	RoleFlatten    = "flatten"
	RoleDropout    = "dropout"
	RoleLoss       = "loss"
)

var targetNames = map[string]Target{"class-indices": ClassIndices, "one-hot": OneHot, "float": FloatTargets}

// Record describes m as a ModelRecord. Every node the loss and the logits
// depend on is recorded; an op outside the recorded set is an error naming
// the node.
func Record(m *Model) (*ModelRecord, error) {
	if m == nil || m.G == nil || m.Loss == nil {
		return nil, errors.New("graph.Record: the model needs a graph and a loss")
	}
	r := &ModelRecord{Format: ModelFormat, Version: ModelVersion, Name: m.Name, Batch: m.Batch(), Target: m.Target.String(), Params: []int{}}
	idx := map[*G.Node]int{}
	batched := map[*G.Node]bool{}
	leafRole := map[*G.Node]string{}
	for _, p := range m.Params {
		leafRole[p] = "param"
	}
	leaves := []*G.Node{m.X, m.Labels}
	for _, n := range m.Inputs {
		leaves = append(leaves, n)
	}
	for _, n := range leaves {
		if n != nil {
			leafRole[n] = "input"
		}
	}
	var visit func(n *G.Node) error
	visit = func(n *G.Node) error {
		if _, ok := idx[n]; ok {
			return nil
		}
		if len(idx) >= maxRecordNodes {
			return fmt.Errorf("graph.Record: more than %d nodes", maxRecordNodes)
		}
		kids := children(n)
		call, callKids := recordCall(n)
		if call != nil {
			kids = callKids
		}
		for _, k := range kids {
			if err := visit(k); err != nil {
				return err
			}
		}
		rn := RecordNode{Name: n.Name(), Shape: append([]int{}, shapeOf(n)...)}
		if call != nil {
			call.Name, call.Shape = rn.Name, rn.Shape
			rn = *call
		}
		if len(kids) == 0 {
			switch role := leafRole[n]; {
			case role == "param":
				rn.Op = "param"
				rn.Layer, _, _ = strings.Cut(n.Name(), ".")
			case role == "input":
				rn.Op = "input"
				rn.Batched = len(rn.Shape) > 0 && rn.Shape[0] == r.Batch && r.Batch > 0
			default:
				v, ok := scalarValue(n)
				if !ok {
					return fmt.Errorf("graph.Record: leaf %q %v is neither X, Labels, an input, a parameter nor a scalar constant", n.Name(), n.Shape())
				}
				rn.Op, rn.Value = "const", &v
			}
		} else {
			if call != nil {
				// recorded by recordCall
			} else if err := recordOp(n, &rn); err != nil {
				return fmt.Errorf("graph.Record: node %q: %w", n.Name(), err)
			}
			for _, k := range kids {
				rn.In = append(rn.In, idx[k])
				batched[n] = batched[n] || batched[k]
			}
			rn.Batched = batched[n] && len(rn.Shape) > 0 && rn.Shape[0] == r.Batch
		}
		if rn.Op == "input" {
			batched[n] = rn.Batched
		}
		if (rn.Op == "Reshape" || rn.Op == "gorgonia.Reshape") && batched[n] && len(rn.To) > 0 && rn.To[0] != r.Batch {
			return fmt.Errorf("graph.Record: node %q reshapes the batch axis away (%v): it cannot be rebuilt at another batch", n.Name(), rn.To)
		}
		idx[n] = len(r.Nodes)
		r.Nodes = append(r.Nodes, rn)
		return nil
	}
	roots := []*G.Node{m.Loss, m.Logits, m.X, m.Labels}
	roots = append(roots, m.Params...)
	for _, n := range roots {
		if n == nil {
			continue
		}
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	at := func(n *G.Node) *int {
		if n == nil {
			return nil
		}
		i := idx[n]
		return &i
	}
	r.X, r.Labels, r.Logits, r.Loss = at(m.X), at(m.Labels), at(m.Logits), idx[m.Loss]
	r.Nodes[r.Loss].Role = RoleLoss
	for _, p := range m.Params {
		r.Params = append(r.Params, idx[p])
	}
	for name, n := range m.Inputs {
		if n == nil {
			continue
		}
		if err := visit(n); err != nil {
			return nil, err
		}
		if r.Inputs == nil {
			r.Inputs = map[string]int{}
		}
		r.Inputs[name] = idx[n]
	}
	return r, nil
}

// MarshalModel is Record written as indented JSON.
func MarshalModel(m *Model) ([]byte, error) {
	r, err := Record(m)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(r, "", "  ")
}

// scalarValue is the value a scalar node holds (a constant, float32 or
// float64), if it holds one.
func scalarValue(n *G.Node) (float64, bool) {
	if !n.IsScalar() || n.Value() == nil {
		return 0, false
	}
	switch v := n.Value().(type) {
	case *G.F32:
		return float64(*v), true
	case *G.F64:
		return float64(*v), true
	}
	return 0, false
}

// recordOp fills the op and its parameters.
func recordOp(n *G.Node, rn *RecordNode) error {
	if s := specOf(n); s != nil {
		switch op := s.(type) {
		case convOp:
			rn.Op, rn.Role, rn.Stride, rn.Pad, rn.Bias = "Conv2D", RoleConv, op.stride, op.pad, op.bias
		case denseOp:
			rn.Op, rn.Role, rn.Bias = "Dense", RoleDense, op.bias
		case matMulOp:
			rn.Op, rn.TransA, rn.TransB = "MatMul", op.transA, op.transB
		case actOp:
			rn.Op, rn.Role, rn.Act = "Act", RoleActivation, op.fn.String()
		case maxPoolOp:
			rn.Op, rn.Role, rn.Kernel, rn.Stride, rn.Pad = "MaxPool2D", RolePooling, op.kernel, op.stride, op.pad
		case avgPoolOp:
			rn.Op, rn.Role, rn.Kernel, rn.Stride, rn.Pad = "AvgPool2D", RolePooling, op.kernel, op.stride, op.pad
		case reshapeOp:
			rn.Op, rn.To = "Reshape", append([]int{}, op.to...)
			if in := shapeOf(children(n)[0]); len(in) > 0 && len(op.to) == 2 && op.to[0] == in[0] && op.to[1] == numel(in[1:]) {
				rn.Op, rn.Role, rn.To = "Flatten", RoleFlatten, nil
			}
		case dropoutOp:
			rn.Op, rn.Role, rn.P, rn.Seed = "Dropout", RoleDropout, float64(op.p), op.seed
		case softmaxOp:
			rn.Op = "Softmax"
		case xentOp:
			rn.Op, rn.OneHot = "SoftmaxCrossEntropy", op.oneHot
		default:
			return fmt.Errorf("op %v cannot be recorded", s)
		}
		return nil
	}
	op := n.Op()
	switch name := builtinName(op); name {
	case "elemBinOp":
		sym := binSymbol(op)
		if _, ok := binBuilders[sym]; !ok {
			return fmt.Errorf("elementwise %q cannot be recorded (recorded: + - ⊙ ÷)", sym)
		}
		rn.Op = sym
	case "elemUnaryOp":
		if _, ok := unaryBuilders[op.String()]; !ok {
			return fmt.Errorf("unary %q cannot be recorded", op.String())
		}
		rn.Op = op.String()
	case "linAlgBinOp":
		if field(op, "transA").Bool() || field(op, "transB").Bool() {
			return errors.New("a transposed gorgonia Mul cannot be recorded (use graph.MatMul)")
		}
		rn.Op = "mul"
	case "sumOp":
		rn.Op, rn.Along = "sum", intsField(op, "along")
	case "sizeOp":
		rn.Op, rn.Along = "size", []int{intField(op, "axis")}
	case "softmaxOp":
		rn.Op, rn.Along = "gorgonia.SoftMax", []int{intField(op, "axis")}
		if field(op, "isLog").Bool() {
			rn.Op = "gorgonia.LogSoftMax"
		}
	case "BatchNormOp":
		rn.Op, rn.Momentum, rn.Eps = "gorgonia.BatchNorm", field(op, "momentum").Float(), field(op, "epsilon").Float()
	default:
		return fmt.Errorf("op %v (%s) cannot be recorded", op, name)
	}
	return nil
}

var binBuilders = map[string]func(a, b *G.Node) (*G.Node, error){
	"+": G.Add, "-": G.Sub, "⊙": G.HadamardProd, "÷": G.HadamardDiv,
}

var unaryBuilders = map[string]func(a *G.Node) (*G.Node, error){
	"neg": G.Neg, "exp": G.Exp, "ln": G.Log, "square": G.Square, "sqrt": G.Sqrt,
}

var actByName = map[string]kernels.Act{
	kernels.ActReLU.String(): kernels.ActReLU, kernels.ActSigmoid.String(): kernels.ActSigmoid, kernels.ActTanh.String(): kernels.ActTanh,
}

// UnmarshalModel reads a model record (MarshalModel's output) and rebuilds
// the model at the given batch size (0: the recorded one). Parameters hold
// zeros: their values come from a checkpoint, by name. Every malformed or
// inconsistent record is an error saying which node is wrong.
func UnmarshalModel(b []byte, batch int) (*Model, error) {
	var r ModelRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("graph: model record: %w", err)
	}
	return RebuildModel(&r, batch)
}

// RebuildModel builds the model a record describes at the given batch size
// (0: the recorded one); see UnmarshalModel.
func RebuildModel(r *ModelRecord, batch int) (m *Model, err error) {
	if r.Format != ModelFormat {
		return nil, fmt.Errorf("graph: model record: format %q, want %q", r.Format, ModelFormat)
	}
	if r.Version != ModelVersion {
		return nil, fmt.Errorf("graph: model record: version %d, this gabor reads version %d", r.Version, ModelVersion)
	}
	if len(r.Nodes) == 0 || len(r.Nodes) > maxRecordNodes {
		return nil, fmt.Errorf("graph: model record: %d nodes (want 1 to %d)", len(r.Nodes), maxRecordNodes)
	}
	if r.Batch < 0 || batch < 0 {
		return nil, fmt.Errorf("graph: model record: negative batch (recorded %d, asked %d)", r.Batch, batch)
	}
	if batch == 0 {
		batch = r.Batch
	}
	target, ok := targetNames[r.Target]
	if !ok {
		return nil, fmt.Errorf("graph: model record: unknown target %q (known: class-indices, one-hot, float)", r.Target)
	}
	// gorgonia panics on some inconsistent graphs; a record is input, so a
	// panic becomes an error.
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("graph: model record: rebuilding failed: %v", p)
		}
	}()
	g := G.NewGraph()
	nodes := make([]*G.Node, len(r.Nodes))
	var paramElems int
	for i, rn := range r.Nodes {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("graph: model record: node %d %q (%s): %s", i, rn.Name, rn.Op, fmt.Sprintf(format, args...))
		}
		if len(rn.Shape) > maxRecordRank {
			return nil, bad("rank %d is more than %d", len(rn.Shape), maxRecordRank)
		}
		want := append([]int{}, rn.Shape...)
		if rn.Batched {
			if len(want) == 0 {
				return nil, bad("a scalar cannot be batched")
			}
			want[0] = batch
		}
		elems := 1
		for _, d := range want {
			if d < 1 || d > maxRecordParams {
				return nil, bad("shape %v has a dimension out of range", rn.Shape)
			}
			elems *= d
			if elems > maxRecordParams {
				return nil, bad("shape %v has more than %d elements", rn.Shape, maxRecordParams)
			}
		}
		in := make([]*G.Node, len(rn.In))
		for j, k := range rn.In {
			if k < 0 || k >= i {
				return nil, bad("input %d is node %d, which does not come before it", j, k)
			}
			in[j] = nodes[k]
		}
		var n *G.Node
		switch rn.Op {
		case "input", "param":
			if len(in) != 0 {
				return nil, bad("a leaf has no inputs")
			}
			var opts []G.NodeConsOpt
			opts = append(opts, G.WithName(rn.Name))
			if len(want) > 0 {
				opts = append(opts, G.WithShape(want...))
			}
			if rn.Op == "param" {
				paramElems += elems
				if paramElems > maxRecordParams {
					return nil, bad("the parameters hold more than %d values", maxRecordParams)
				}
				if len(want) == 0 { // a surface's weight, as gorgonia.NewScalar makes it
					opts = append(opts, G.WithValue(float32(0)))
				} else {
					opts = append(opts, G.WithValue(tensor.New(tensor.WithShape(want...), tensor.WithBacking(make([]float32, elems)))))
				}
			}
			if len(want) == 0 {
				n = G.NewScalar(g, tensor.Float32, opts...)
			} else {
				n = G.NewTensor(g, tensor.Float32, len(want), opts...)
			}
		case "const":
			if rn.Value == nil || len(in) != 0 || len(want) != 0 {
				return nil, bad("a constant is a scalar value with no inputs")
			}
			n = G.NewConstant(float32(*rn.Value), G.WithName(rn.Name))
		default:
			if n, err = rebuildOp(rn, in, want, batch); err != nil {
				return nil, bad("%v", err)
			}
			if rn.Name != "" {
				G.WithName(rn.Name)(n)
			}
		}
		if got := shapeOf(n); !slices.Equal(got, want) {
			return nil, bad("rebuilt with shape %v, the record says %v", got, want)
		}
		nodes[i] = n
	}
	at := func(what string, i *int) (*G.Node, error) {
		if i == nil {
			return nil, nil
		}
		if *i < 0 || *i >= len(nodes) {
			return nil, fmt.Errorf("graph: model record: %s is node %d of %d", what, *i, len(nodes))
		}
		return nodes[*i], nil
	}
	m = &Model{Name: r.Name, G: g, Target: target}
	if m.X, err = at("x", r.X); err != nil {
		return nil, err
	}
	if m.Labels, err = at("labels", r.Labels); err != nil {
		return nil, err
	}
	if m.Logits, err = at("logits", r.Logits); err != nil {
		return nil, err
	}
	loss := r.Loss
	if m.Loss, err = at("loss", &loss); err != nil {
		return nil, err
	}
	if len(shapeOf(m.Loss)) != 0 {
		return nil, fmt.Errorf("graph: model record: the loss %q has shape %v, want a scalar", m.Loss.Name(), shapeOf(m.Loss))
	}
	seen := map[int]bool{}
	for _, i := range r.Params {
		p, err := at("a parameter", &i)
		if err != nil {
			return nil, err
		}
		if r.Nodes[i].Op != "param" || seen[i] {
			return nil, fmt.Errorf("graph: model record: parameter %d (node %q) is not a distinct param node", i, r.Nodes[i].Name)
		}
		seen[i] = true
		m.Params = append(m.Params, p)
	}
	for name, i := range r.Inputs {
		n, err := at("input "+name, &i)
		if err != nil {
			return nil, err
		}
		if r.Nodes[i].Op != "input" {
			return nil, fmt.Errorf("graph: model record: input %q is node %q, not an input", name, r.Nodes[i].Name)
		}
		if m.Inputs == nil {
			m.Inputs = map[string]*G.Node{}
		}
		m.Inputs[name] = n
	}
	// An input node that no role names is a leaf nobody writes: refused
	// here, as the compiler and Record refuse it.
	bound := map[*G.Node]bool{m.X: true, m.Labels: true}
	for _, n := range m.Inputs {
		bound[n] = true
	}
	for i, rn := range r.Nodes {
		if rn.Op == "param" && !seen[i] {
			return nil, fmt.Errorf("graph: model record: node %d %q is a param but not in params", i, rn.Name)
		}
		if rn.Op == "input" && !bound[nodes[i]] {
			return nil, fmt.Errorf("graph: model record: node %d %q is an input, but not x, labels or one of inputs", i, rn.Name)
		}
	}
	return m, nil
}

// rebuildOp applies one recorded op to its rebuilt inputs.
func rebuildOp(rn RecordNode, in []*G.Node, want []int, batch int) (*G.Node, error) {
	arity := func(n ...int) error {
		for _, k := range n {
			if len(in) == k {
				return nil
			}
		}
		return fmt.Errorf("%d inputs, want %v", len(in), n)
	}
	names := func() []string {
		s := make([]string, len(in))
		for i := range s {
			s[i] = fmt.Sprint("in", i)
		}
		return s
	}
	var s spec
	switch rn.Op {
	case "Conv2D":
		s = convOp{stride: rn.Stride, pad: rn.Pad, bias: rn.Bias}
	case "Dense":
		s = denseOp{bias: rn.Bias}
	case "MatMul":
		s = matMulOp{transA: rn.TransA, transB: rn.TransB}
	case "Act":
		fn, ok := actByName[rn.Act]
		if !ok {
			return nil, fmt.Errorf("unknown activation %q", rn.Act)
		}
		s = actOp{fn: fn}
	case "MaxPool2D":
		s = maxPoolOp{poolParams{rn.Kernel, rn.Stride, rn.Pad}}
	case "AvgPool2D":
		s = avgPoolOp{poolParams{rn.Kernel, rn.Stride, rn.Pad}}
	case "gorgonia.Conv2d", "gorgonia.MaxPool2D", "gorgonia.Rectify", "gorgonia.Reshape":
		return rebuildGorgonia(rn, in, batch)
	case "Flatten":
		if err := arity(1); err != nil {
			return nil, err
		}
		return Flatten(in[0])
	case "Reshape":
		to := append([]int{}, rn.To...)
		if rn.Batched && len(to) > 0 {
			to[0] = batch
		}
		s = reshapeOp{to: to}
	case "Dropout":
		if !(rn.P >= 0 && rn.P < 1) {
			return nil, fmt.Errorf("dropout probability %v is not in [0, 1)", rn.P)
		}
		s = dropoutOp{p: float32(rn.P), seed: rn.Seed}
	case "Softmax":
		s = softmaxOp{}
	case "SoftmaxCrossEntropy":
		s = xentOp{oneHot: rn.OneHot}
	case "mul":
		if err := arity(2); err != nil {
			return nil, err
		}
		return G.Mul(in[0], in[1])
	case "sum":
		if err := arity(1); err != nil {
			return nil, err
		}
		for _, a := range rn.Along {
			if a < 0 || a >= len(in[0].Shape()) {
				return nil, fmt.Errorf("sum along axis %d of %v", a, in[0].Shape())
			}
		}
		return G.Sum(in[0], rn.Along...)
	case "size":
		if err := arity(1); err != nil {
			return nil, err
		}
		if len(rn.Along) != 1 || rn.Along[0] < 0 || rn.Along[0] >= len(in[0].Shape()) {
			return nil, fmt.Errorf("size along %v of %v", rn.Along, in[0].Shape())
		}
		return G.SizeOf(rn.Along[0], in[0])
	case "gorgonia.SoftMax", "gorgonia.LogSoftMax":
		if err := arity(1); err != nil {
			return nil, err
		}
		if len(rn.Along) != 1 || rn.Along[0] < -1 || rn.Along[0] >= len(in[0].Shape()) {
			return nil, fmt.Errorf("softmax along %v of %v", rn.Along, in[0].Shape())
		}
		var axes []int
		if rn.Along[0] >= 0 {
			axes = rn.Along
		}
		if rn.Op == "gorgonia.LogSoftMax" {
			return G.LogSoftMax(in[0], axes...)
		}
		return G.SoftMax(in[0], axes...)
	case "gorgonia.BatchNorm":
		if err := arity(1); err != nil {
			return nil, err
		}
		return rebuildBatchNorm(rn, in[0])
	default:
		if f, ok := binBuilders[rn.Op]; ok {
			if err := arity(2); err != nil {
				return nil, err
			}
			return f(in[0], in[1])
		}
		if f, ok := broadcastBuilders[rn.Op]; ok {
			if err := arity(2); err != nil {
				return nil, err
			}
			if err := checkAxes(rn.Along, len(want)); err != nil {
				return nil, err
			}
			left, right := axesBytes(rn.Along), []byte(nil)
			if !rn.Left {
				left, right = nil, left
			}
			return f(in[0], in[1], left, right)
		}
		if f, ok := unaryBuilders[rn.Op]; ok {
			if err := arity(1); err != nil {
				return nil, err
			}
			return f(in[0])
		}
		return nil, fmt.Errorf("unknown op %q", rn.Op)
	}
	if a := s.arity(); a >= 0 && len(in) != a {
		return nil, fmt.Errorf("%d inputs, %v takes %d", len(in), s, a)
	}
	return apply(rn.Op, s, names(), in...)
}

// rebuildBatchNorm applies a fresh gorgonia BatchNormOp to x. The op (its
// fields are unexported) comes from gorgonia.BatchNorm called on a
// throwaway graph, so x's graph gains only the op's node: the scale and the
// bias are recorded nodes of their own (the broadcast ⊙ and + that follow).
func rebuildBatchNorm(rn RecordNode, x *G.Node) (*G.Node, error) {
	if !(rn.Momentum >= 0 && rn.Momentum <= 1) || !(rn.Eps > 0 && rn.Eps < 1) {
		return nil, fmt.Errorf("batch norm momentum %v (want [0, 1]) and epsilon %v (want (0, 1))", rn.Momentum, rn.Eps)
	}
	sh := x.Shape()
	if len(sh) < 2 || sh[1] < 1 {
		return nil, fmt.Errorf("batch norm of a %v input, want [N, C, ...]", sh)
	}
	tmp := G.NewTensor(G.NewGraph(), tensor.Float32, len(sh), G.WithShape(sh...), G.WithName("x"))
	_, _, _, op, err := G.BatchNorm(tmp, nil, nil, rn.Momentum, rn.Eps)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(op, x)
}

// The gorgonia built-in calls a record keeps as one node each (see the
// record's description above).

var broadcastBuilders = map[string]func(a, b *G.Node, left, right []byte) (*G.Node, error){
	"broadcast +": G.BroadcastAdd, "broadcast -": G.BroadcastSub,
	"broadcast ⊙": G.BroadcastHadamardProd, "broadcast ÷": G.BroadcastHadamardDiv,
}

// recordCall recognizes the node a gorgonia built-in call returns (Conv2d,
// MaxPool2D, Rectify, Reshape, a Broadcast elementwise op) and describes the
// call, with the call's own inputs; nil when n is not one.
func recordCall(n *G.Node) (*RecordNode, []*G.Node) {
	if n.Op() == nil || specOf(n) != nil {
		return nil, nil
	}
	if x, w, c, ok := gorgoniaConv2d(n); ok {
		return &RecordNode{Op: "gorgonia.Conv2d", Role: RoleConv, Kernel: c.kernel, Pad: c.pad, Stride: c.stride, Dil: c.dil}, []*G.Node{x, w}
	}
	if x, ok := gorgoniaRectify(n); ok {
		return &RecordNode{Op: "gorgonia.Rectify", Role: RoleActivation}, []*G.Node{x}
	}
	op, kids := n.Op(), children(n)
	switch builtinName(op) {
	case "maxPoolOp":
		if len(kids) != 1 || intField(op, "padSouth") != intField(op, "padNorth") || intField(op, "padEast") != intField(op, "padWest") {
			return nil, nil // asymmetric padding: recordOp names the op
		}
		return &RecordNode{Op: "gorgonia.MaxPool2D", Role: RolePooling,
			Kernel: [2]int{intField(op, "h"), intField(op, "w")},
			Pad:    [2]int{intField(op, "padNorth"), intField(op, "padWest")},
			Stride: [2]int{intField(op, "strideH"), intField(op, "strideW")}}, kids
	case "reshapeOp":
		if len(kids) != 1 {
			return nil, nil
		}
		rn := &RecordNode{Op: "gorgonia.Reshape", To: append([]int{}, shapeOf(n)...)}
		// A reshaped leaf (Conv2d's filter) is no layer.
		if in := shapeOf(kids[0]); kids[0].Op() != nil && len(in) > 1 && len(rn.To) == 2 && rn.To[0] == in[0] && rn.To[1] == numel(in[1:]) {
			rn.Role = RoleFlatten
		}
		return rn, kids
	case "elemBinOp":
		if len(kids) != 2 {
			return nil, nil
		}
		sym := "broadcast " + binSymbol(op)
		if _, ok := broadcastBuilders[sym]; !ok {
			return nil, nil
		}
		for side := range 2 {
			orig, along, ok := broadcastChain(kids[side], kids[1-side])
			if !ok {
				continue
			}
			in := []*G.Node{kids[0], kids[1]}
			in[side] = orig
			return &RecordNode{Op: sym, Along: along, Left: side == 0}, in
		}
	}
	return nil, nil
}

// broadcastChain undoes what gorgonia.Broadcast builds on one operand: a
// reshape adding the broadcast axes, then one Repeat per axis by the size
// of the other operand along it. It returns the operand before the
// reshape and the axes in the order they were repeated.
func broadcastChain(n, other *G.Node) (*G.Node, []int, bool) {
	var along []int
	for builtinName(n.Op()) == "repeatOp" {
		kids := children(n)
		ax := intField(n.Op(), "along")
		if len(kids) != 2 || builtinName(kids[1].Op()) != "sizeOp" || intField(kids[1].Op(), "axis") != ax {
			return nil, nil, false
		}
		if sk := children(kids[1]); len(sk) != 1 || sk[0] != other {
			return nil, nil, false
		}
		along = append([]int{ax}, along...)
		n = kids[0]
	}
	if len(along) == 0 || builtinName(n.Op()) != "reshapeOp" {
		return nil, nil, false
	}
	return children(n)[0], along, true
}

type im2colParams struct{ kernel, pad, stride, dil [2]int }

// gorgoniaConv2d recognizes the transpose that ends gorgonia.Conv2d:
// transpose{0,3,1,2}(reshape(Mul(reshape(im2col(x)), reshape(w)ᵀ))).
func gorgoniaConv2d(n *G.Node) (x, w *G.Node, c im2colParams, ok bool) {
	step := func(n *G.Node, name string, arity int) ([]*G.Node, bool) {
		if n.Op() == nil || builtinName(n.Op()) != name {
			return nil, false
		}
		kids := children(n)
		return kids, len(kids) == arity
	}
	res, ok := step(n, "transposeOp", 1)
	if !ok || fmt.Sprint(intsField(n.Op(), "pattern")) != "[0 3 1 2]" {
		return nil, nil, c, false
	}
	mul, ok := step(res[0], "reshapeOp", 1)
	if !ok {
		return nil, nil, c, false
	}
	mm := mul[0]
	ab, ok := step(mm, "linAlgBinOp", 2)
	if !ok || field(mm.Op(), "transA").Bool() || !field(mm.Op(), "transB").Bool() {
		return nil, nil, c, false
	}
	patch, ok1 := step(ab[0], "reshapeOp", 1)
	flat, ok2 := step(ab[1], "reshapeOp", 1)
	if !ok1 || !ok2 {
		return nil, nil, c, false
	}
	col, ok := step(patch[0], "im2colOp", 1)
	if !ok {
		return nil, nil, c, false
	}
	op := patch[0].Op()
	c = im2colParams{
		kernel: [2]int{intField(op, "h"), intField(op, "w")},
		pad:    [2]int{intField(op, "padH"), intField(op, "padW")},
		stride: [2]int{intField(op, "strideH"), intField(op, "strideW")},
		dil:    [2]int{intField(op, "dilationH"), intField(op, "dilationW")},
	}
	return col[0], flat[0], c, len(shapeOf(flat[0])) == 4
}

// gorgoniaRectify recognizes gorgonia.Rectify's x ⊙ (x ≥ 0).
func gorgoniaRectify(n *G.Node) (*G.Node, bool) {
	if builtinName(n.Op()) != "elemBinOp" || binSymbol(n.Op()) != "⊙" {
		return nil, false
	}
	kids := children(n)
	if len(kids) != 2 || kids[1].Op() == nil || builtinName(kids[1].Op()) != "elemBinOp" || binSymbol(kids[1].Op()) != ">=" {
		return nil, false
	}
	cmp := children(kids[1])
	if len(cmp) != 2 || cmp[0] != kids[0] {
		return nil, false
	}
	if v, ok := scalarValue(cmp[1]); !ok || v != 0 {
		return nil, false
	}
	return kids[0], true
}

// GorgoniaRoles maps the nodes of nodes that gorgonia built-in calls
// returned to their layer roles (RoleConv, RoleActivation, RolePooling,
// RoleFlatten, RoleDense): gorgonia.Conv2d, Rectify, MaxPool2D, a
// flattening Reshape, and a dense layer written as Mul(h, w) — at its
// bias' BroadcastAdd when it has one. Introspection lists a plain-gorgonia
// model's layers by it; a node not in the map is not a layer's output.
func GorgoniaRoles(nodes G.Nodes) map[*G.Node]string {
	roles := map[*G.Node]string{}
	inner := map[*G.Node]bool{}
	for _, n := range nodes {
		rn, kids := recordCall(n)
		switch {
		case rn != nil && rn.Op == "broadcast +" && len(kids) == 2:
			in, b := kids[0], kids[1]
			if rn.Left {
				in, b = b, in
			}
			if b.Op() == nil && isDenseMul(in) {
				roles[n], inner[in] = RoleDense, true
			}
		case rn != nil && rn.Role != "":
			roles[n] = rn.Role
		case isDenseMul(n):
			roles[n] = RoleDense
		}
	}
	for n := range inner {
		delete(roles, n)
	}
	return roles
}

// isDenseMul is a gorgonia Mul of a matrix by a leaf matrix (h × w).
func isDenseMul(n *G.Node) bool {
	if n.Op() == nil || builtinName(n.Op()) != "linAlgBinOp" || field(n.Op(), "transA").Bool() || field(n.Op(), "transB").Bool() {
		return false
	}
	kids := children(n)
	return len(kids) == 2 && kids[1].Op() == nil && len(shapeOf(kids[0])) == 2 && len(shapeOf(kids[1])) == 2
}

// rebuildGorgonia makes a recorded gorgonia built-in call again.
func rebuildGorgonia(rn RecordNode, in []*G.Node, batch int) (*G.Node, error) {
	want := map[string]int{"gorgonia.Conv2d": 2, "gorgonia.MaxPool2D": 1, "gorgonia.Rectify": 1, "gorgonia.Reshape": 1}[rn.Op]
	if len(in) != want {
		return nil, fmt.Errorf("%d inputs, %s takes %d", len(in), rn.Op, want)
	}
	positive := func(what string, v [2]int, min int) error {
		if v[0] < min || v[1] < min || v[0] > maxRecordParams || v[1] > maxRecordParams {
			return fmt.Errorf("%s %v out of range", what, v)
		}
		return nil
	}
	switch rn.Op {
	case "gorgonia.Conv2d":
		for _, e := range []error{positive("kernel", rn.Kernel, 1), positive("pad", rn.Pad, 0), positive("stride", rn.Stride, 1), positive("dilation", rn.Dil, 1)} {
			if e != nil {
				return nil, e
			}
		}
		if len(shapeOf(in[0])) != 4 || len(shapeOf(in[1])) != 4 {
			return nil, fmt.Errorf("conv of %v by %v: both must be rank 4", shapeOf(in[0]), shapeOf(in[1]))
		}
		return G.Conv2d(in[0], in[1], tensor.Shape{rn.Kernel[0], rn.Kernel[1]}, rn.Pad[:], rn.Stride[:], rn.Dil[:])
	case "gorgonia.MaxPool2D":
		for _, e := range []error{positive("kernel", rn.Kernel, 1), positive("pad", rn.Pad, 0), positive("stride", rn.Stride, 1)} {
			if e != nil {
				return nil, e
			}
		}
		if len(shapeOf(in[0])) != 4 {
			return nil, fmt.Errorf("max-pool of %v: must be rank 4", shapeOf(in[0]))
		}
		return G.MaxPool2D(in[0], tensor.Shape{rn.Kernel[0], rn.Kernel[1]}, rn.Pad[:], rn.Stride[:])
	case "gorgonia.Rectify":
		return G.Rectify(in[0])
	}
	to := append([]int{}, rn.To...)
	if rn.Batched && len(to) > 0 {
		to[0] = batch
	}
	ok := len(to) > 0 && len(to) <= maxRecordRank
	for _, d := range to {
		ok = ok && d >= 1 && d <= maxRecordParams
	}
	if !ok || numel(to) != numel(shapeOf(in[0])) {
		return nil, fmt.Errorf("reshape of %v into %v", shapeOf(in[0]), to)
	}
	return G.Reshape(in[0], to)
}

func checkAxes(along []int, rank int) error {
	if len(along) == 0 || len(along) > rank {
		return fmt.Errorf("broadcast along %v of a rank-%d result", along, rank)
	}
	for _, a := range along {
		if a < 0 || a >= rank {
			return fmt.Errorf("broadcast along axis %d of a rank-%d result", a, rank)
		}
	}
	return nil
}

func axesBytes(along []int) []byte {
	b := make([]byte, len(along))
	for i, a := range along {
		b[i] = byte(a)
	}
	return b
}
