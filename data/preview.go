package data

import "image"

// Grid tiles the first n images of s into one grayscale picture, cols per row, with a
// one-pixel dark-grey gutter, for previews (gabor data info --png) and eyeballing.
func Grid(s *Set, n, cols int) *image.Gray {
	n = min(n, s.N)
	if cols <= 0 {
		cols = 10
	}
	rows := (n + cols - 1) / cols
	const gut = 1
	img := image.NewGray(image.Rect(0, 0, cols*(s.W+gut)+gut, rows*(s.H+gut)+gut))
	for i := range img.Pix {
		img.Pix[i] = 64
	}
	for k := 0; k < n; k++ {
		ox, oy := gut+(k%cols)*(s.W+gut), gut+(k/cols)*(s.H+gut)
		src := s.Image(k)
		for y := 0; y < s.H; y++ {
			copy(img.Pix[(oy+y)*img.Stride+ox:], src[y*s.W:(y+1)*s.W])
		}
	}
	return img
}
