package figure

import (
	"strings"
	"sync"

	stdfnt "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
)

// TextSize is the default text size in points: what a paper's figure text
// is set in.
const TextSize = 8.0

// fontSans is the Liberation Sans family (metric-compatible with Arial and
// Helvetica, so SVG viewers that lack it keep the layout).
var fontSans = font.Font{Typeface: "Liberation", Variant: "Sans"}

var (
	cacheOnce sync.Once
	cache     *font.Cache
)

func fonts() *font.Cache {
	cacheOnce.Do(func() { cache = font.NewCache(liberation.Collection()) })
	return cache
}

// Face returns Liberation Sans at size points (0: TextSize).
func Face(size float64, bold bool) font.Face {
	if size <= 0 {
		size = TextSize
	}
	f := fontSans
	if bold {
		f.Weight = stdfnt.WeightBold
	}
	return fonts().Lookup(f, pt(size))
}

// TextWidth is the advance width of s in points at size (0: TextSize).
func TextWidth(s string, size float64) float64 {
	f := Face(size, false)
	return f.Width(s).Points()
}

// Ascent and Descent are the font's extents above and below the baseline.
func Ascent(size float64) float64 {
	f := Face(size, false)
	return f.Extents().Ascent.Points()
}

func Descent(size float64) float64 {
	f := Face(size, false)
	return f.Extents().Descent.Points()
}

// LineHeight is the distance between baselines of consecutive lines.
func LineHeight(size float64) float64 {
	f := Face(size, false)
	return f.Extents().Height.Points()
}

// pdfText maps s to the Windows-1252 bytes vgpdf's fonts are encoded in:
// characters of that code page become their byte, a few common symbols
// outside it their ASCII spelling, anything else '?'.
func pdfText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 || (r >= 0xa0 && r <= 0xff) {
			b.WriteByte(byte(r))
			continue
		}
		if c, ok := cp1252High[r]; ok {
			b.WriteByte(c)
			continue
		}
		if a, ok := asciiFor[r]; ok {
			b.WriteString(a)
			continue
		}
		b.WriteByte('?')
	}
	return b.String()
}

// cp1252High are the code points Windows-1252 puts in 0x80–0x9f.
var cp1252High = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88,
	'‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93,
	'”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b,
	'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
}

var asciiFor = map[rune]string{
	'−': "-", '→': "->", '←': "<-", '≥': ">=", '≤': "<=", '≈': "~",
	'λ': "lambda", 'σ': "sigma", 'θ': "theta", 'φ': "phi", 'μ': "mu",
}
