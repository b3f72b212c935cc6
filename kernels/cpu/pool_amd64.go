//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

//go:noescape
func maxPool2x2RowAVX512(x *float32, w, top, n int, y, s *float32) (nan bool)

// poolRowAVX512 is whether maxPool2x2 uses the assembly row kernel; tests
// switch it off to compare both.
var poolRowAVX512 = cpu.X86.HasAVX512F

// maxPool2x2Rows runs the assembly row kernel over the oh output rows of one
// plane; it reports false (not done) without it, or when a tap is NaN.
func maxPool2x2Rows(w, oh, ow int, xp, yp, sp []float32) bool {
	if !poolRowAVX512 || ow == 0 {
		return false
	}
	// The kernel reads rows 2i and 2i+1 up to column 2·ow−1 and writes ow
	// values: check the last of each once for the whole plane.
	_, _, _ = xp[(2*oh-1)*w+2*ow-1], yp[oh*ow-1], sp[oh*ow-1]
	nan := false
	for i := 0; i < oh; i++ {
		top := 2 * i * w
		nan = maxPool2x2RowAVX512(&xp[top], w, top, ow, &yp[i*ow], &sp[i*ow]) || nan
	}
	return !nan
}
