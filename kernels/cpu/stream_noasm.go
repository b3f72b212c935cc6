//go:build !amd64 || purego

package cpu

func streamVec() bool { return false }

func reluBiasVec(v []float32, b float32) bool { return false }
func reluGradVec(dx, y, dy []float32) bool    { return false }

func sum64Vec(x []float32) (float64, int) { return 0, 0 }

func tapDots8(d, x []float32, out []float32) bool { return false }

func addToVec(dst, src []float32) bool { return false }

func colSum64Vec(x []float32, rows, ld int, acc []float64) int { return 0 }

func biasRowsVec(c []float32, ldc, rows, cols int, bias []float32, relu bool) int { return 0 }

func normU8Vec(dst []float32, src []uint8, mean, std float32) int { return 0 }

func fmaPeak(n int) int { return 0 }

func sgdVec(p, g, v []float32, wd, mom, lr float32, nesterov bool) int { return 0 }
