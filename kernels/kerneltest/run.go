package kerneltest

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
)

// Run checks backend b against the reference on every case of every
// registered family, one subtest per family and case:
// TestConformance/gemm/M=7,N=33,K=1,tA.
func Run(t *testing.T, b kernels.Backend) {
	for _, f := range Families() {
		t.Run(f.Name, func(t *testing.T) { runFamily(t, b, f) })
	}
}

func runFamily(t *testing.T, b kernels.Backend, f Family) {
	cases := f.Cases(testing.Short())
	if len(cases) == 0 {
		t.Fatalf("family %s has no cases", f.Name)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { RunCase(t, b, c) })
	}
}

// guardLen is the length of the NaN guard buffers around every operand. It
// is odd, so operands also start at unaligned offsets.
const guardLen = 17

// layout is a Case turned into a one-instruction Program.
type layout struct {
	prog    *kernels.Program
	instr   kernels.Instr
	ins     []kernels.BufID
	outs    []kernels.BufID
	guards  []kernels.BufID
	inData  [][]float32 // host copies of the inputs as written
	outData [][]float32 // prior contents of the outputs as written
}

// newLayout lays the operands out in an arena, each between NaN guards, and
// makes their data from a generator seeded by the case's name.
func newLayout(name string, c Case) *layout {
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))

	p := &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1}
	l := &layout{prog: p}
	add := func(name string, n int, class kernels.BufClass, dt kernels.DType) kernels.BufID {
		id := kernels.BufID(len(p.Buffers))
		if dt == kernels.F64 {
			p.ArenaLen += p.ArenaLen % 2 // 8-byte aligned
		}
		p.Buffers = append(p.Buffers, kernels.Buffer{
			Name: name, Shape: []int{n}, Len: n, Class: class, View: -1, Offset: p.ArenaLen, DType: dt,
		})
		p.ArenaLen += p.Buffers[id].Floats()
		return id
	}
	guard := func(after string) {
		l.guards = append(l.guards, add("guard after "+after, guardLen, kernels.Temp, kernels.F32))
	}
	guard("start")
	for i, op := range c.In {
		l.ins = append(l.ins, add(fmt.Sprintf("in%d", i), op.Len, kernels.Input, op.Type))
		guard(fmt.Sprintf("input %d", i))
		d := make([]float32, op.Len)
		fill := op.Fill
		if fill == nil {
			fill = Normal(1)
		}
		fill(r, d)
		l.inData = append(l.inData, d)
	}
	for j, op := range c.Out {
		if src, ok := c.Alias[j]; ok {
			in := p.Buffers[l.ins[src]]
			id := kernels.BufID(len(p.Buffers))
			p.Buffers = append(p.Buffers, kernels.Buffer{
				Name: fmt.Sprintf("out%d=in%d", j, src), Shape: in.Shape, Len: in.Len,
				Class: kernels.Output, View: l.ins[src], Offset: in.Offset,
			})
			l.outs = append(l.outs, id)
			l.outData = append(l.outData, nil)
			continue
		}
		l.outs = append(l.outs, add(fmt.Sprintf("out%d", j), op.Len, kernels.Output, op.Type))
		guard(fmt.Sprintf("output %d", j))
		d := make([]float32, op.Len)
		if op.Fill != nil {
			op.Fill(r, d)
		} else {
			fillNaN(d)
		}
		l.outData = append(l.outData, d)
	}
	l.instr = kernels.Instr{Op: c.Op, In: l.ins, Out: l.outs, Args: c.Args, Node: "kerneltest/" + name}
	p.Instrs = []kernels.Instr{l.instr}
	p.Forward = kernels.Segment{Start: 0, End: 1}
	return l
}

func fillNaN(d []float32) {
	nan := float32(math.NaN())
	for i := range d {
		d[i] = nan
	}
}

// load loads the program on b and writes guards, inputs and prior outputs.
func (l *layout) load(b kernels.Backend) (kernels.Executable, error) {
	x, err := b.Load(l.prog)
	if err != nil {
		return nil, err
	}
	g := make([]float32, guardLen)
	fillNaN(g)
	for _, id := range l.guards {
		if err := x.Write(id, g); err != nil {
			return nil, err
		}
	}
	for i, id := range l.ins {
		if err := write(x, l.prog, id, l.inData[i]); err != nil {
			return nil, err
		}
	}
	for j, id := range l.outs {
		if l.outData[j] == nil {
			continue // an alias of an input, already written
		}
		if err := write(x, l.prog, id, l.outData[j]); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// typed is what a buffer of dtype dt holds after write(v), as float64.
func typed(dt kernels.DType, v []float32) []float64 {
	w := widen(v)
	for i, f := range v {
		switch dt {
		case kernels.U8:
			w[i] = float64(uint8(f))
		case kernels.I32:
			w[i] = float64(int32(f))
		}
	}
	return w
}

// write stores float32 values into a buffer of any dtype, converted.
func write(x kernels.Executable, p *kernels.Program, id kernels.BufID, v []float32) error {
	switch p.Buffers[id].DType {
	case kernels.U8:
		b := make([]uint8, len(v))
		for i, f := range v {
			b[i] = uint8(f)
		}
		return x.WriteBytes(id, b)
	case kernels.I32:
		b := make([]int32, len(v))
		for i, f := range v {
			b[i] = int32(f)
		}
		return x.WriteBytes(id, kernels.AsBytes(b))
	case kernels.F64:
		return x.WriteBytes(id, kernels.AsBytes(widen(v)))
	}
	return x.Write(id, v)
}

// read loads a buffer of any dtype as float64 values.
func read(x kernels.Executable, p *kernels.Program, id kernels.BufID) ([]float64, error) {
	b := &p.Buffers[id]
	if b.DType == kernels.F32 {
		got := make([]float32, b.Len)
		if err := x.Read(id, got); err != nil {
			return nil, fmt.Errorf("read b%d: %w", id, err)
		}
		return widen(got), nil
	}
	raw := make([]byte, b.Bytes())
	if err := x.ReadBytes(id, raw); err != nil {
		return nil, fmt.Errorf("read b%d: %w", id, err)
	}
	out := make([]float64, b.Len)
	switch b.DType {
	case kernels.U8:
		for i, v := range raw {
			out[i] = float64(v)
		}
	case kernels.I32:
		for i := range out {
			out[i] = float64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case kernels.F64:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	}
	return out, nil
}

func widen(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, f := range v {
		w[i] = float64(f)
	}
	return w
}

// RunCase builds the case's one-instruction program, runs it on b and
// compares it with cpu.Reference: every output within c.Tol, every guard
// still NaN, every input unchanged (in-place operands against the
// reference's update).
func RunCase(t *testing.T, b kernels.Backend, c Case) {
	t.Helper()
	problems, err := checkCase(b, t.Name(), c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// checkCase is RunCase without the testing.T: it returns what is wrong, or
// an error when the case could not be run at all.
func checkCase(b kernels.Backend, name string, c Case) (problems []string, err error) {
	l := newLayout(name, c)
	x, err := l.load(b)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer x.Close()
	if err := x.Run(l.prog.Forward); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := x.Sync(); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}

	inputs := make([][]float64, 0, len(c.In)+len(c.Out))
	for i, d := range l.inData {
		inputs = append(inputs, typed(l.prog.Buffers[l.ins[i]].DType, d))
	}
	if c.Prior {
		for j, d := range l.outData {
			inputs = append(inputs, typed(l.prog.Buffers[l.outs[j]].DType, d))
		}
	}
	want, err := cpu.Reference(l.instr, inputs)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	if len(want) != len(c.Out) {
		return nil, fmt.Errorf("reference returned %d outputs, the case has %d", len(want), len(c.Out))
	}

	read := func(id kernels.BufID) ([]float64, error) { return read(x, l.prog, id) }
	report := func(p string) {
		if p != "" {
			problems = append(problems, p)
		}
	}
	for j, id := range l.outs {
		got, err := read(id)
		if err != nil {
			return nil, err
		}
		report(compare(fmt.Sprintf("output %d", j), got, want[j], c.Tol))
	}
	inPlace := map[int]bool{}
	for _, i := range c.InPlace {
		inPlace[i] = true
		got, err := read(l.ins[i])
		if err != nil {
			return nil, err
		}
		report(compare(fmt.Sprintf("input %d (updated in place)", i), got, inputs[i], c.Tol))
	}
	aliased := map[int]bool{}
	for _, i := range c.Alias {
		aliased[i] = true
	}
	for i, id := range l.ins {
		if inPlace[i] || aliased[i] {
			continue
		}
		got, err := read(id)
		if err != nil {
			return nil, err
		}
		was := typed(l.prog.Buffers[id].DType, l.inData[i])
		for k, v := range got {
			if math.Float64bits(v) != math.Float64bits(was[k]) && !(v != v && was[k] != was[k]) {
				report(fmt.Sprintf("input %d was modified: [%d] is %v, was %v", i, k, v, was[k]))
				break
			}
		}
	}
	for _, id := range l.guards {
		got, err := read(id)
		if err != nil {
			return nil, err
		}
		for e, v := range got {
			if v == v {
				report(fmt.Sprintf("%s was written: [%d] = %v", l.prog.Buffers[id].Name, e, v))
				break
			}
		}
	}
	return problems, nil
}

// compare checks got against want within tol; it describes the worst
// element when any is off, else returns "".
func compare(what string, got, want []float64, tol Tol) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%s: %d elements, reference has %d", what, len(got), len(want))
	}
	bad, worst, worstEx := 0, -1, 0.0
	for i, g := range got {
		if ex := tol.excess(g, want[i]); ex > 0 {
			bad++
			if ex > worstEx || worst < 0 {
				worst, worstEx = i, ex
			}
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %d of %d elements off; worst [%d]: got %v, want %v (|diff| %.3g, tolerance %.3g + %.3g·|want|)",
		what, bad, len(got), worst, got[worst], want[worst],
		math.Abs(got[worst]-want[worst]), tol.Atol, tol.Rtol)
}
