//go:build gpu

package cuda

// #include <cuda.h>
import "C"

import (
	"errors"
	"fmt"
)

// stepGraph is a recorded sequence of launches, replayed with one
// cuGraphLaunch: the driver submits all its kernels at once, so a step of
// ~40 small kernels costs one host call instead of forty, and the GPU sees
// no launch gaps between them. The launches' arguments are frozen in the
// graph, which is why everything that changes from step to step (the batch
// position, the learning rate, the counters) is read by the kernels from
// device memory.
type stepGraph struct {
	exec  C.CUgraphExec
	nodes int
	what  string
}

// capture records the launches issue makes on the executable's stream into
// a graph. It runs on the context thread (inside w.do). Nothing runs while
// recording; issue must only launch kernels (no copies, no synchronization).
func (x *Executable) capture(what string, issue func() error) (*stepGraph, error) {
	if err := x.stream.Synchronize(); err != nil {
		return nil, fmt.Errorf("cuda: before capturing %s: %w", what, err)
	}
	if err := beginCapture(x.stream); err != nil {
		return nil, fmt.Errorf("cuda: capturing %s: %w", what, err)
	}
	ierr := issue()
	g, err := endCapture(x.stream) // always, to leave the stream usable
	if ierr != nil || err != nil {
		if g != nil {
			graphDestroy(g)
		}
		return nil, fmt.Errorf("cuda: capturing %s: %w", what, errors.Join(ierr, err))
	}
	defer graphDestroy(g) // the executable graph is independent of it
	n, err := graphNodes(g)
	if err != nil {
		return nil, fmt.Errorf("cuda: capturing %s: %w", what, err)
	}
	e, err := instantiate(g)
	if err != nil {
		return nil, fmt.Errorf("cuda: instantiating the graph of %s (%d nodes): %w", what, n, err)
	}
	return &stepGraph{exec: e, nodes: n, what: what}, nil
}

// launch replays the graph on the executable's stream, without waiting.
// It runs on the context thread.
func (g *stepGraph) launch(x *Executable) error {
	if err := graphLaunch(g.exec, x.stream); err != nil {
		return fmt.Errorf("cuda: replaying the graph of %s (%d kernels): %w", g.what, g.nodes, x.explain(err))
	}
	return nil
}

// destroy releases the executable graph; it runs on the context thread.
func (g *stepGraph) destroy() error {
	if g == nil || g.exec == nil {
		return nil
	}
	err := graphExecDestroy(g.exec)
	g.exec = nil
	return err
}
