package graph

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Ordering: the nodes a compilation needs, each after its inputs, read from
// the nodes themselves.
// sortFrom returns the nodes the roots need that are not in before, each
// after its inputs (a depth-first post-order over the nodes' own inputs, so
// nodes gorgonia has removed from its graph tables never appear).
func (c *compiler) sortFrom(roots, before []*G.Node) ([]*G.Node, error) {
	const visiting, visited = 1, 2
	state := map[*G.Node]int{}
	for _, n := range before {
		state[n] = visited
	}
	var out []*G.Node
	var visit func(n *G.Node) error
	visit = func(n *G.Node) error {
		switch state[n] {
		case visited:
			return nil
		case visiting:
			return c.fail(n, "the graph has a cycle through this node")
		}
		state[n] = visiting
		for i, ch := range children(n) {
			if ch == nil {
				return c.fail(n, "input %d is nil", i)
			}
			if err := visit(ch); err != nil {
				return err
			}
		}
		state[n] = visited
		out = append(out, n)
		return nil
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// childrenOffset locates Node's unexported children field: gorgonia v0.9.18
// exports no accessor for a node's inputs, and its graph-level lookup
// (ExprGraph.From) indexes its node table by id, which goes stale once
// gorgonia removes nodes (its stabilizing rewrites and the pruning inside
// Grad both do), handing back another node's inputs.
var childrenOffset = func() uintptr {
	f, ok := reflect.TypeOf(G.Node{}).FieldByName("children")
	if !ok || f.Type != reflect.TypeOf(G.Nodes(nil)) {
		return ^uintptr(0)
	}
	return f.Offset
}()

// children returns n's inputs in order, as the node itself holds them.
func children(n *G.Node) G.Nodes {
	if childrenOffset == ^uintptr(0) { // another gorgonia: the graph's view
		var out G.Nodes
		for it := n.Graph().From(n.ID()); it.Next(); {
			out = append(out, it.Node().(*G.Node))
		}
		return out
	}
	return *(*G.Nodes)(unsafe.Add(unsafe.Pointer(n), childrenOffset))
}

// reach returns the set of nodes the given roots depend on (roots included).
func reach(roots ...*G.Node) map[*G.Node]bool {
	seen := map[*G.Node]bool{}
	var visit func(n *G.Node)
	visit = func(n *G.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, ch := range children(n) {
			visit(ch)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	return seen
}

func reversed(ns []*G.Node) []*G.Node {
	out := make([]*G.Node, len(ns))
	for i, n := range ns {
		out[len(ns)-1-i] = n
	}
	return out
}
