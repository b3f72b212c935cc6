package data

import (
	"bytes"
	"image/png"
	"os"
	"runtime"
	"testing"
)

func synthSizes() (int, int) {
	if testing.Short() {
		return 2000, 1000
	}
	return 10000, 2000
}

func TestSyntheticDeterministic(t *testing.T) {
	a, err := Synthetic(11, 500, 200)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	b, err := Synthetic(11, 500, 200)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Train.Images, b.Train.Images) || !bytes.Equal(a.Test.Images, b.Test.Images) ||
		!bytes.Equal(a.Train.Labels, b.Train.Labels) || !bytes.Equal(a.Test.Labels, b.Test.Labels) {
		t.Fatal("same seed, GOMAXPROCS 1 vs default: different data")
	}
	// A prefix of a bigger set is the smaller set: image i depends only on (seed, split, i)
	// and its label.
	c, _ := Synthetic(11, 1000, 200)
	for i := 0; i < 500; i++ {
		if a.Train.Labels[i] == c.Train.Labels[i] && !bytes.Equal(a.Train.Image(i), c.Train.Image(i)) {
			t.Fatalf("image %d differs between sizes with the same label", i)
		}
	}
	d, _ := Synthetic(12, 500, 200)
	if bytes.Equal(a.Train.Images, d.Train.Images) || bytes.Equal(a.Train.Labels, d.Train.Labels) {
		t.Error("seeds 11 and 12 give the same data")
	}
	// Train and test are different draws.
	if bytes.Equal(a.Train.Images[:200*784], a.Test.Images) {
		t.Error("test split repeats the train split")
	}
	if a.Source != "synthetic(seed=11)" {
		t.Errorf("Source %q", a.Source)
	}
}

func TestSyntheticBalanceAndRange(t *testing.T) {
	nTrain, nTest := synthSizes()
	ds, err := Synthetic(1, nTrain, nTest)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Set{ds.Train, ds.Test} {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		st := Stats(s)
		for c, n := range st.ClassCounts {
			if n != s.N/10 {
				t.Errorf("%s: class %d has %d images, want %d", s.Name, c, n, s.N/10)
			}
		}
		// MNIST: mean 0.1307, std 0.3081 on the 0..1 scale; ours should be in that region.
		if st.PixelMean < 0.08 || st.PixelMean > 0.22 || st.PixelStd < 0.22 || st.PixelStd > 0.4 {
			t.Errorf("%s: pixel mean %.4f std %.4f, want MNIST-like (≈0.13, ≈0.31)", s.Name, st.PixelMean, st.PixelStd)
		}
		t.Logf("%s: pixel mean %.4f std %.4f", s.Name, st.PixelMean, st.PixelStd)
		// Per image: ink present, background black at the border, saturated cores.
		touching := 0
		for i := 0; i < s.N; i++ {
			img := s.Image(i)
			var ink, bright, border int
			for y := 0; y < 28; y++ {
				for x := 0; x < 28; x++ {
					v := img[y*28+x]
					if v > 127 {
						ink++
					}
					if v == 255 {
						bright++
					}
					if (x == 0 || y == 0 || x == 27 || y == 27) && v > 127 {
						border++
					}
				}
			}
			if border > 0 {
				touching++
			}
			if ink < 12 || ink > 400 || bright == 0 || border > 12 {
				t.Fatalf("%s image %d (label %d): %d ink pixels, %d saturated, %d on the border", s.Name, i, s.Labels[i], ink, bright, border)
			}
		}
		// Digits are centred in a 20×20 box: reaching the edge must stay rare.
		if frac := float64(touching) / float64(s.N); frac > 0.02 {
			t.Errorf("%s: %.1f%% of images have ink on the border, want < 2%%", s.Name, 100*frac)
		} else {
			t.Logf("%s: %.2f%% of images touch the border", s.Name, 100*frac)
		}
	}
}

// TestSyntheticDifficulty: a nearest-class-mean classifier must find the set neither
// trivial nor hopeless (on MNIST it reaches about 82%).
func TestSyntheticDifficulty(t *testing.T) {
	nTrain, nTest := synthSizes()
	ds, err := Synthetic(5, nTrain, nTest)
	if err != nil {
		t.Fatal(err)
	}
	acc := nearestMeanAccuracy(ds.Train, ds.Test)
	t.Logf("nearest-class-mean accuracy: %.4f (train %d, test %d)", acc, nTrain, nTest)
	if acc < 0.4 || acc > 0.95 {
		t.Errorf("nearest-class-mean accuracy %.4f, want within [0.40, 0.95]", acc)
	}
}

func nearestMeanAccuracy(train, test *Set) float64 {
	px := train.H * train.W
	means := make([][]float64, train.Classes)
	counts := make([]int, train.Classes)
	for c := range means {
		means[c] = make([]float64, px)
	}
	for i := 0; i < train.N; i++ {
		m := means[train.Labels[i]]
		counts[train.Labels[i]]++
		for j, v := range train.Image(i) {
			m[j] += float64(v)
		}
	}
	for c := range means {
		for j := range means[c] {
			means[c][j] /= float64(max(1, counts[c]))
		}
	}
	right := 0
	for i := 0; i < test.N; i++ {
		img := test.Image(i)
		best, bestD := -1, 0.0
		for c, m := range means {
			d := 0.0
			for j, v := range img {
				e := float64(v) - m[j]
				d += e * e
			}
			if best < 0 || d < bestD {
				best, bestD = c, d
			}
		}
		if best == int(test.Labels[i]) {
			right++
		}
	}
	return float64(right) / float64(test.N)
}

func TestGridAndPreview(t *testing.T) {
	ds, _ := Synthetic(1, 100, 10)
	g := Grid(ds.Train, 100, 10)
	if b := g.Bounds(); b.Dx() != 10*29+1 || b.Dy() != 10*29+1 {
		t.Fatalf("grid is %v, want 291×291", b)
	}
	// Image 13 sits in row 1, column 3.
	if got, want := g.GrayAt(1+3*29+5, 1+1*29+7).Y, ds.Train.Image(13)[7*28+5]; got != want {
		t.Errorf("grid pixel %d, want %d", got, want)
	}
	// GABOR_DATA_PREVIEW=/path.png writes the grid for a look.
	if p := os.Getenv("GABOR_DATA_PREVIEW"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, g); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSynthetic60k10k generates the full default set (the acceptance target: a
// few seconds on 2 cores).
func BenchmarkSynthetic60k10k(b *testing.B) {
	if _, err := glyphs(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Synthetic(1, 60000, 10000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(70000*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkGlyphLibrary(b *testing.B) {
	for b.Loop() {
		if _, err := buildGlyphs(); err != nil {
			b.Fatal(err)
		}
	}
}
