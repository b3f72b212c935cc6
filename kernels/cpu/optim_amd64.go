//go:build amd64 && !purego

package cpu

//go:noescape
func sgdAVX2(p, grad, v *float32, n int, wd, mom, lr float32, nesterov int)

// sgdVec runs the momentum update of bindSGD on the longest multiple of 8
// elements of p with the vector kernel and returns how many it did (0 on
// the generic path, or without momentum: there v = g', which the scalar
// loop does).
func sgdVec(p, g, v []float32, wd, mom, lr float32, nesterov bool) int {
	n := len(p) / 8 * 8
	if !streamVec() || mom == 0 || n == 0 {
		return 0
	}
	_, _ = g[n-1], v[n-1]
	nest := 0
	if nesterov {
		nest = 1
	}
	sgdAVX2(&p[0], &g[0], &v[0], n, wd, mom, lr, nest)
	return n
}
