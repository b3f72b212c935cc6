//go:build amd64 && !purego

package cpu

//go:noescape
func maxPool2x2RowAVX512(x *float32, w, top, n int, y, s *float32) (nan bool)

//go:noescape
func maxPool2x2RowAVX2(x *float32, w, top, n int, y, s *float32) (nan bool)

// maxPool2x2Rows runs the assembly row kernel of the active path
// (pool_avx512_amd64.s, 16 windows a step; pool_avx2_amd64.s, 8) over the
// oh output rows of one plane; it reports false (not done) on the generic
// path, or when a tap is NaN.
func maxPool2x2Rows(w, oh, ow int, xp, yp, sp []float32) bool {
	if activePath == pathGeneric || ow == 0 {
		return false
	}
	row := maxPool2x2RowAVX2
	if activePath == pathAVX512 {
		row = maxPool2x2RowAVX512
	}
	// The kernel reads rows 2i and 2i+1 up to column 2·ow−1 and writes ow
	// values: check the last of each once for the whole plane.
	_, _, _ = xp[(2*oh-1)*w+2*ow-1], yp[oh*ow-1], sp[oh*ow-1]
	nan := false
	for i := 0; i < oh; i++ {
		top := 2 * i * w
		nan = row(&xp[top], w, top, ow, &yp[i*ow], &sp[i*ow]) || nan
	}
	return !nan
}
