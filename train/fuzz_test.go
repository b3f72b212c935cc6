package train

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeConfig: any config.json decodes to a valid Config or fails with
// an error; a decoded one survives a round trip through JSON unchanged.
func FuzzDecodeConfig(f *testing.F) {
	for _, m := range []string{"mlp", "lenet"} {
		b, _ := json.Marshal(DefaultConfig(m))
		f.Add(b)
	}
	f.Add([]byte(`{"model":"mlp","epochs":-1}`))
	f.Add([]byte(`{"model":"lenet","conv1":7,"snapshot":"every=3steps","lr":1e308}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeConfig(b, "fuzz")
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("decoded config does not validate: %v", err)
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := DecodeConfig(again, "again")
		if err != nil || c2 != c {
			t.Fatalf("round trip: %+v, %v; want %+v", c2, err, c)
		}
	})
}

// FuzzParseSnapshotSpec: any --snapshot text parses or fails cleanly; what
// parses prints back to a spelling that parses to the same spec.
func FuzzParseSnapshotSpec(f *testing.F) {
	for _, s := range []string{"every=1epochs", "every=20steps", "every=5", "off", "", "every=0", "every=-3step", "EVERY=2Epoch", "every=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSnapshotSpec(s)
		if err != nil {
			return
		}
		if spec.Every < 0 {
			t.Fatalf("%q: every %d", s, spec.Every)
		}
		back, err := ParseSnapshotSpec(spec.String())
		if err != nil || back != spec {
			t.Fatalf("%q → %v → %q → %v, %v", s, spec, spec.String(), back, err)
		}
	})
}
