package train

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
)

// TestConfigNormalization: a config without a normalization (runs from before it was
// recorded) means the Fashion-MNIST constants; a recorded one round-trips through
// config.json; a zero std is refused.
func TestConfigNormalization(t *testing.T) {
	old := DefaultConfig("mlp")
	if n := old.Normalization(); n != data.FashionNormalization() {
		t.Errorf("no recorded normalization: %+v, want the Fashion-MNIST constants", n)
	}
	b, _ := json.Marshal(old)
	if strings.Contains(string(b), "normalization") || strings.Contains(string(b), "source") || strings.Contains(string(b), "class_names") {
		t.Errorf("a config without own data writes the new keys: %s", b)
	}
	c := DefaultConfig("mlp")
	c.Dataset, c.DataDir = data.FormatFolder, "/pngs"
	c.Norm = data.Normalization{Mode: data.NormData, Mean: 0.1207, Std: 0.1804}
	c.Source = data.SourceOptions{TestFraction: 0.1, SplitSeed: 3}
	c.ClassNames = "circle\nsquare"
	b, _ = json.Marshal(c)
	back, err := DecodeConfig(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	if back != c || back.Normalization() != c.Norm {
		t.Errorf("round trip: %+v, want %+v", back, c)
	}
	c.Norm.Std = 0
	c.Norm.Mode = data.NormFixed
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "std must be positive") {
		t.Errorf("zero std: %v", err)
	}
	c = DefaultConfig("mlp")
	c.Dataset = data.FormatNumPy
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "needs --data PATH") {
		t.Errorf("a format without a path: %v", err)
	}
}
