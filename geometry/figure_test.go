package geometry

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/figure"
)

func TestDrawRegions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := randomNet(rng, ReLU, 6, 5, 2)
	box := Box{-2, -2, 2, 2}
	var pts []Point
	var labels []int
	for i := 0; i < 50; i++ {
		p := Point{4*rng.Float64() - 2, 4*rng.Float64() - 2}
		_, out := n.Forward(p)
		pts, labels = append(pts, p), append(labels, Class(out))
	}
	f, d, err := DrawRegions(n, FigureOptions{Title: "test", Box: box, Res: 64, Points: pts, Labels: labels, Lines: true, Exact: true, Units: []UnitRef{{1, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Regions) == 0 || d.Map == nil {
		t.Fatal("no regions or map computed")
	}
	want := len(d.Regions)
	found := false
	for _, it := range f.Items() {
		if pt, ok := it.(figure.PlotTable); ok {
			if len(pt.Plots[0]) != 3 {
				t.Errorf("%d panels, want decision, regions and one unit", len(pt.Plots[0]))
			}
			found = strings.HasPrefix(pt.Plots[0][1].Title.Text, strconv.Itoa(want)+" linear regions")
		}
	}
	if !found {
		t.Errorf("the regions panel is not titled with the count %d", want)
	}
	b, err := figure.Render(f, "png", figure.Options{DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 600 {
		t.Errorf("a %v image for three panels", img.Bounds())
	}
	if dir := os.Getenv("GEOMETRY_FIGURE_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "regions-test.png"), b, 0o644)
	}
	// a sigmoid net: no exact panel, a sampled unit panel
	s := randomNet(rng, Sigmoid, 4, 3, 2)
	f, d, err = DrawRegions(s, FigureOptions{Box: box, Res: 32, Exact: true, Lines: true, Units: []UnitRef{{1, 2}}})
	if err != nil || d.Regions != nil {
		t.Fatalf("sigmoid: %v, %d regions", err, len(d.Regions))
	}
	if _, _, err := DrawRegions(s, FigureOptions{Box: box, Res: 32, Units: []UnitRef{{2, 0}}}); err == nil {
		t.Error("unit of the output layer: want an error")
	}
}
