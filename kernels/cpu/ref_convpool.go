package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// The float64 reference of the convolution and pooling family: plain direct
// loops over every index, written to be read, not to be fast. It is the spec
// the fast kernels (conv.go, conv_bwd.go, im2col.go, pool.go) and every other
// backend are checked against.
//
// inputs holds the In operands of the instruction in the order of the table on
// kernels.Op. OpConv2DBwdFilter with Beta ≠ 0 reads its output as well: its
// prior dw is then passed as a third input (x, dy, dw). The result holds the
// Out operands in order.

// refConvPool evaluates one convolution or pooling instruction in float64.
func refConvPool(in kernels.Instr, inputs [][]float64) ([][]float64, error) {
	switch in.Op {
	case kernels.OpConv2D, kernels.OpConv2DBwdData, kernels.OpConv2DBwdFilter, kernels.OpIm2Col, kernels.OpCol2Im:
		a, ok := in.Args.(kernels.ConvArgs)
		if !ok {
			return nil, fmt.Errorf("%s: args are %T, want kernels.ConvArgs", in.Op, in.Args)
		}
		if err := a.Check(); err != nil {
			return nil, fmt.Errorf("%s: %w", in.Op, err)
		}
		return refConv(in.Op, a, inputs)
	case kernels.OpMaxPool, kernels.OpMaxPoolBwd, kernels.OpAvgPool, kernels.OpAvgPoolBwd:
		a, ok := in.Args.(kernels.PoolArgs)
		if !ok {
			return nil, fmt.Errorf("%s: args are %T, want kernels.PoolArgs", in.Op, in.Args)
		}
		if err := a.Check(); err != nil {
			return nil, fmt.Errorf("%s: %w", in.Op, err)
		}
		return refPool(in.Op, a, inputs)
	}
	return nil, fmt.Errorf("refConvPool: %s is not a convolution or pooling op", in.Op)
}

// checkOperands verifies the count and lengths of an instruction's inputs.
func checkOperands(op kernels.Op, inputs [][]float64, names []string, lens []int) error {
	if len(inputs) != len(lens) {
		return fmt.Errorf("%s: got %d inputs, want %d (%v)", op, len(inputs), len(lens), names)
	}
	for i, n := range lens {
		if len(inputs[i]) != n {
			return fmt.Errorf("%s: %s has %d elements, want %d", op, names[i], len(inputs[i]), n)
		}
	}
	return nil
}

func refConv(op kernels.Op, a kernels.ConvArgs, inputs [][]float64) ([][]float64, error) {
	nx := a.N * a.C * a.H * a.W
	nw := a.K * a.C * a.R * a.S
	ny := a.N * a.K * a.OH * a.OW
	ncol := a.N * a.OH * a.OW * a.C * a.R * a.S

	// each calls fn for every (input element, output element, filter element)
	// triple that the correlation multiplies together: the one loop nest the
	// three convolution ops are views of. Taps in the padding are skipped.
	each := func(fn func(xi, yi, wi int)) {
		for n := 0; n < a.N; n++ {
			for k := 0; k < a.K; k++ {
				for oh := 0; oh < a.OH; oh++ {
					for ow := 0; ow < a.OW; ow++ {
						yi := ((n*a.K+k)*a.OH+oh)*a.OW + ow
						for c := 0; c < a.C; c++ {
							for r := 0; r < a.R; r++ {
								ih := oh*a.StrideH - a.PadH + r*a.DilH
								if ih < 0 || ih >= a.H {
									continue
								}
								for s := 0; s < a.S; s++ {
									iw := ow*a.StrideW - a.PadW + s*a.DilW
									if iw < 0 || iw >= a.W {
										continue
									}
									xi := ((n*a.C+c)*a.H+ih)*a.W + iw
									wi := ((k*a.C+c)*a.R+r)*a.S + s
									fn(xi, yi, wi)
								}
							}
						}
					}
				}
			}
		}
	}

	switch op {
	case kernels.OpConv2D:
		names, lens := []string{"x", "w"}, []int{nx, nw}
		if a.Bias {
			names, lens = append(names, "bias"), append(lens, a.K)
		}
		if err := checkOperands(op, inputs, names, lens); err != nil {
			return nil, err
		}
		x, w := inputs[0], inputs[1]
		y := make([]float64, ny)
		each(func(xi, yi, wi int) { y[yi] += x[xi] * w[wi] })
		for i := range y {
			if a.Bias {
				y[i] += inputs[2][(i/(a.OH*a.OW))%a.K]
			}
			y[i] = refAct(a.Act, y[i])
		}
		return [][]float64{y}, nil

	case kernels.OpConv2DBwdData:
		if err := checkOperands(op, inputs, []string{"dy", "w"}, []int{ny, nw}); err != nil {
			return nil, err
		}
		dy, w := inputs[0], inputs[1]
		dx := make([]float64, nx)
		each(func(xi, yi, wi int) { dx[xi] += dy[yi] * w[wi] })
		return [][]float64{dx}, nil

	case kernels.OpConv2DBwdFilter:
		names, lens := []string{"x", "dy"}, []int{nx, ny}
		if a.Beta != 0 {
			names, lens = append(names, "dw (prior, read because Beta ≠ 0)"), append(lens, nw)
		}
		if err := checkOperands(op, inputs, names, lens); err != nil {
			return nil, err
		}
		x, dy := inputs[0], inputs[1]
		dw := make([]float64, nw)
		each(func(xi, yi, wi int) { dw[wi] += x[xi] * dy[yi] })
		if a.Beta != 0 {
			for i := range dw {
				dw[i] += float64(a.Beta) * inputs[2][i]
			}
		}
		return [][]float64{dw}, nil

	case kernels.OpIm2Col, kernels.OpCol2Im:
		if op == kernels.OpIm2Col {
			if err := checkOperands(op, inputs, []string{"x"}, []int{nx}); err != nil {
				return nil, err
			}
			x := inputs[0]
			cols := make([]float64, ncol) // padding taps stay 0
			refEach(a, func(xi, coli int) { cols[coli] = x[xi] })
			return [][]float64{cols}, nil
		}
		if err := checkOperands(op, inputs, []string{"cols"}, []int{ncol}); err != nil {
			return nil, err
		}
		cols := inputs[0]
		dx := make([]float64, nx)
		refEach(a, func(xi, coli int) { dx[xi] += cols[coli] })
		return [][]float64{dx}, nil
	}
	return nil, fmt.Errorf("refConv: unexpected op %s", op)
}

// refEach visits the (input element, column element) pairs of im2col.
func refEach(a kernels.ConvArgs, fn func(xi, coli int)) {
	crs := a.C * a.R * a.S
	for n := 0; n < a.N; n++ {
		for oh := 0; oh < a.OH; oh++ {
			for ow := 0; ow < a.OW; ow++ {
				for c := 0; c < a.C; c++ {
					for r := 0; r < a.R; r++ {
						for s := 0; s < a.S; s++ {
							ih := oh*a.StrideH - a.PadH + r*a.DilH
							iw := ow*a.StrideW - a.PadW + s*a.DilW
							if ih < 0 || ih >= a.H || iw < 0 || iw >= a.W {
								continue
							}
							fn(((n*a.C+c)*a.H+ih)*a.W+iw, ((n*a.OH+oh)*a.OW+ow)*crs+(c*a.R+r)*a.S+s)
						}
					}
				}
			}
		}
	}
}

func refAct(act kernels.Act, v float64) float64 {
	switch act {
	case kernels.ActReLU:
		return math.Max(v, 0)
	case kernels.ActSigmoid:
		return 1 / (1 + math.Exp(-v))
	case kernels.ActTanh:
		return math.Tanh(v)
	}
	return v
}

func refPool(op kernels.Op, a kernels.PoolArgs, inputs [][]float64) ([][]float64, error) {
	nx := a.N * a.C * a.H * a.W
	ny := a.N * a.C * a.OH * a.OW
	planes := a.N * a.C
	area := float64(a.KH * a.KW)

	// window calls fn for every in-bounds input position (flat index within
	// the plane) of output (oh, ow)'s window, in row-major order.
	window := func(oh, ow int, fn func(hw int)) {
		for i := 0; i < a.KH; i++ {
			ih := oh*a.StrideH - a.PadH + i
			for j := 0; j < a.KW; j++ {
				iw := ow*a.StrideW - a.PadW + j
				if ih >= 0 && ih < a.H && iw >= 0 && iw < a.W {
					fn(ih*a.W + iw)
				}
			}
		}
	}

	switch op {
	case kernels.OpMaxPool:
		if err := checkOperands(op, inputs, []string{"x"}, []int{nx}); err != nil {
			return nil, err
		}
		x := inputs[0]
		y, sw := make([]float64, ny), make([]float64, ny)
		for p := 0; p < planes; p++ {
			plane := x[p*a.H*a.W : (p+1)*a.H*a.W]
			for oh := 0; oh < a.OH; oh++ {
				for ow := 0; ow < a.OW; ow++ {
					best, arg := 0.0, -1
					window(oh, ow, func(hw int) {
						v := plane[hw]
						switch {
						case arg >= 0 && math.IsNaN(best): // a NaN already won
						case arg < 0 || v > best || math.IsNaN(v):
							best, arg = v, hw
						}
					})
					o := (p*a.OH+oh)*a.OW + ow
					y[o], sw[o] = best, float64(arg)
				}
			}
		}
		return [][]float64{y, sw}, nil

	case kernels.OpMaxPoolBwd:
		if err := checkOperands(op, inputs, []string{"dy", "switches"}, []int{ny, ny}); err != nil {
			return nil, err
		}
		dy, sw := inputs[0], inputs[1]
		dx := make([]float64, nx)
		for o := range dy {
			s := int(sw[o])
			if s < 0 {
				continue
			}
			if s >= a.H*a.W {
				return nil, fmt.Errorf("%s: switch %d at output %d is outside the %d×%d input plane", op, s, o, a.H, a.W)
			}
			dx[(o/(a.OH*a.OW))*a.H*a.W+s] += dy[o]
		}
		return [][]float64{dx}, nil

	case kernels.OpAvgPool:
		if err := checkOperands(op, inputs, []string{"x"}, []int{nx}); err != nil {
			return nil, err
		}
		x := inputs[0]
		y := make([]float64, ny)
		for p := 0; p < planes; p++ {
			for oh := 0; oh < a.OH; oh++ {
				for ow := 0; ow < a.OW; ow++ {
					var s float64
					window(oh, ow, func(hw int) { s += x[p*a.H*a.W+hw] })
					y[(p*a.OH+oh)*a.OW+ow] = s / area
				}
			}
		}
		return [][]float64{y}, nil

	case kernels.OpAvgPoolBwd:
		if err := checkOperands(op, inputs, []string{"dy"}, []int{ny}); err != nil {
			return nil, err
		}
		dy := inputs[0]
		dx := make([]float64, nx)
		for p := 0; p < planes; p++ {
			for oh := 0; oh < a.OH; oh++ {
				for ow := 0; ow < a.OW; ow++ {
					g := dy[(p*a.OH+oh)*a.OW+ow] / area
					window(oh, ow, func(hw int) { dx[p*a.H*a.W+hw] += g })
				}
			}
		}
		return [][]float64{dx}, nil
	}
	return nil, fmt.Errorf("refPool: unexpected op %s", op)
}
