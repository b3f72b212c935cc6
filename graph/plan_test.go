package graph_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
)

// chain is a program of n copies b0 → b1 → … → bn, each buffer of size len.
func chain(n, size int) *kernels.Program {
	p := &kernels.Program{}
	for i := 0; i <= n; i++ {
		p.Buffers = append(p.Buffers, kernels.Buffer{Name: "b", Shape: []int{size}, Len: size, View: -1})
	}
	for i := 0; i < n; i++ {
		p.Instrs = append(p.Instrs, kernels.Instr{Op: kernels.OpCopy,
			In: []kernels.BufID{kernels.BufID(i)}, Out: []kernels.BufID{kernels.BufID(i + 1)},
			Args: kernels.CopyArgs{N: size}})
	}
	return p
}

func TestPlanReusesMemory(t *testing.T) {
	p := chain(10, 100)
	if err := graph.Plan(p); err != nil {
		t.Fatal(err)
	}
	if err := graph.Verify(p); err != nil {
		t.Fatal(err)
	}
	// A chain needs two live buffers at a time (each rounded to 64 bytes).
	if p.ArenaLen != 2*112 {
		t.Errorf("arena %d floats, want %d (two buffers of 100 rounded to 112)", p.ArenaLen, 2*112)
	}
	if naive := p.NaiveLen(); naive != 1100 {
		t.Errorf("naive %d, want 1100", naive)
	}
}

func TestPlanPinnedBuffersNeverShare(t *testing.T) {
	p := chain(6, 10)
	p.Buffers[0].Pinned = true
	p.Buffers[3].Pinned = true
	if err := graph.Plan(p); err != nil {
		t.Fatal(err)
	}
	if err := graph.Verify(p); err != nil {
		t.Fatal(err)
	}
	for i := range p.Buffers {
		if i != 0 && p.Buffers[i].Offset == p.Buffers[0].Offset {
			t.Errorf("b%d shares b0's storage though b0 is pinned", i)
		}
	}
}

// TestVerifyCatchesOverlap: the verifier is independent of the planner and
// rejects plans that break the rules.
func TestVerifyCatchesOverlap(t *testing.T) {
	p := chain(3, 10)
	if err := graph.Plan(p); err != nil {
		t.Fatal(err)
	}
	bad := *p
	bad.Buffers = append([]kernels.Buffer(nil), p.Buffers...)
	bad.Buffers[1].Offset = bad.Buffers[0].Offset // b0 and b1 are live together at instruction 0
	err := graph.Verify(&bad)
	if err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("overlapping buffers accepted: %v", err)
	}
	bad.Buffers[1].Offset = p.ArenaLen // past the end
	if err := graph.Verify(&bad); err == nil || !strings.Contains(err.Error(), "outside the arena") {
		t.Errorf("out-of-arena buffer accepted: %v", err)
	}
}

// TestRandomProgramsPlanVerified: every random model's program passes the
// verifier, and its arena is never larger than the naive sum.
func TestRandomProgramsPlanVerified(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var arena, naive int
	for i := 0; i < 40; i++ {
		m, desc := randomModel(rng)
		p, err := graph.Compile(m, graph.Options{Optimizer: &graph.Optimizer{Kind: "adam"}})
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		if err := graph.Verify(p); err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		if p.ArenaLen > p.NaiveLen()+len(p.Buffers)*16 {
			t.Errorf("%s: arena %d > naive %d", desc, p.ArenaLen, p.NaiveLen())
		}
		arena += p.ArenaLen
		naive += p.NaiveLen()
	}
	t.Logf("40 random programs: arena %d floats, naive %d (%.0f%%)", arena, naive, 100*float64(arena)/float64(naive))
}
