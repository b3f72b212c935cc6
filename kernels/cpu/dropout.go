package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// OpDropout with a counter-based random stream, so that every backend (and
// every thread split) draws the same mask with no state between steps.
//
// The exact bits, which the CUDA kernel reproduces:
//
//	mix(z)  = splitmix64's finalizer:
//	          z ^= z >> 30; z *= 0xbf58476d1ce4e5b9
//	          z ^= z >> 27; z *= 0x94d049bb133111eb
//	          z ^= z >> 31
//	key     = Seed ^ mix(step)              step = uint64(int64(ctl[1]))
//	u_i     = float32(mix(key + i) >> 40) · 2^-24      (the top 24 bits: exact in float32, in [0, 1))
//	keep_i  = u_i ≥ P                       (a float32 comparison)
//	mask_i  = keep_i ? 1/(1−P) : 0          (1/(1−P) computed in float32)
//	y_i     = x_i · mask_i
//
// with all integer arithmetic modulo 2^64. In evaluation (ctl[0] = 0)
// y = x and mask = 1.

// dropMix is splitmix64's output function, a bijection of uint64 with good
// avalanche: consecutive counters give unrelated outputs.
func dropMix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

// dropUnit is u_i above for the given key.
func dropUnit(key uint64, i int) float32 {
	return float32(dropMix(key+uint64(i))>>40) * (1.0 / (1 << 24))
}

// dropKey is the per-step key.
func dropKey(seed uint64, step float32) uint64 {
	return seed ^ dropMix(uint64(int64(step)))
}

func bindDropout(o operands, a kernels.DropoutArgs) (step, error) {
	n, p, seed := a.N, a.P, a.Seed
	x, ctl, y, mask := o.input(0), o.input(1), o.output(0), o.output(1)
	if err := sameOrDisjoint(y, x, "x"); err != nil {
		return nil, err
	}
	if overlaps(mask, x) || overlaps(mask, y) || overlaps(mask, ctl) || overlaps(y, ctl) {
		return nil, fmt.Errorf("outputs overlap each other or ctl")
	}
	scale := 1 / (1 - p)
	scaleBits := math.Float32bits(scale)
	var key uint64
	var training bool
	body := func(lo, hi int) {
		if !training {
			copy(y[lo:hi], x[lo:hi])
			for i := lo; i < hi; i++ {
				mask[i] = 1
			}
			return
		}
		// keep is a 0/1 integer mask rather than a branch: the draw is
		// random, so a branch would be mispredicted P·(1−P) of the time.
		for i := lo; i < hi; i++ {
			var keep uint32
			if dropUnit(key, i) >= p {
				keep = ^uint32(0)
			}
			m := math.Float32frombits(scaleBits & keep)
			mask[i] = m
			y[i] = x[i] * m
		}
	}
	return func() error {
		training = ctl[0] != 0
		key = dropKey(seed, ctl[1])
		parallelFor(n, elemGrain, body)
		return nil
	}, nil
}
