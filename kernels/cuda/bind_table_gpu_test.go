//go:build gpu

package cuda

import (
	"errors"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// TestBinderTable: the compiled op table has a binder for every op of the
// vocabulary, and an op outside it is ErrNotImplemented, found before any
// operand is looked at.
func TestBinderTable(t *testing.T) {
	for op := kernels.OpInvalid + 1; int(op) < kernels.NumOps; op++ {
		if binders[op] == nil {
			t.Errorf("%s has no binder on the cuda backend", op)
		}
	}
	bd := newBinder(&Executable{prog: &kernels.Program{}}, 0)
	for _, op := range []kernels.Op{kernels.OpInvalid, kernels.Op(kernels.NumOps)} {
		if _, err := bd.bind(kernels.Instr{Op: op}); !errors.Is(err, kernels.ErrNotImplemented) {
			t.Errorf("%s: bind gave %v, want ErrNotImplemented", op, err)
		}
	}
}
