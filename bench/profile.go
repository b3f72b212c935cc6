package bench

import (
	"slices"
	"time"

	"github.com/gaborlab/gabor/kernels"
)

// InstrTimer is implemented by an Executable that times its own instructions
// (a GPU backend recording an event pair around each kernel). RunTimed runs
// seg like Run and adds each instruction's device time to dur[i−seg.Start].
// Without it the profiler runs one instruction at a time between two host
// clock reads, with a Sync before the second.
type InstrTimer interface {
	RunTimed(seg kernels.Segment, dur []time.Duration) error
}

// Profile is where a step's time goes, from one profiled epoch.
type Profile struct {
	// Method is "host clock per instruction" or "device timers".
	Method string `json:"method"`
	Steps  int    `json:"steps"`
	// StepS is the profiled time of a step: the sum over its instructions.
	StepS    float64      `json:"step_s"`
	Families []FamilyTime `json:"families"` // by kernel family, slowest first
	Segments []FamilyTime `json:"segments"` // forward, backward, update, pipeline (gather, step bookkeeping)
}

// FamilyTime is the time of the instructions of one kind in a step.
type FamilyTime struct {
	Name  string  `json:"name"`
	Calls int     `json:"calls_per_step"`
	S     float64 `json:"s_per_step"`
	Share float64 `json:"share"` // of StepS
}

// profiler times the instructions of a program run step after step.
type profiler struct {
	prog  *kernels.Program
	exe   kernels.Executable
	dur   []time.Duration // per instruction, summed over steps
	steps int
}

func newProfiler(prog *kernels.Program, exe kernels.Executable) *profiler {
	return &profiler{prog: prog, exe: exe, dur: make([]time.Duration, len(prog.Instrs))}
}

// run is a train.RunSegment that times every instruction of seg; it is
// called for each segment of the program's TrainStep.
func (p *profiler) run(seg kernels.Segment) error {
	if len(p.prog.TrainStep) == 0 || seg == p.prog.TrainStep[0] {
		p.steps++
	}
	if t, ok := p.exe.(InstrTimer); ok {
		return t.RunTimed(seg, p.dur[seg.Start:seg.End])
	}
	for i := seg.Start; i < seg.End; i++ {
		t0 := time.Now()
		if err := p.exe.Run(kernels.Segment{Start: i, End: i + 1}); err != nil {
			return err
		}
		if err := p.exe.Sync(); err != nil {
			return err
		}
		p.dur[i] += time.Since(t0)
	}
	return nil
}

// profile sums the times by kernel family and by segment, per step.
func (p *profiler) profile() *Profile {
	out := &Profile{Method: "host clock per instruction", Steps: p.steps}
	if _, ok := p.exe.(InstrTimer); ok {
		out.Method = "device timers"
	}
	if p.steps == 0 {
		return out
	}
	fam := map[string]*FamilyTime{}
	segs := []FamilyTime{{Name: "forward"}, {Name: "backward"}, {Name: "update"}}
	ranges := []kernels.Segment{p.prog.Forward, p.prog.Backward, p.prog.Update}
	if p.prog.Pipe != nil {
		segs = append(segs, FamilyTime{Name: "pipeline"})
		ranges = append(ranges, kernels.Segment{Start: p.prog.Update.End, End: len(p.prog.Instrs)})
	}
	var total time.Duration
	for i, in := range p.prog.Instrs {
		if !inStep(p.prog, i) {
			continue // the evaluation step's instructions
		}
		d := p.dur[i]
		total += d
		name := in.Op.String()
		f := fam[name]
		if f == nil {
			f = &FamilyTime{Name: name}
			fam[name] = f
		}
		f.Calls++
		f.S += d.Seconds()
		for k, r := range ranges {
			if i >= r.Start && i < r.End {
				segs[k].Calls++
				segs[k].S += d.Seconds()
			}
		}
	}
	n := float64(p.steps)
	out.StepS = total.Seconds() / n
	scale := func(f *FamilyTime) {
		f.S /= n
		if out.StepS > 0 {
			f.Share = f.S / out.StepS
		}
	}
	for _, f := range fam {
		scale(f)
		out.Families = append(out.Families, *f)
	}
	slices.SortFunc(out.Families, func(a, b FamilyTime) int {
		switch {
		case a.S > b.S:
			return -1
		case a.S < b.S:
			return 1
		}
		return 0
	})
	for k := range segs {
		scale(&segs[k])
	}
	out.Segments = segs
	return out
}

// inStep reports whether instruction i belongs to a training step.
func inStep(p *kernels.Program, i int) bool {
	if len(p.TrainStep) == 0 {
		return true
	}
	for _, s := range p.TrainStep {
		if i >= s.Start && i < s.End {
			return true
		}
	}
	return false
}
