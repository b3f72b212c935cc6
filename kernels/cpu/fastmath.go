package cpu

import "math"

// Fast exp, sigmoid and tanh for float32 results.
//
// math.Exp is accurate to float64 and costs ~15 ns; a float32 result needs
// only 24 bits. exp(x) = 2^n · e^r with n = round(x/ln2) and |r| ≤ ln2/2;
// e^r − 1 is a degree-7 Taylor polynomial whose truncation error is below
// r^8/8! < 6e-9 (relative), well under the float32 half-ulp of 6e-8. All
// arithmetic is in float64, so the float32 rounding at the end is the only
// visible error, and subnormal or overflowing results round correctly.
// The polynomial is kept without its leading 1, which gives expm1 with full
// relative accuracy near 0; tanh needs that.

const (
	log2e = 1.4426950408889634
	ln2   = 0.6931471805599453
)

// expm1Poly returns e^r − 1 for |r| ≤ ln2/2.
func expm1Poly(r float64) float64 {
	return r * (1 + r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
}

// expm1Fast returns (2^n, e^r − 1) with x = n·ln2 + r, for |x| ≤ 104 (the
// float32 range); e^x = s·(1+p). The caller clamps x.
func expm1Fast(x float64) (s, p float64) {
	// Round to nearest by adding and removing 1.5·2^52, which pushes the
	// fraction bits out of the mantissa: two adds, where math.Floor is a
	// call without GOAMD64=v2.
	const magic = 1.5 * (1 << 52)
	n := (x*log2e + magic) - magic
	r := x - n*ln2
	return math.Float64frombits(uint64(int64(n)+1023) << 52), expm1Poly(r)
}

// exp32 is e^x rounded to float32.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 89:
		return float32(math.Inf(1))
	case x < -104:
		return 0
	}
	s, p := expm1Fast(float64(x))
	return float32(s + s*p)
}

// sigmoid32 is 1/(1+e^−x) rounded to float32.
func sigmoid32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 20: // 1 − e^−20 rounds to 1 in float32
		return 1
	case x < -104:
		return 0
	}
	s, p := expm1Fast(-float64(x))
	return float32(1 / (1 + s + s*p))
}

// tanh32 is tanh(x) rounded to float32: tanh x = m/(m+2) with m = e^{2x} − 1,
// exact in relative terms near 0 because m is.
func tanh32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 10: // tanh(10) = 1 − 4e-9 rounds to 1
		return 1
	case x < -10:
		return -1
	}
	s, p := expm1Fast(2 * float64(x))
	m := s*p + (s - 1)
	return float32(m / (m + 2))
}

// expNeg is e^x for x ≤ 0 in float64, accurate to < 1e-8 relative (far
// below float32 rounding); below −104 it returns 0, which is what the
// float32 result rounds to anyway. Softmax exponents are ≤ 0 after the
// row maximum is subtracted.
func expNeg(x float64) float64 {
	if x < -104 || x != x {
		if x != x {
			return x
		}
		return 0
	}
	s, p := expm1Fast(x)
	return s + s*p
}
