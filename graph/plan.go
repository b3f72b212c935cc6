package graph

import (
	"fmt"
	"sort"

	"github.com/gaborlab/gabor/kernels"
)

// The memory plan. Every buffer that owns storage gets a live interval
// [first, last] of instruction indices (a view extends its owner's
// interval); pinned buffers live over the whole program. Intervals are
// closed, so an instruction's inputs and outputs never share memory (no
// kernel has to be safe in place). Offsets are then assigned greedily,
// largest buffer first, at the lowest 64-byte-aligned offset that does not
// collide with a placed buffer whose interval intersects.

const planAlign = 16 // float32s: 64 bytes

type interval struct{ first, last int }

func (a interval) overlaps(b interval) bool { return a.first <= b.last && b.first <= a.last }

// liveness computes each storage-owning buffer's live interval from the
// instruction list. Buffers never touched get first = -1.
func liveness(p *kernels.Program) []interval {
	live := make([]interval, len(p.Buffers))
	for i := range live {
		live[i] = interval{-1, -1}
	}
	owner := func(id kernels.BufID) kernels.BufID {
		for p.Buffers[id].View >= 0 {
			id = p.Buffers[id].View
		}
		return id
	}
	touch := func(id kernels.BufID, at int) {
		o := owner(id)
		if live[o].first < 0 || at < live[o].first {
			live[o].first = at
		}
		if at > live[o].last {
			live[o].last = at
		}
	}
	for i, in := range p.Instrs {
		for _, id := range in.In {
			touch(id, i)
		}
		for _, id := range in.Out {
			touch(id, i)
		}
	}
	end := len(p.Instrs) - 1
	for i, b := range p.Buffers {
		if b.View < 0 && b.Pinned {
			live[i] = interval{0, end}
		}
	}
	return live
}

// Plan assigns every buffer its arena offset and sets p.ArenaLen.
func Plan(p *kernels.Program) error {
	live := liveness(p)
	var order []int
	for i, b := range p.Buffers {
		if b.View < 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		ba, bb := p.Buffers[order[a]], p.Buffers[order[b]]
		if ba.Len != bb.Len {
			return ba.Len > bb.Len
		}
		return live[order[a]].first < live[order[b]].first
	})
	type span struct{ lo, hi int }
	var placed []int
	arena := 0
	for _, i := range order {
		b := &p.Buffers[i]
		size := roundUp(b.Len, planAlign)
		var busy []span
		for _, j := range placed {
			if live[i].first < 0 || live[j].first < 0 || live[i].overlaps(live[j]) {
				busy = append(busy, span{p.Buffers[j].Offset, p.Buffers[j].Offset + roundUp(p.Buffers[j].Len, planAlign)})
			}
		}
		sort.Slice(busy, func(a, b int) bool { return busy[a].lo < busy[b].lo })
		off := 0
		for _, s := range busy {
			if off+size <= s.lo {
				break
			}
			if s.hi > off {
				off = s.hi
			}
		}
		b.Offset = off
		placed = append(placed, i)
		if off+size > arena {
			arena = off + size
		}
	}
	for i := range p.Buffers {
		if v := p.Buffers[i].View; v >= 0 {
			if p.Buffers[i].Len != p.Buffers[v].Len {
				return fmt.Errorf("graph: view b%d %q has %d floats, its owner b%d has %d",
					i, p.Buffers[i].Name, p.Buffers[i].Len, v, p.Buffers[v].Len)
			}
			p.Buffers[i].Offset = p.Buffers[v].Offset
		}
	}
	p.ArenaLen = arena
	return nil
}

func roundUp(n, m int) int {
	if n == 0 {
		return m
	}
	return (n + m - 1) / m * m
}

// Verify checks a memory plan independently of Plan: every buffer lies in
// the arena, views match their owners, and no two buffers that are live at
// the same instruction share a byte. It recomputes liveness from the
// instructions with a separate, per-instruction scan.
func Verify(p *kernels.Program) error {
	n := len(p.Instrs)
	// alive[i] = set of owners live at instruction i.
	owner := make([]int, len(p.Buffers))
	for i, b := range p.Buffers {
		o := i
		for steps := 0; p.Buffers[o].View >= 0; steps++ {
			if steps > len(p.Buffers) {
				return fmt.Errorf("view cycle at b%d", i)
			}
			o = int(p.Buffers[o].View)
		}
		owner[i] = o
		if b.Offset < 0 || b.Offset+b.Len > p.ArenaLen {
			return fmt.Errorf("b%d %q [%d, %d) lies outside the arena of %d floats", i, b.Name, b.Offset, b.Offset+b.Len, p.ArenaLen)
		}
		if b.View >= 0 && (b.Offset != p.Buffers[o].Offset || b.Len != p.Buffers[o].Len) {
			return fmt.Errorf("view b%d %q does not coincide with its owner b%d", i, b.Name, o)
		}
	}
	first := make([]int, len(p.Buffers))
	last := make([]int, len(p.Buffers))
	for i := range first {
		first[i], last[i] = n, -1
	}
	for i, in := range p.Instrs {
		for _, list := range [][]kernels.BufID{in.In, in.Out} {
			for _, id := range list {
				if id < 0 || int(id) >= len(p.Buffers) {
					return fmt.Errorf("instruction %d (%s) names buffer b%d of %d", i, in.Op, id, len(p.Buffers))
				}
				o := owner[id]
				first[o] = min(first[o], i)
				last[o] = max(last[o], i)
			}
		}
	}
	for i, b := range p.Buffers {
		if b.View < 0 && b.Pinned {
			first[i], last[i] = 0, n-1
		}
	}
	for i := 0; i < n; i++ {
		var alive []int
		for o := range p.Buffers {
			if p.Buffers[o].View < 0 && first[o] <= i && i <= last[o] {
				alive = append(alive, o)
			}
		}
		sort.Slice(alive, func(a, b int) bool { return p.Buffers[alive[a]].Offset < p.Buffers[alive[b]].Offset })
		reach := -1 // the buffer reaching furthest so far
		for _, k := range alive {
			b := &p.Buffers[k]
			if reach >= 0 {
				a := &p.Buffers[reach]
				if a.Offset+a.Len > b.Offset && b.Len > 0 {
					return fmt.Errorf("at instruction %d (%s), b%d %q [%d, %d) overlaps b%d %q [%d, %d)",
						i, p.Instrs[i].Op, reach, a.Name, a.Offset, a.Offset+a.Len, k, b.Name, b.Offset, b.Offset+b.Len)
				}
			}
			if reach < 0 || b.Offset+b.Len > p.Buffers[reach].Offset+p.Buffers[reach].Len {
				reach = k
			}
		}
	}
	return nil
}
