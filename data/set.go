package data

import "fmt"

// Set is one split of a dataset. Its inputs are either images, held as bytes
// (Images, H, W: what the IDX files of the MNIST family store), or float
// rows (X, D: 2-D points, regression features), used when Images is nil and
// D > 0. Its targets are class indices (Labels, Classes), float rows
// (Targets, T: a regression's), or both.
type Set struct {
	Name    string  // "train" or "test"
	Images  []uint8 // N·H·W pixels, row-major, 0 = background, 255 = ink; nil for float inputs
	Labels  []uint8 // N labels in [0, Classes); nil when Classes is 0
	N, H, W int
	Classes int // 0 for a set with float targets only

	X []float32 // N·D float inputs, row-major, used as they are (no normalization); nil for images
	D int       // features per example of X (0 for an image set)

	Targets []float32 // N·T float targets, row-major; nil when T is 0
	T       int       // targets per example (0: the targets are Labels)
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

// Features is the number of input values per example: H·W for images, D for
// float inputs.
func (s *Set) Features() int {
	if s.D > 0 {
		return s.D
	}
	return s.H * s.W
}

// TargetLen is the number of target values per example Gather writes: T for
// float targets, else 1 (the class index).
func (s *Set) TargetLen() int {
	if s.T > 0 {
		return s.T
	}
	return 1
}

// Head returns a set viewing the first n examples (all of them if n ≤ 0 or n ≥ N), for
// quick runs such as --limit. It shares storage with s.
func (s *Set) Head(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	c := *s
	c.N = n
	if s.Images != nil {
		c.Images = s.Images[:n*s.H*s.W]
	}
	if s.X != nil {
		c.X = s.X[:n*s.D]
	}
	if s.Labels != nil {
		c.Labels = s.Labels[:n]
	}
	if s.Targets != nil {
		c.Targets = s.Targets[:n*s.T]
	}
	return &c
}

// Validate checks the set's internal consistency (sizes and label range).
func (s *Set) Validate() error {
	switch {
	case s.N < 0 || s.Classes < 0 || s.D < 0 || s.T < 0:
		return fmt.Errorf("data: set %q: bad shape N=%d D=%d T=%d classes=%d", s.Name, s.N, s.D, s.T, s.Classes)
	case s.D > 0 && (s.Images != nil || s.H != 0 || s.W != 0):
		return fmt.Errorf("data: set %q: float inputs (D=%d) and images (H=%d W=%d, %d bytes) at once", s.Name, s.D, s.H, s.W, len(s.Images))
	case s.D > 0 && len(s.X) != s.N*s.D:
		return fmt.Errorf("data: set %q: %d input values, want N·D = %d·%d = %d", s.Name, len(s.X), s.N, s.D, s.N*s.D)
	case s.D == 0 && (s.H <= 0 || s.W <= 0 || s.Classes <= 0):
		return fmt.Errorf("data: set %q: bad shape N=%d H=%d W=%d classes=%d", s.Name, s.N, s.H, s.W, s.Classes)
	case s.D == 0 && len(s.Images) != s.N*s.H*s.W:
		return fmt.Errorf("data: set %q: %d pixel bytes, want N·H·W = %d·%d·%d = %d", s.Name, len(s.Images), s.N, s.H, s.W, s.N*s.H*s.W)
	case s.Classes == 0 && s.T == 0:
		return fmt.Errorf("data: set %q: no targets (neither classes nor float targets)", s.Name)
	case s.Classes > 0 && len(s.Labels) != s.N:
		return fmt.Errorf("data: set %q: %d labels for %d examples", s.Name, len(s.Labels), s.N)
	case s.Classes == 0 && s.Labels != nil:
		return fmt.Errorf("data: set %q: %d labels but no classes", s.Name, len(s.Labels))
	case len(s.Targets) != s.N*s.T:
		return fmt.Errorf("data: set %q: %d target values, want N·T = %d·%d = %d", s.Name, len(s.Targets), s.N, s.T, s.N*s.T)
	}
	for i, l := range s.Labels {
		if int(l) >= s.Classes {
			return fmt.Errorf("data: set %q: label %d at index %d is out of range [0,%d)", s.Name, l, i, s.Classes)
		}
	}
	return nil
}
