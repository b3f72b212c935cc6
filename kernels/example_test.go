package kernels_test

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
	_ "github.com/gaborlab/gabor/kernels/cpu" // registers "cpu"
)

// A Program written by hand: y = relu(x·wᵀ + b) for one row x of 3 inputs
// and 2 outputs, run on the cpu backend.
func Example() {
	p := &kernels.Program{
		Buffers: []kernels.Buffer{
			{Name: "x", Shape: []int{1, 3}, Len: 3, Class: kernels.Input, View: -1, Offset: 0},
			{Name: "w", Shape: []int{2, 3}, Len: 6, Class: kernels.Param, View: -1, Offset: 3},
			{Name: "b", Shape: []int{2}, Len: 2, Class: kernels.Param, View: -1, Offset: 9},
			{Name: "y", Shape: []int{1, 2}, Len: 2, Class: kernels.Output, View: -1, Offset: 11},
		},
		Instrs: []kernels.Instr{{
			Op: kernels.OpGemm, In: []kernels.BufID{0, 1, 2}, Out: []kernels.BufID{3},
			Args: kernels.GemmArgs{M: 1, N: 2, K: 3, TransB: true, Alpha: 1, Bias: true, Act: kernels.ActReLU},
			Node: "fc",
		}},
		ArenaLen: 13,
		Forward:  kernels.Segment{Start: 0, End: 1},
	}
	be, err := kernels.Open("cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	ex, err := be.Load(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ex.Close()
	ex.Write(0, []float32{1, 2, 3})
	ex.Write(1, []float32{1, 0, 0, 0, -1, 0})
	ex.Write(2, []float32{0.5, 1})
	if err := ex.Run(p.Forward); err != nil {
		fmt.Println(err)
		return
	}
	y := make([]float32, 2)
	ex.Read(3, y)
	fmt.Println("y =", y)

	// The same instruction with a weight of the wrong size fails at Load.
	p.Buffers[1].Len = 5
	_, err = be.Load(p)
	fmt.Println(err)
	// Output:
	// y = [1.5 0]
	// cpu: instr 0 gemm (node "fc", in [b0[1 3] b1[2 3] b2[2]], out [b3[1 2]]): In[1] (B) b1 "w" [2 3] holds 5 floats, want 6
}
