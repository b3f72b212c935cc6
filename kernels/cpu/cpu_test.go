package cpu_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
	"github.com/gaborlab/gabor/kernels/kerneltest"
)

func openCPU(t testing.TB) kernels.Backend {
	t.Helper()
	b, err := kernels.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConformance runs the whole kernel suite against the CPU backend, once
// per CPU path this machine supports (generic, avx2, avx512).
func TestConformance(t *testing.T) {
	b := openCPU(t)
	cpu.ForEachPath(t, func(t *testing.T) { kerneltest.Run(t, b) })
}

// BenchmarkKernels times every kernel family's shapes on each CPU path this
// machine supports, as BenchmarkKernels/<family>/<shape>/<path>:
// go test -run '^$' -bench Kernels ./kernels/cpu
func BenchmarkKernels(b *testing.B) {
	var vs []kerneltest.Variant
	for _, p := range cpu.PathVariants() {
		vs = append(vs, kerneltest.Variant{Name: p.Name, Use: p.Use})
	}
	kerneltest.BenchVariants(b, openCPU(b), vs)
}

func TestCaps(t *testing.T) {
	c := openCPU(t).Caps()
	if !strings.Contains(c.Device, "CPU") || c.Threads < 1 || c.Threads != cpu.Workers() {
		t.Fatalf("caps %+v: want a CPU device and Threads = Workers() = %d", c, cpu.Workers())
	}
}

// progBuilder makes small Programs by hand, each buffer after the last.
type progBuilder struct{ p *kernels.Program }

func newProg() *progBuilder {
	return &progBuilder{p: &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1}}
}

func (b *progBuilder) buf(name string, n int) kernels.BufID {
	id := kernels.BufID(len(b.p.Buffers))
	b.p.Buffers = append(b.p.Buffers, kernels.Buffer{Name: name, Shape: []int{n}, Len: n, View: -1, Offset: b.p.ArenaLen})
	b.p.ArenaLen += n
	return id
}

func (b *progBuilder) emit(op kernels.Op, in, out []kernels.BufID, args any) {
	b.p.Instrs = append(b.p.Instrs, kernels.Instr{Op: op, In: in, Out: out, Args: args, Node: "node" + op.String()})
	b.p.Forward = kernels.Segment{Start: 0, End: len(b.p.Instrs)}
}

func ids(v ...kernels.BufID) []kernels.BufID { return v }

// TestRunDoesNotAllocate runs a training-step-like program (large enough for
// every kernel to split across workers) and counts allocations per Run.
func TestRunDoesNotAllocate(t *testing.T) {
	const batch, in, hid, cls = 128, 784, 300, 10
	b := newProg()
	x, w, bias := b.buf("x", batch*in), b.buf("w", hid*in), b.buf("b", hid)
	h := b.buf("h", batch*hid)
	w2, logits := b.buf("w2", cls*hid), b.buf("logits", batch*cls)
	labels, loss, probs := b.buf("labels", batch), b.buf("loss", 1), b.buf("probs", batch*cls)
	dlogits, dh, dw2, db := b.buf("dlogits", batch*cls), b.buf("dh", batch*hid), b.buf("dw2", cls*hid), b.buf("db", hid)
	v, v2, hyper, ctl := b.buf("v", hid*in), b.buf("v2", cls*hid), b.buf("hyper", 2), b.buf("ctl", 2)
	dw, mask, ht := b.buf("dw", hid*in), b.buf("mask", batch*hid), b.buf("ht", batch*hid)
	red := b.buf("red", hid)
	b.emit(kernels.OpGemm, ids(x, w, bias), ids(h), kernels.GemmArgs{M: batch, N: hid, K: in, TransB: true, Alpha: 1, Bias: true, Act: kernels.ActReLU})
	b.emit(kernels.OpDropout, ids(h, ctl), ids(h, mask), kernels.DropoutArgs{N: batch * hid, P: 0.5, Seed: 1})
	b.emit(kernels.OpGemm, ids(h, w2), ids(logits), kernels.GemmArgs{M: batch, N: cls, K: hid, TransB: true, Alpha: 1})
	b.emit(kernels.OpSoftmaxXent, ids(logits, labels), ids(loss, probs), kernels.XentArgs{N: batch, D: cls})
	b.emit(kernels.OpSoftmaxXentBwd, ids(probs, labels), ids(dlogits), kernels.XentArgs{N: batch, D: cls})
	b.emit(kernels.OpGemm, ids(dlogits, w2), ids(dh), kernels.GemmArgs{M: batch, N: hid, K: cls, Alpha: 1})
	b.emit(kernels.OpGemm, ids(dlogits, h), ids(dw2), kernels.GemmArgs{M: cls, N: hid, K: batch, TransA: true, Alpha: 1})
	b.emit(kernels.OpActGrad, ids(h, dh), ids(dh), kernels.ActGradArgs{Act: kernels.ActReLU, N: batch * hid})
	b.emit(kernels.OpBinary, ids(dh, mask), ids(dh), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: batch * hid})
	b.emit(kernels.OpBinary, ids(dh, bias), ids(dh), kernels.BinaryArgs{Fn: kernels.BinaryAdd, N: batch * hid, Bcast: kernels.BcastInner, Inner: hid})
	b.emit(kernels.OpBiasGrad, ids(dh), ids(db), kernels.BiasGradArgs{N: batch, C: hid, HW: 1})
	b.emit(kernels.OpReduce, ids(dh), ids(red), kernels.ReduceArgs{Outer: 1, Mid: batch, Inner: hid, Mean: true})
	b.emit(kernels.OpBroadcast, ids(red), ids(ht), kernels.BroadcastArgs{Outer: 1, Mid: batch, Inner: hid, Scale: 1})
	b.emit(kernels.OpTranspose, ids(dh), ids(ht), kernels.TransposeArgs{Rank: 2, Shape: [4]int{batch, hid}, Perm: [4]int{1, 0}})
	b.emit(kernels.OpUnary, ids(ht), ids(ht), kernels.UnaryArgs{Fn: kernels.UnaryTanh, N: batch * hid})
	b.emit(kernels.OpSoftmax, ids(logits), ids(probs), kernels.SoftmaxArgs{Rows: batch, D: cls})
	b.emit(kernels.OpFill, nil, ids(dw), kernels.FillArgs{N: hid * in, Value: 0.01})
	b.emit(kernels.OpCopy, ids(dw), ids(v), kernels.CopyArgs{N: hid * in})
	b.emit(kernels.OpSGD, ids(w, w2, dw, dw2, v, v2, hyper), nil, kernels.SGDArgs{Sizes: []int{hid * in, cls * hid}, Momentum: 0.9})

	ex, err := openCPU(t).Load(b.p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	for _, wr := range []struct {
		id kernels.BufID
		v  []float32
	}{{hyper, []float32{0.01, 1}}, {ctl, []float32{1, 3}}} {
		if err := ex.Write(wr.id, wr.v); err != nil {
			t.Fatal(err)
		}
	}
	run := func() {
		if err := ex.Run(b.p.Forward); err != nil {
			t.Fatal(err)
		}
	}
	run() // first run: lazily built pools
	n := testing.AllocsPerRun(20, run)
	switch {
	case raceEnabled: // sync.Pool drops entries at random under -race: not a property of the code
		t.Logf("Run allocates %v times per step under the race detector", n)
	case n != 0:
		t.Fatalf("Run allocates %v times per step, want 0", n)
	}
}

func TestLoadErrorsNameTheInstruction(t *testing.T) {
	b := newProg()
	x, y := b.buf("x", 10), b.buf("y", 9)
	b.emit(kernels.OpUnary, ids(x), ids(y), kernels.UnaryArgs{Fn: kernels.UnaryReLU, N: 10})
	_, err := openCPU(t).Load(b.p)
	if err == nil {
		t.Fatal("Load accepted an output of 9 floats for N=10")
	}
	for _, want := range []string{"instr 0", "unary", "nodeunary", `"y"`, "9"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	b = newProg()
	b.buf("x", 1)
	b.emit(kernels.OpInvalid, ids(0), nil, nil)
	if _, err := openCPU(t).Load(b.p); !errors.Is(err, kernels.ErrNotImplemented) {
		t.Errorf("unknown op: got %v, want ErrNotImplemented", err)
	}

	b = newProg()
	x, y = b.buf("x", 4), b.buf("y", 4)
	b.emit(kernels.OpCopy, ids(x), ids(y), kernels.FillArgs{N: 4})
	if _, err := openCPU(t).Load(b.p); err == nil || !strings.Contains(err.Error(), "CopyArgs") {
		t.Errorf("wrong Args type: got %v, want a message naming kernels.CopyArgs", err)
	}

	b = newProg()
	x = b.buf("x", 10)
	b.emit(kernels.OpCopy, ids(x), ids(x+0), kernels.CopyArgs{N: 10})
	b.p.Buffers = append(b.p.Buffers, kernels.Buffer{Name: "shifted", Len: 10, View: -1, Offset: 3})
	b.p.ArenaLen = 13
	b.p.Instrs[0].Out = ids(1)
	if _, err := openCPU(t).Load(b.p); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("partially overlapping copy: got %v, want an overlap error", err)
	}
}

func TestRunRejectsBadLabels(t *testing.T) {
	for _, bad := range []float32{10, -1, 2.5} {
		b := newProg()
		logits, labels, loss, probs := b.buf("logits", 20), b.buf("labels", 2), b.buf("loss", 1), b.buf("probs", 20)
		b.emit(kernels.OpSoftmaxXent, ids(logits, labels), ids(loss, probs), kernels.XentArgs{N: 2, D: 10})
		ex, err := openCPU(t).Load(b.p)
		if err != nil {
			t.Fatal(err)
		}
		if err := ex.Write(labels, []float32{3, bad}); err != nil {
			t.Fatal(err)
		}
		err = ex.Run(b.p.Forward)
		if err == nil || !strings.Contains(err.Error(), "row 1") {
			t.Errorf("label %v: got %v, want an error naming row 1", bad, err)
		}
	}
}

func TestWriteReadChecks(t *testing.T) {
	b := newProg()
	x := b.buf("x", 3)
	ex, err := openCPU(t).Load(b.p)
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Write(x, make([]float32, 4)); err == nil {
		t.Error("Write of 4 floats into a buffer of 3 succeeded")
	}
	if err := ex.Read(5, make([]float32, 3)); err == nil {
		t.Error("Read of a missing buffer succeeded")
	}
	if err := ex.Write(x, []float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 3)
	if err := ex.Read(x, got); err != nil || got[0] != 1 || got[2] != 3 {
		t.Fatalf("read back %v, %v", got, err)
	}
	if ex.ArenaBytes() != 12 {
		t.Errorf("ArenaBytes = %d, want 12", ex.ArenaBytes())
	}
	if err := ex.Run(kernels.Segment{Start: 0, End: 2}); err == nil {
		t.Error("Run of a segment past the program succeeded")
	}
	ex.Close()
	if err := ex.Read(x, got); err == nil {
		t.Error("Read after Close succeeded")
	}
}
