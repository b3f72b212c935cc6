package train

import (
	"strings"
	"testing"
)

func TestParseSnapshotSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SnapshotSpec
		str  string
		err  bool
	}{
		{"", SnapshotSpec{}, "off", false},
		{"off", SnapshotSpec{}, "off", false},
		{"every=1epochs", SnapshotSpec{1, true}, "every=1epochs", false},
		{"every=2epoch", SnapshotSpec{2, true}, "every=2epochs", false},
		{"EVERY=100steps", SnapshotSpec{100, false}, "every=100steps", false},
		{"every=7", SnapshotSpec{7, false}, "every=7steps", false},
		{"every=0steps", SnapshotSpec{}, "", true},
		{"every=-1", SnapshotSpec{}, "", true},
		{"every=xsteps", SnapshotSpec{}, "", true},
		{"10steps", SnapshotSpec{}, "", true},
	} {
		got, err := ParseSnapshotSpec(tc.in)
		if (err != nil) != tc.err || got != tc.want || (!tc.err && got.String() != tc.str) {
			t.Errorf("%q: %+v (%s), %v", tc.in, got, got.String(), err)
		}
	}
}

func TestValidateIntrospectionFields(t *testing.T) {
	for _, tc := range []struct {
		model, snap string
		conv1       int
		want        string
	}{
		{"lenet", DefaultSnapshot, 7, ""},
		{"convnet", "every=10steps", 9, ""},
		{"lenet", "", 0, ""},
		{"lenet", "", 4, "conv1 must be an odd kernel size"},
		{"lenet", "", 29, "conv1 must be an odd kernel size"},
		{"mlp", "", 7, "model mlp has no convolution"},
		{"lenet", "sometimes", 0, "want every=N[steps|epochs]"},
	} {
		c := DefaultConfig(tc.model)
		c.Snapshot, c.Conv1 = tc.snap, tc.conv1
		err := c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s conv1 %d snapshot %q: %v, want %q", tc.model, tc.conv1, tc.snap, err, tc.want)
		}
	}
}
