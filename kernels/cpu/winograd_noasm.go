//go:build !amd64 || purego

package cpu

// Without assembly there is no Winograd path (conv_winograd.go).
func winoReady() bool { return false }

func winoIn(src []float32, wp, plane, c int, dst []float32, cs, xi int) {
	panic("cpu: winoIn without assembly")
}

func winoOut(m []float32, xi, mk, k int, y []float32, yk, ow, rows, cols int, bias []float32, relu int) {
	panic("cpu: winoOut without assembly")
}

func winoGemm(c, kp, panels int, u []float32, lda int, v, m []float32, ldm int, acc bool) {
	panic("cpu: winoGemm without assembly")
}

func winoDy(src []float32, ow, plane, k int, dst []float32, cs, xi, rows, cols int) {
	panic("cpu: winoDy without assembly")
}
