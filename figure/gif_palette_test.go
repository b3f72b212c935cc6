package figure

import (
	"image"
	"image/color/palette"
	"image/draw"
	"math/rand/v2"
	"testing"
)

// toPaletted gives every pixel the entry draw.Draw with draw.Src picks,
// on a drawn figure and on random colours (alpha included).
func TestToPalettedMatchesDraw(t *testing.T) {
	f := New(120, 80)
	f.Add(Text{X: 5, Y: 20, S: "palette test", Size: 12})
	f.Add(Rect{X: 10, Y: 30, W: 50, H: 30, Fill: SeriesColor(2)})
	img, err := Raster(f, 72)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		o := rng.IntN(len(img.Pix)/4) * 4
		a := uint8(rng.IntN(256))
		for k := 0; k < 3; k++ {
			img.Pix[o+k] = uint8(rng.IntN(int(a) + 1)) // premultiplied: channel ≤ alpha
		}
		img.Pix[o+3] = a
	}
	want := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(want, want.Rect, img, image.Point{}, draw.Src)
	got := toPaletted(img)
	for i := range want.Pix {
		if got.Pix[i] != want.Pix[i] {
			t.Fatalf("pixel %d: entry %d, draw.Draw's %d", i, got.Pix[i], want.Pix[i])
		}
	}
}
