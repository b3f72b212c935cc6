package cpu

import (
	"errors"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// TestBinderTable: the cpu backend's op table has a binder for every op of
// the vocabulary, and the reference's table a float64 reference, and an op outside it (OpInvalid, an op past the end) is
// refused at Load with ErrNotImplemented naming the backend.
func TestBinderTable(t *testing.T) {
	for op := kernels.OpInvalid + 1; int(op) < kernels.NumOps; op++ {
		if binders[op] == nil {
			t.Errorf("%s has no binder on the cpu backend", op)
		}
		if references[op] == nil {
			t.Errorf("%s has no float64 reference", op)
		}
	}
	for _, op := range []kernels.Op{kernels.OpInvalid, kernels.Op(kernels.NumOps)} {
		p := &kernels.Program{
			Buffers:  []kernels.Buffer{{Name: "x", Len: 1, View: -1}},
			Instrs:   []kernels.Instr{{Op: op, In: []kernels.BufID{0}}},
			ArenaLen: 1,
		}
		_, err := Backend{}.Load(p)
		if !errors.Is(err, kernels.ErrNotImplemented) || !strings.Contains(err.Error(), "cpu backend") {
			t.Errorf("%s: Load gave %v, want ErrNotImplemented on the cpu backend", op, err)
		}
	}
}
