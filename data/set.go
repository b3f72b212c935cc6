package data

import "fmt"

// Set is one split of an image-classification dataset, held as bytes.
type Set struct {
	Name    string  // "train" or "test"
	Images  []uint8 // N·H·W pixels, row-major, 0 = background, 255 = ink
	Labels  []uint8 // N labels in [0, Classes)
	N, H, W int
	Classes int
}

// Dataset is a train/test pair with where it came from.
type Dataset struct {
	Name        string
	Train, Test *Set
	ClassNames  []string
	// Source is the directory the files were read from, or "synthetic(seed=S)".
	Source string
	// Files are the four paths read (train images, train labels, test images, test
	// labels); empty for generated sets.
	Files []string
	// Notes say what reading one's own data changed (images resized, a test split held
	// out); commands print them on stderr.
	Notes []string
}

// Image returns the pixels of image i (aliasing the set's storage).
func (s *Set) Image(i int) []uint8 {
	n := s.H * s.W
	return s.Images[i*n : (i+1)*n : (i+1)*n]
}

// Head returns a set viewing the first n images (all of them if n ≤ 0 or n ≥ N), for
// quick runs such as --limit. It shares storage with s.
func (s *Set) Head(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	c := *s
	c.N = n
	c.Images = s.Images[:n*s.H*s.W]
	c.Labels = s.Labels[:n]
	return &c
}

// Validate checks the set's internal consistency (sizes and label range).
func (s *Set) Validate() error {
	switch {
	case s.N < 0 || s.H <= 0 || s.W <= 0 || s.Classes <= 0:
		return fmt.Errorf("data: set %q: bad shape N=%d H=%d W=%d classes=%d", s.Name, s.N, s.H, s.W, s.Classes)
	case len(s.Images) != s.N*s.H*s.W:
		return fmt.Errorf("data: set %q: %d pixel bytes, want N·H·W = %d·%d·%d = %d", s.Name, len(s.Images), s.N, s.H, s.W, s.N*s.H*s.W)
	case len(s.Labels) != s.N:
		return fmt.Errorf("data: set %q: %d labels for %d images", s.Name, len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if int(l) >= s.Classes {
			return fmt.Errorf("data: set %q: label %d at index %d is out of range [0,%d)", s.Name, l, i, s.Classes)
		}
	}
	return nil
}
