package cpu

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
)

// The input pipeline's kernels (kernels/pipeline.go): gather a batch by the
// epoch's permutation, set the step's rate and mode, sample the loss, score
// an evaluation batch. They keep the arithmetic a host would do exactly (the
// float32 normalization of the reference programs, the float64 loss sums in
// step order), so a run through them has the bits of one fed by the host.

// bytesOf is the storage of buffer id as bytes; u8, i32 and f64 view it.
func (x *Executable) bytesOf(id kernels.BufID) []byte {
	b := &x.prog.Buffers[id]
	f := x.arena[b.Offset : b.Offset+b.Floats()]
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), b.Bytes())
}

func (x *Executable) i32(id kernels.BufID) []int32 {
	b := x.bytesOf(id)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func (x *Executable) f64(id kernels.BufID) []float64 {
	b := x.bytesOf(id)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&b[0])), len(b)/8)
}

// stateK is the step (or batch) counter of a state, checked to be a whole
// number in [0, limit).
func stateK(st []float64, limit int, what string) (int, error) {
	k := st[kernels.StK]
	if !(k >= 0 && k < float64(limit)) || k != math.Trunc(k) {
		return 0, fmt.Errorf("%s %v of %d (start the epoch or pass with a fresh state)", what, k, limit)
	}
	return int(k), nil
}

// gatherGrain is the rows one worker takes at least: below ~128 KiB of
// output one goroutine is faster than the hand-off (data.Gather's measure).
func gatherGrain(d int) int { return max(1, (1<<15)/max(d, 1)) }

// gatherStep is a bound gather; pos is set by the step before the rows are
// split over the workers, so the bodies are made once, at Load.
type gatherStep struct {
	a    kernels.GatherArgs
	xs   []byte    // U8 images
	xf   []float32 // F32 inputs
	ys   []byte
	yf   []float32
	perm []int32
	st   []float64
	x, y []float32
	lut  [256]float32
	pos  int
	body func(lo, hi int)
}

func bindGather(o operands, a kernels.GatherArgs) (step, error) {
	x := o.x
	g := &gatherStep{a: a, perm: x.i32(o.in.In[2]), st: x.f64(o.in.In[3]), x: o.output(0), y: o.output(1)}
	if a.X == kernels.U8 {
		g.xs = x.bytesOf(o.in.In[0])
		for v := range g.lut {
			g.lut[v] = (float32(v)/255 - a.Mean) / a.Std
		}
	} else {
		g.xf = o.input(0)
	}
	if a.Y == kernels.U8 {
		g.ys = x.bytesOf(o.in.In[1])
	} else {
		g.yf = o.input(1)
	}
	if overlaps(g.x, g.y) {
		return nil, fmt.Errorf("outputs x and y overlap")
	}
	g.body = g.rows
	return g.run, nil
}

func (g *gatherStep) run() error {
	a := g.a
	k, err := stateK(g.st, math.MaxInt32, "batch")
	if err != nil {
		return err
	}
	g.pos = (k * a.B) % a.N
	for b := 0; b < a.B; b++ {
		r := g.perm[(g.pos+b)%a.N]
		if r < 0 || int(r) >= a.N {
			return fmt.Errorf("permutation entry %d is %d, outside [0, %d)", (g.pos+b)%a.N, r, a.N)
		}
		if a.OneHot > 0 && int(g.ys[r]) >= a.OneHot {
			return fmt.Errorf("label %d of row %d is not one of the %d one-hot classes", g.ys[r], r, a.OneHot)
		}
	}
	parallelFor(a.B, gatherGrain(a.D), g.body)
	return nil
}

// rows gathers batch rows [lo, hi).
func (g *gatherStep) rows(lo, hi int) {
	a := g.a
	d, t := a.D, a.T
	for b := lo; b < hi; b++ {
		r := int(g.perm[(g.pos+b)%a.N])
		dst := g.x[b*d : (b+1)*d]
		if g.xs != nil {
			src := g.xs[r*d : (r+1)*d]
			for j := normU8Vec(dst, src, a.Mean, a.Std); j < len(src); j++ {
				dst[j] = g.lut[src[j]]
			}
		} else {
			copy(dst, g.xf[r*d:(r+1)*d])
		}
		switch {
		case a.OneHot > 0:
			row := g.y[b*a.OneHot : (b+1)*a.OneHot]
			clear(row)
			row[g.ys[r]] = 1 // in range: run checked
		case g.ys != nil:
			g.y[b] = float32(g.ys[r])
		default:
			copy(g.y[b*t:(b+1)*t], g.yf[r*t:(r+1)*t])
		}
	}
}

func bindStepBegin(o operands, a kernels.StepBeginArgs) (step, error) {
	lr, st := o.input(0), o.x.f64(o.in.In[1])
	var hyper, ctl []float32
	k := 0
	if a.Hyper {
		hyper, k = o.output(k), k+1
	}
	if a.Ctl {
		ctl = o.output(k)
	}
	return func() error {
		k, err := stateK(st, a.Steps, "step")
		if err != nil {
			return err
		}
		step := st[kernels.StStep]
		if hyper != nil {
			// [lr, t]: t is the 1-based count of updates, Adam's bias correction.
			hyper[0], hyper[1] = lr[k], float32(step+1)
		}
		if ctl != nil {
			// [training, step]: the step seeds the dropout stream.
			ctl[0], ctl[1] = 1, float32(step)
		}
		return nil
	}, nil
}

func bindStepEnd(o operands, a kernels.StepEndArgs) (step, error) {
	loss, st := o.input(0), o.x.f64(o.in.Out[0])
	return func() error {
		k, err := stateK(st, a.Steps, "step")
		if err != nil {
			return err
		}
		stepEnd(st, loss[0], k, a)
		return nil
	}, nil
}

// stepEnd samples the loss into the state and advances it (StepEndArgs).
func stepEnd(st []float64, loss float32, k int, a kernels.StepEndArgs) {
	if (k+1)%a.Every == 0 || k == a.Steps-1 {
		l := float64(loss)
		st[kernels.StSum] += l
		st[kernels.StN]++
		st[kernels.StLast] = l
		if (math.IsNaN(l) || math.IsInf(l, 0)) && st[kernels.StBad] < 0 {
			st[kernels.StBad], st[kernels.StBadLoss] = st[kernels.StStep], l
		}
	}
	st[kernels.StK]++
	st[kernels.StStep]++
}

func bindEvalScore(o operands, a kernels.EvalScoreArgs) (step, error) {
	logits, st := o.input(0), o.x.f64(o.in.Out[0])
	var ys []byte
	var yf []float32
	if a.MSE {
		yf = o.input(1)
	} else {
		ys = o.x.bytesOf(o.in.In[1])
	}
	return func() error {
		k, err := stateK(st, kernels.EvalBatches(a.N, a.B), "evaluation batch")
		if err != nil {
			return err
		}
		lo := k * a.B
		valid := min(a.B, a.N-lo)
		if a.MSE {
			want := yf[lo*a.C : (lo+valid)*a.C]
			for j, w := range want {
				d := float64(logits[j]) - float64(w)
				st[kernels.StSum] += d * d
			}
		} else {
			for r := 0; r < valid; r++ {
				row := logits[r*a.C : (r+1)*a.C]
				label := int(ys[lo+r])
				if label >= a.C {
					return fmt.Errorf("label %d of example %d is not one of the %d classes", label, lo+r, a.C)
				}
				if kernels.Argmax(row) == label {
					st[kernels.StCorrect]++
				}
				st[kernels.StSum] += kernels.Xent(row, label)
			}
		}
		st[kernels.StK]++
		return nil
	}, nil
}
