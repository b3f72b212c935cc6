package introspect

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/runs"
)

// Optimize tunes activation maximization. Each iteration shifts the images
// by a random jitter, computes g = ∂ log p(label | x)/∂x through the
// projection program, shifts g back and takes the step
//
//	x ← clip(x + LR·(g/rms(g) − L2·x − TV·∇TV(x)))
//
// where TV(x) = Σ (x[i,j+1] − x[i,j])² + (x[i+1,j] − x[i,j])² (its gradient
// is a discrete Laplacian: it smooths) and clip keeps x inside the pixel
// range [0, 1] in normalized units. Dividing g by its root mean square
// makes LR a step size in units of the input's scale whatever the logits'.
// The zero values are defaults that make recognizable images for the
// MNIST-scale zoo.
type Optimize struct {
	Iters  int     // gradient steps (0: 200)
	LR     float64 // step size (0: 0.1)
	L2     float64 // weight of the L2 penalty (0: 0.05)
	TV     float64 // weight of total variation (0: 0.2)
	Jitter int     // largest shift in pixels (0: 1; < 0: none)
	Seed   uint64  // of the jitter
}

func (o Optimize) withDefaults() Optimize {
	if o.Iters <= 0 {
		o.Iters = 200
	}
	if o.LR <= 0 {
		o.LR = 0.1
	}
	if o.L2 == 0 {
		o.L2 = 0.05
	}
	if o.TV == 0 {
		o.TV = 0.2
	}
	if o.Jitter == 0 {
		o.Jitter = 1
	}
	return o
}

// optimizeQuery fills res.Images by activation maximization, one image per
// label in one batch, on the backend.
func optimizeQuery(w *runs.Weights, ckStep int, q QueryOptions, res *QueryResult) error {
	o := q.Optimize.withDefaults()
	ls, err := ModelLayers(w)
	if err != nil {
		return err
	}
	logits := ls[len(ls)-1].Name
	n := len(res.Labels)
	p, err := NewProjector(w, logits, graph.RuleGradient, ProjectorOptions{ForwardOptions: ForwardOptions{Batch: n, Device: q.Device}, Flat: true, CheckpointStep: ckStep})
	if err != nil {
		return err
	}
	defer p.Close()
	res.Backend = p.Backend
	res.Note = fmt.Sprintf("activation maximization of log p(label|x): %d steps, lr %g, L2 %g, TV %g, jitter %d px", o.Iters, o.LR, o.L2, o.TV, o.Jitter)
	h, wd := res.H, res.W
	in, classes := p.InputLen(), p.LayerLen()
	if in != h*wd {
		return fmt.Errorf("introspect: optimize: model %s takes %d inputs per image, the dataset's images are %d×%d", w.Config.Model, in, h, wd)
	}
	lo := float64((0 - p.Norm.Mean) / p.Norm.Std)
	hi := float64((1 - p.Norm.Mean) / p.Norm.Std)
	// Start near the mean intensity (0 in normalized units) with a little
	// noise: an exactly constant image can leave every ReLU of a layer
	// closed (a constant plane plus a negative bias), where the gradient is 0.
	rng := rand.New(rand.NewPCG(o.Seed, 0x51ED))
	x := make([]float64, n*in)
	for k := range x {
		x[k] = 0.1 * rng.NormFloat64()
	}
	xj := make([]float32, n*in)
	g := make([]float32, n*in)
	out := make([]float32, n*classes)
	seed := make([]float32, n*classes)
	for it := 0; it < o.Iters; it++ {
		dy, dx := 0, 0
		if o.Jitter > 0 {
			dy, dx = rng.IntN(2*o.Jitter+1)-o.Jitter, rng.IntN(2*o.Jitter+1)-o.Jitter
		}
		for b := 0; b < n; b++ {
			shift(x[b*in:(b+1)*in], xj[b*in:(b+1)*in], h, wd, dy, dx)
		}
		if err := p.Forward(xj, out); err != nil {
			return err
		}
		// ∂ log softmax(z)_label / ∂z = onehot(label) − softmax(z).
		for b, label := range res.Labels {
			row := out[b*classes : (b+1)*classes]
			probs := LogitProbs(row)
			for c := range probs {
				seed[b*classes+c] = -float32(probs[c])
			}
			seed[b*classes+label] += 1
			if it == o.Iters-1 {
				res.Scores = append(res.Scores, probs[label])
			}
		}
		if err := p.Back(seed, g); err != nil {
			return err
		}
		for b := 0; b < n; b++ {
			gb := make([]float64, in)
			unshift(g[b*in:(b+1)*in], gb, h, wd, dy, dx)
			var ss float64
			for _, v := range gb {
				ss += v * v
			}
			rms := math.Sqrt(ss/float64(in)) + 1e-12
			xb := x[b*in : (b+1)*in]
			tv := tvGrad(xb, h, wd)
			for k := range xb {
				xb[k] += o.LR * (gb[k]/rms - o.L2*xb[k] - o.TV*tv[k])
				xb[k] = math.Min(math.Max(xb[k], lo), hi)
			}
		}
	}
	for b := 0; b < n; b++ {
		img := make([]float32, in)
		for k, v := range x[b*in : (b+1)*in] {
			img[k] = float32(v)*p.Norm.Std + p.Norm.Mean // back to pixel units in [0, 1]
		}
		res.Images = append(res.Images, img)
	}
	return nil
}

// shift writes src moved by (dy, dx) into dst, zero where nothing moves in.
func shift(src []float64, dst []float32, h, w, dy, dx int) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sy, sx := y-dy, x-dx
			v := 0.0
			if sy >= 0 && sy < h && sx >= 0 && sx < w {
				v = src[sy*w+sx]
			}
			dst[y*w+x] = float32(v)
		}
	}
}

// unshift is shift's adjoint: the gradient at the shifted image taken back
// to the unshifted one.
func unshift(g []float32, dst []float64, h, w, dy, dx int) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sy, sx := y-dy, x-dx
			if sy >= 0 && sy < h && sx >= 0 && sx < w {
				dst[sy*w+sx] = float64(g[y*w+x])
			}
		}
	}
}

// tvGrad is the gradient of the squared total variation of an h×w image:
// 2·Σ over neighbours (x − neighbour).
func tvGrad(x []float64, h, w int) []float64 {
	g := make([]float64, len(x))
	for y := 0; y < h; y++ {
		for c := 0; c < w; c++ {
			k := y*w + c
			if c+1 < w {
				d := x[k] - x[k+1]
				g[k] += 2 * d
				g[k+1] -= 2 * d
			}
			if y+1 < h {
				d := x[k] - x[k+w]
				g[k] += 2 * d
				g[k+w] -= 2 * d
			}
		}
	}
	return g
}
