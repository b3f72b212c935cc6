package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Normalization is what Gather does to a pixel v: (v/255 − Mean)/Std. A run keeps the
// one it trained with (in its config), so evaluation, prediction and introspection
// feed the model the same inputs.
type Normalization struct {
	// Mode is how Mean and Std were chosen: NormData, NormFashion, NormNone or NormFixed.
	Mode string  `json:"mode"`
	Mean float32 `json:"mean"`
	Std  float32 `json:"std"`
}

// Normalization modes (the values of --normalize, besides "MEAN,STD").
const (
	NormData    = "data"          // mean and std of the training split's pixels
	NormFashion = "fashion-mnist" // FashionMean, FashionStd: the canonical recipe
	NormNone    = "none"          // mean 0, std 1: inputs are v/255
	NormFixed   = "fixed"         // given as MEAN,STD
)

// FashionNormalization is the canonical recipe's normalization.
func FashionNormalization() Normalization {
	return Normalization{Mode: NormFashion, Mean: FashionMean, Std: FashionStd}
}

// ParseNormalize reads a --normalize value: "data", "fashion-mnist", "none" or
// "MEAN,STD" (std > 0). For "data" Mean and Std are filled in by Resolve.
func ParseNormalize(s string) (Normalization, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case NormData:
		return Normalization{Mode: NormData}, nil
	case NormFashion:
		return FashionNormalization(), nil
	case NormNone:
		return Normalization{Mode: NormNone, Mean: 0, Std: 1}, nil
	}
	m, sd, ok := strings.Cut(s, ",")
	if !ok {
		return Normalization{}, fmt.Errorf("normalize %q: want data, fashion-mnist, none or MEAN,STD", s)
	}
	mean, err1 := strconv.ParseFloat(strings.TrimSpace(m), 32)
	std, err2 := strconv.ParseFloat(strings.TrimSpace(sd), 32)
	if err1 != nil || err2 != nil || math.IsNaN(mean) || math.IsInf(mean, 0) || !(std > 0) || math.IsInf(std, 0) {
		return Normalization{}, fmt.Errorf("normalize %q: MEAN,STD must be two numbers with STD > 0 (for example 0.1307,0.3081)", s)
	}
	return Normalization{Mode: NormFixed, Mean: float32(mean), Std: float32(std)}, nil
}

// Resolve fills in a NormData normalization from the training split (the pixel mean
// and population standard deviation on the 0..1 scale, as Stats computes them); other
// modes are returned as they are. A split whose pixels are all equal has std 0 and
// gets std 1.
func (n Normalization) Resolve(train *Set) Normalization {
	if n.Mode != NormData {
		return n
	}
	st := Stats(train)
	n.Mean, n.Std = float32(st.PixelMean), float32(st.PixelStd)
	if n.Std == 0 {
		n.Std = 1
	}
	return n
}

// String is "data (mean 0.1234, std 0.3456)" and the like.
func (n Normalization) String() string {
	return fmt.Sprintf("%s (mean %.4f, std %.4f)", n.Mode, n.Mean, n.Std)
}

// DefaultNormalize is the --normalize mode when none is given: the training data's own
// statistics for one's own data (Formats), the canonical Fashion-MNIST constants for
// the catalog's sets and the synthetic digits (so the reference programs' numbers
// still match).
func DefaultNormalize(dataset string) string {
	if IsFormat(dataset) {
		return NormData
	}
	return NormFashion
}
