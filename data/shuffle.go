package data

// Permutation returns the epoch order shared with the reference programs: a
// Fisher–Yates shuffle of 0..n−1 driven by splitmix64,
//
//	s = seed
//	for i = n−1 down to 1:
//	    s += 0x9E3779B97F4A7C15
//	    z = mix(s)                 // the splitmix64 finalizer
//	    j = z mod (i+1)
//	    swap p[i], p[j]
//
// all in uint64 arithmetic. The caller passes seed = base seed + epoch (epoch counted
// from 0, base seed 1 by default in the canonical recipe); with that, gabor visits the
// same images in the same batches as the PyTorch and Gorgonia reference programs.
// (j is taken modulo i+1, which has a bias of order (i+1)/2⁶⁴: negligible, and part of
// the shared definition.)
func Permutation(n int, seed uint64) []int32 {
	p := make([]int32, n)
	PermutationInto(p, seed)
	return p
}

// PermutationInto fills p with Permutation(len(p), seed) without allocating.
func PermutationInto(p []int32, seed uint64) {
	for i := range p {
		p[i] = int32(i)
	}
	s := seed
	for i := len(p) - 1; i > 0; i-- {
		s += 0x9E3779B97F4A7C15
		j := splitmixFinalize(s) % uint64(i+1)
		p[i], p[j] = p[j], p[i]
	}
}

// splitmixFinalize is splitmix64's output function (Stafford's variant 13 mixer).
func splitmixFinalize(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// splitmix is a tiny seeded generator used by the synthetic and toy sets: fast, no
// allocation, and its stream depends on nothing but the seed.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return splitmixFinalize(r.s)
}

// float returns a uniform float64 in [0, 1) with 53 random bits.
func (r *splitmix) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// uniform returns a uniform float64 in [lo, hi).
func (r *splitmix) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// intn returns a uniform int in [0, n).
func (r *splitmix) intn(n int) int { return int(r.next() % uint64(n)) }

// NumBatches is the number of full batches in an epoch of n images: the last partial
// batch is dropped, as in the canonical recipe (60,000 images, batch 128 → 468).
func NumBatches(n, batch int) int {
	if batch <= 0 {
		return 0
	}
	return n / batch
}

// Batch returns the indices of batch b of an epoch permutation (a subslice, no copy).
func Batch(perm []int32, batch, b int) []int32 {
	return perm[b*batch : (b+1)*batch : (b+1)*batch]
}
