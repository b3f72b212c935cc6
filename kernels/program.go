package kernels

import (
	"fmt"
	"strings"
)

// BufID names a buffer of a Program: an index into Program.Buffers.
type BufID int

// BufClass says what a buffer holds; the memory planner pins every class but Temp.
type BufClass uint8

const (
	Temp     BufClass = iota // an intermediate: lives from its first write to its last read
	Input                    // written by the host before a step (images, labels)
	Param                    // a trainable parameter
	Grad                     // a parameter's gradient (pinned only when tapped)
	OptState                 // optimizer state (momentum, Adam moments)
	Control                  // small host-written scalars: hyper-parameters, step counters, train/eval flags
	Output                   // a result the host reads after a step (loss, logits)
)

func (c BufClass) String() string {
	return [...]string{"temp", "input", "param", "grad", "optstate", "control", "output"}[c]
}

// DType is the element type of a buffer. Every buffer the compiler makes is
// F32; the input pipeline (AddPipeline) adds a data set's uint8 images and
// labels (U8), its epoch permutation (I32) and its step state (F64).
type DType uint8

const (
	F32 DType = iota // float32: the zero value, every compiled buffer
	U8               // uint8: image pixels and class labels as stored
	I32              // int32: row indices (a permutation)
	F64              // float64: counters and loss sums that must not round
)

func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case U8:
		return "u8"
	case I32:
		return "i32"
	case F64:
		return "f64"
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// Size is the bytes of one element.
func (d DType) Size() int { return [...]int{4, 1, 4, 8}[min(int(d), 3)] }

// Buffer is one tensor of a Program. Its storage is Len elements of DType
// at Offset in the arena (measured in float32 slots: a buffer covers
// Floats() of them). Several buffers may share storage when one is a view
// of another (a reshape): they then have the same Offset and Len and View
// names the buffer that owns the storage.
type Buffer struct {
	Name   string
	Shape  []int
	Len    int
	Class  BufClass
	Pinned bool  // lives for the whole program (never shares storage with another buffer)
	View   BufID // -1, or the buffer whose storage this one aliases
	Offset int   // in float32 slots, assigned by the memory planner (even for F64)
	DType  DType // F32 unless the pipeline made it
}

// Bytes is the size of the buffer's data.
func (b *Buffer) Bytes() int { return b.Len * b.DType.Size() }

// Floats is the number of float32 arena slots the buffer covers.
func (b *Buffer) Floats() int { return (b.Bytes() + 3) / 4 }

// Instr is one kernel call: Op over In, writing Out, with typed Args
// (GemmArgs for OpGemm, and so on: see the table on Op). Node names the graph
// node it was lowered from, for messages.
type Instr struct {
	Op   Op
	In   []BufID
	Out  []BufID
	Args any
	Node string
}

func (in Instr) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s(", in.Op)
	for i, id := range in.In {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "b%d", id)
	}
	b.WriteString(") -> ")
	for i, id := range in.Out {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "b%d", id)
	}
	fmt.Fprintf(&b, " %+v", in.Args)
	if in.Node != "" {
		fmt.Fprintf(&b, "  ; %s", in.Node)
	}
	return b.String()
}

// Segment is a half-open range [Start, End) of a Program's instructions.
type Segment struct{ Start, End int }

// Len is the number of instructions in the segment.
func (s Segment) Len() int { return s.End - s.Start }

// ParamSlot ties a trainable parameter to its gradient and optimizer state.
type ParamSlot struct {
	Name  string
	Value BufID
	Grad  BufID   // -1 when the program has no backward pass
	State []BufID // optimizer state buffers, in the optimizer's order
}

// Step is the instructions of one step of a loop, as segments run in order.
type Step []Segment

// Program is a compiled model: a flat list of kernel instructions over
// buffers in one arena. Any Backend runs it. A training program is three
// segments in order: Forward (inputs → loss, logits), Backward (gradients),
// Update (the optimizer); an evaluation pass runs Forward alone.
//
// A program with its input pipeline (AddPipeline) also has TrainStep and
// EvalStep: a whole training step (gather the batch, set the step's rate
// and mode, forward, backward, update, sample the loss) and a whole
// evaluation batch (gather, forward, score). The pipeline's instructions
// come after Update, so Forward, Backward and Update keep their indices.
type Program struct {
	Buffers  []Buffer
	Instrs   []Instr
	ArenaLen int // float32 slots

	Forward, Backward, Update Segment
	TrainStep, EvalStep       Step
	Pipe                      *Pipeline // nil without an input pipeline

	Params []ParamSlot
	Inputs map[string]BufID // "x" (images), "labels", and any other placeholder, by node name
	Loss   BufID            // -1 when the program has no loss
	Logits BufID            // -1 when unknown
	Hyper  BufID            // -1, or the optimizer's control buffer: [lr, step]
	Ctl    BufID            // -1, or the mode buffer: [training (0|1), step]
	Taps   map[string]BufID // named nodes readable after a step
	// State is the persistent state that is no parameter's (BatchNorm's
	// running averages: OptState buffers the forward pass updates), by
	// name. It lives from step to step like optimizer state, starts at zero,
	// and a checkpoint saves and restores it under these names.
	State map[string]BufID
}

// Buf returns the buffer with the given id.
func (p *Program) Buf(id BufID) *Buffer { return &p.Buffers[id] }

// NaiveLen is the arena a planner that never reuses memory would need: the
// sum over all buffers that own storage.
func (p *Program) NaiveLen() int {
	n := 0
	for _, b := range p.Buffers {
		if b.View < 0 {
			n += b.Floats()
		}
	}
	return n
}

// Dump writes a human-readable listing of the program (for GABOR_DEBUG and tests).
func (p *Program) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "program: %d buffers, %d instructions, arena %d floats (naive %d)\n",
		len(p.Buffers), len(p.Instrs), p.ArenaLen, p.NaiveLen())
	for i, buf := range p.Buffers {
		fmt.Fprintf(&b, "  b%-3d %-8s %-28s %v len=%d off=%d", i, buf.Class, buf.Name, buf.Shape, buf.Len, buf.Offset)
		if buf.DType != F32 {
			fmt.Fprintf(&b, " %s", buf.DType)
		}
		if buf.View >= 0 {
			fmt.Fprintf(&b, " view-of=b%d", buf.View)
		}
		if buf.Pinned {
			b.WriteString(" pinned")
		}
		b.WriteByte('\n')
	}
	for i, in := range p.Instrs {
		seg := "fwd"
		switch {
		case i >= p.Update.End && p.Pipe != nil:
			seg = "pipe"
		case i >= p.Update.Start && i < p.Update.End:
			seg = "upd"
		case i >= p.Backward.Start && i < p.Backward.End:
			seg = "bwd"
		}
		fmt.Fprintf(&b, "  %3d %s %s\n", i, seg, in)
	}
	return b.String()
}
