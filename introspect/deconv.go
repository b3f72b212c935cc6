package introspect

import (
	"fmt"
	"slices"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/runs"
)

// DeconvOptions configure Deconv.
type DeconvOptions struct {
	Layer  string     // a layer with spatial maps ("" : the last convolution)
	Maps   []int      // feature maps to show (nil: the first min(16, C))
	Top    int        // images per map (0: 9)
	Rule   graph.Rule // how projections pass ReLUs
	Step   int        // weights of this step (< 0: the latest)
	Limit  int        // scan the first Limit test images only (0: all)
	Batch  int        // images per program run (0: 64)
	Device string     // backend ("" : auto)
}

// DeconvHit is one of a map's strongest activations with its projection and
// the image patch under its receptive field, both Crop×Crop (pixels of the
// window outside the image are 0 in the projection and background in the
// patch).
type DeconvHit struct {
	Hit
	Label  int          `json:"label"`
	Window graph.Window `json:"window"`
	Proj   []float32    `json:"-"`
	Patch  []float32    `json:"-"`
}

// DeconvMap is one feature map's hits, strongest first.
type DeconvMap struct {
	Map  int         `json:"map"`
	Hits []DeconvHit `json:"hits"`
	// Dead says the map's strongest activation over the scanned images is ≤
	// 0: the unit never fires, and its projections mean nothing.
	Dead bool `json:"dead"`
}

// dead reports whether a map never fires: no hit, or its strongest
// activation ≤ 0.
func (m DeconvMap) dead() bool { return len(m.Hits) == 0 || m.Hits[0].Value <= 0 }

// DeconvResult is what Deconv found and projected.
type DeconvResult struct {
	Model   string      `json:"model"`
	Dataset string      `json:"dataset"`
	Layer   string      `json:"layer"`
	Rule    string      `json:"rule"`
	Step    int         `json:"step"`
	Epoch   int         `json:"epoch"`
	Weights string      `json:"weights"` // the file read
	Backend string      `json:"device"`
	Scanned int         `json:"scanned"` // test images searched
	CropH   int         `json:"crop_h"`
	CropW   int         `json:"crop_w"`
	Maps    []DeconvMap `json:"maps"`
}

// Deconv finds, for each chosen feature map of a layer, the test images
// that activate it most (one streaming pass of the projection program's
// forward segment over the test set, TopK), then projects each of those
// activations alone back to the pixels with the chosen rule, and crops
// projection and image to the activation's receptive field.
func Deconv(run *runs.Run, o DeconvOptions) (*DeconvResult, error) {
	w, ckStep, err := runWeights(run, o.Step)
	if err != nil {
		return nil, err
	}
	if o.Layer == "" {
		if o.Layer, err = DefaultLayer(w, w.Config.Model); err != nil {
			return nil, err
		}
	}
	if o.Top <= 0 {
		o.Top = 9
	}
	p, err := NewProjector(w, o.Layer, o.Rule, ProjectorOptions{ForwardOptions: ForwardOptions{Batch: o.Batch, Device: o.Device}, CheckpointStep: ckStep})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	maps, err := checkMaps(o.Maps, p.Layer)
	if err != nil {
		return nil, err
	}
	ds, err := TestSet(w.Config)
	if err != nil {
		return nil, err
	}
	set := ds.Test
	if o.Limit > 0 && o.Limit < set.N {
		set = set.Head(o.Limit)
	}
	tk, err := topScan(p, set, o.Top)
	if err != nil {
		return nil, err
	}
	res := &DeconvResult{Model: w.Config.Model, Dataset: ds.Name, Layer: o.Layer, Rule: o.Rule.String(),
		Step: w.Step, Epoch: w.Epoch, Weights: w.Path, Backend: p.Backend, Scanned: set.N}
	var hits []Hit
	for _, m := range maps {
		best := tk.Best(m)
		if len(best) > o.Top {
			best = best[:o.Top]
		}
		hits = append(hits, best...)
		dm := DeconvMap{Map: m}
		for _, h := range best {
			dm.Hits = append(dm.Hits, DeconvHit{Hit: h, Label: int(set.Labels[h.Image])})
		}
		res.Maps = append(res.Maps, dm)
	}
	projs, err := ProjectHits(p, set, res.Maps)
	if err != nil {
		return nil, err
	}
	k := 0
	for i := range res.Maps {
		for j := range res.Maps[i].Hits {
			h := &res.Maps[i].Hits[j]
			win, err := p.Proj.ReceptiveField(h.Y, h.X)
			if err != nil {
				return nil, fmt.Errorf("introspect: %w", err)
			}
			h.Window = win
			res.CropH, res.CropW = win.Y1-win.Y0, win.X1-win.X0
			h.Proj = crop(projs[k], set.H, set.W, win)
			x := make([]float32, set.H*set.W)
			for q, v := range set.Image(h.Image) {
				x[q] = float32(v) / 255
			}
			h.Patch = crop(x, set.H, set.W, win)
			k++
		}
		res.Maps[i].Dead = res.Maps[i].dead()
	}
	return res, nil
}

// checkMaps validates the chosen maps against the layer's channel count.
func checkMaps(maps []int, l Layer) ([]int, error) {
	c := l.Out[0]
	if maps == nil {
		for m := 0; m < min(16, c); m++ {
			maps = append(maps, m)
		}
		return maps, nil
	}
	for _, m := range maps {
		if m < 0 || m >= c {
			return nil, fmt.Errorf("introspect: map %d is out of range: layer %s has %d maps (0 to %d)", m, l.Name, c, c-1)
		}
	}
	return slices.Clone(maps), nil
}

// topScan runs the projector's forward segment over the whole set in
// batches and keeps every map's k strongest images.
func topScan(p *Projector, set *data.Set, k int) (*TopK, error) {
	c, h, w := p.Layer.Out[0], p.Layer.Out[1], p.Layer.Out[2]
	tk, err := NewTopK(k, c, h, w)
	if err != nil {
		return nil, err
	}
	x := make([]float32, p.Batch*p.InputLen())
	layer := make([]float32, p.Batch*p.LayerLen())
	idx := make([]int32, 0, p.Batch)
	for lo := 0; lo < set.N; lo += p.Batch {
		n := min(p.Batch, set.N-lo)
		idx = idx[:0]
		for i := 0; i < n; i++ {
			idx = append(idx, int32(lo+i))
		}
		if err := p.Gather(set, idx, x); err != nil {
			return nil, err
		}
		if err := p.Forward(x, layer); err != nil {
			return nil, err
		}
		if err := tk.Observe(lo, n, layer); err != nil {
			return nil, err
		}
	}
	return tk, nil
}

// ProjectHits projects each hit alone: the seed is zero but for the
// hit's activation at its map and position; the images go through the
// program in batches. It returns one full input-sized projection per hit,
// in the order of maps and hits.
func ProjectHits(p *Projector, set *data.Set, dm []DeconvMap) ([][]float32, error) {
	type job struct {
		img   int32
		m     int
		y, x  int
		value float32
	}
	var jobs []job
	for i := range dm {
		for _, h := range dm[i].Hits {
			jobs = append(jobs, job{int32(h.Image), dm[i].Map, h.Y, h.X, h.Value})
		}
	}
	hw := p.Layer.Out[1] * p.Layer.Out[2]
	in, ll := p.InputLen(), p.LayerLen()
	x := make([]float32, p.Batch*in)
	layer := make([]float32, p.Batch*ll)
	seed := make([]float32, p.Batch*ll)
	proj := make([]float32, p.Batch*in)
	var out [][]float32
	for lo := 0; lo < len(jobs); lo += p.Batch {
		n := min(p.Batch, len(jobs)-lo)
		idx := make([]int32, n)
		clear(seed)
		for i := 0; i < n; i++ {
			j := jobs[lo+i]
			idx[i] = j.img
			// The seed keeps the activation's own value (its sign matters
			// to the deconvnet's and guided rules); a zero activation is
			// seeded with 1 so that the projection shows its pathway.
			v := j.value
			if v == 0 {
				v = 1
			}
			seed[i*ll+j.m*hw+j.y*p.Layer.Out[2]+j.x] = v
		}
		if err := p.Gather(set, idx, x); err != nil {
			return nil, err
		}
		if err := p.Forward(x, layer); err != nil {
			return nil, err
		}
		if err := p.Back(seed, proj); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			out = append(out, slices.Clone(proj[i*in:(i+1)*in]))
		}
	}
	return out, nil
}

// crop cuts window w out of an h×w image (one channel); pixels of the
// window outside the image are 0 (the background, and no projection).
func crop(img []float32, h, wd int, w graph.Window) []float32 {
	out := make([]float32, 0, (w.Y1-w.Y0)*(w.X1-w.X0))
	for y := w.Y0; y < w.Y1; y++ {
		for x := w.X0; x < w.X1; x++ {
			if y >= 0 && y < h && x >= 0 && x < wd {
				out = append(out, img[y*wd+x])
			} else {
				out = append(out, 0)
			}
		}
	}
	return out
}
