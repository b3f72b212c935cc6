package graph

import "github.com/gaborlab/gabor/kernels"

// aliasOut makes out share src's storage, for ops that only reinterpret a
// shape (Flatten, Reshape): no instruction is emitted. That is sound only
// while out is an ordinary intermediate; a pinned out (a program output, a
// tap, Do's result buffer) keeps its own storage and receives a copy, so a
// later reuse of src's storage can never change it.
func (e *emitter) aliasOut(out, src kernels.BufID) {
	b := &e.prog.Buffers[out]
	if b.Pinned || b.Class != kernels.Temp || b.View >= 0 || b.Len != e.prog.Buffers[src].Len {
		e.Emit(kernels.OpCopy, []kernels.BufID{src}, []kernels.BufID{out}, kernels.CopyArgs{N: b.Len})
		return
	}
	for e.prog.Buffers[src].View >= 0 {
		src = e.prog.Buffers[src].View
	}
	b.View = src
	b.Class = e.prog.Buffers[src].Class
}
