package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
)

// A registered builder is a model like the zoo's: listed, built by name,
// named after its registration; bad registrations are refused.
func TestRegister(t *testing.T) {
	calls := 0
	b := func(batch int, seed uint64, opt Options) (*graph.Model, error) {
		calls++
		return zoo["mlp-sigmoid"].build("anything", batch, seed, opt)
	}
	if err := Register("test-registered", b); err != nil {
		t.Fatal(err)
	}
	defer func() {
		registryMu.Lock()
		delete(registry, "test-registered")
		registryMu.Unlock()
	}()
	if !slices.Contains(Names(), "test-registered") {
		t.Errorf("Names() = %v lacks the registered model", Names())
	}
	m, err := New("test-registered", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || m.Name != "test-registered" || m.Batch() != 2 {
		t.Errorf("calls %d, name %q, batch %d", calls, m.Name, m.Batch())
	}
	for _, c := range []struct {
		name string
		b    Builder
		want string
	}{
		{"test-registered", b, "already registered"},
		{"mlp", b, "already registered"},
		{"", b, "cannot register"},
		{" x", b, "cannot register"},
		{"nil", nil, "no builder"},
	} {
		if err := Register(c.name, c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Register(%q): %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := New("nope", 1, 1); err == nil || !strings.Contains(err.Error(), "known: ") {
		t.Errorf("unknown model: %v", err)
	}
}
