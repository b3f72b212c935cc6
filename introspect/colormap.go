package introspect

import (
	"fmt"
	"image/color"
	"math"
	"strings"
)

// A Colormap turns a normalized value v ∈ [0, 1] into a colour; values
// outside are clamped. Signed data is mapped with zero at v = 0.5 (see Scale).
type Colormap interface {
	Name() string
	At(v float64) color.NRGBA
}

// Colormap names, as the --cmap flag spells them.
const (
	CmapDiverging = "diverging"
	CmapGray      = "gray"
)

// Colormaps lists the built-in colormap names.
func Colormaps() []string { return []string{CmapDiverging, CmapGray} }

// ColormapByName returns a built-in colormap.
func ColormapByName(name string) (Colormap, error) {
	switch strings.ToLower(name) {
	case CmapDiverging:
		return Diverging, nil
	case CmapGray, "grey", "grayscale":
		return Gray, nil
	}
	return nil, fmt.Errorf("introspect: unknown colormap %q (known: %s)", name, strings.Join(Colormaps(), ", "))
}

// Gray maps v to the gray level round(255·v): 0 → black, 0.5 → 128, 1 → white.
var Gray Colormap = grayMap{}

type grayMap struct{}

func (grayMap) Name() string { return CmapGray }

func (grayMap) At(v float64) color.NRGBA {
	g := uint8(math.Round(255 * clamp01(v)))
	return color.NRGBA{g, g, g, 255}
}

// Diverging is a blue–white–red map for signed data. It is built in CIELAB,
// where Euclidean distance roughly follows perceived difference: from the
// white centre (L* = 97) it runs on straight lines to a blue end
// (L* 30, a* 28, b* −70) below 0.5 and a red end (L* 40, a* 62, b* 44) above.
// Lightness thus falls linearly and symmetrically with |v − 0.5|, so equal
// magnitudes of either sign look equally strong and a weight of zero is
// white; the hues stay distinct for colour-blind readers (blue against red,
// with lightness carrying the magnitude). Colours are converted to sRGB (D65)
// and clipped to its gamut.
var Diverging Colormap = labDiverging{
	lo:  lab{30, 28, -70},
	mid: lab{97, 0, 0},
	hi:  lab{40, 62, 44},
}

type lab struct{ L, A, B float64 }

type labDiverging struct{ lo, mid, hi lab }

func (labDiverging) Name() string { return CmapDiverging }

func (d labDiverging) At(v float64) color.NRGBA {
	v = clamp01(v)
	end, t := d.hi, 2*v-1
	if v < 0.5 {
		end, t = d.lo, 1-2*v
	}
	c := lab{
		d.mid.L + t*(end.L-d.mid.L),
		d.mid.A + t*(end.A-d.mid.A),
		d.mid.B + t*(end.B-d.mid.B),
	}
	return c.sRGB()
}

// sRGB converts CIELAB (D65 white) to 8-bit sRGB, clipping out-of-gamut
// channels.
func (c lab) sRGB() color.NRGBA {
	// Lab → XYZ (CIE 1976), D65 reference white.
	const xn, yn, zn = 0.95047, 1.0, 1.08883
	fy := (c.L + 16) / 116
	fx := fy + c.A/500
	fz := fy - c.B/200
	finv := func(t float64) float64 {
		const d = 6.0 / 29
		if t > d {
			return t * t * t
		}
		return 3 * d * d * (t - 4.0/29)
	}
	x, y, z := xn*finv(fx), yn*finv(fy), zn*finv(fz)
	// XYZ → linear sRGB (IEC 61966-2-1 matrix), then the sRGB transfer curve.
	r := 3.2404542*x - 1.5371385*y - 0.4985314*z
	g := -0.9692660*x + 1.8760108*y + 0.0415560*z
	b := 0.0556434*x - 0.2040259*y + 1.0572252*z
	enc := func(u float64) uint8 {
		u = clamp01(u)
		if u <= 0.0031308 {
			u *= 12.92
		} else {
			u = 1.055*math.Pow(u, 1/2.4) - 0.055
		}
		return uint8(math.Round(255 * clamp01(u)))
	}
	return color.NRGBA{enc(r), enc(g), enc(b), 255}
}

func clamp01(v float64) float64 {
	switch {
	case v < 0 || math.IsNaN(v):
		return 0
	case v > 1:
		return 1
	}
	return v
}
