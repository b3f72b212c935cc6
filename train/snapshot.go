package train

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/models"
)

// Two Config fields serve introspection (package introspect):
//
//   - Conv1 sets the first convolution's kernel size of lenet or convnet (odd,
//     the padding keeps 28×28; 0 keeps the model's own), e.g. 7 or 9, where
//     first-layer filters have room to become Gabor-like. It changes the
//     model, so it is part of the run (Resume and Evaluate rebuild with it).
//   - Snapshot is the rate at which `gabor train` saves the weights that the
//     figures are drawn from, as "every=N[steps|epochs]" ("" or "off": none).
//     It is saved with the run so a resumed run keeps the same rate. The
//     writer lives in package introspect; train only checks the spelling.

// SnapshotSpec is a parsed Config.Snapshot.
type SnapshotSpec struct {
	Every  int  // N
	Epochs bool // N counts epochs (else steps)
}

// Off reports whether no snapshots are taken.
func (s SnapshotSpec) Off() bool { return s.Every == 0 }

// String writes the spec back in the flag's syntax ("every=1epochs", "off").
func (s SnapshotSpec) String() string {
	if s.Off() {
		return "off"
	}
	unit := "steps"
	if s.Epochs {
		unit = "epochs"
	}
	return "every=" + strconv.Itoa(s.Every) + unit
}

// DefaultSnapshot is the rate `gabor train` uses unless told otherwise: after
// every epoch, which costs one small write per epoch.
const DefaultSnapshot = "every=1epochs"

// ParseSnapshotSpec parses "every=N[steps|epochs]" (also step, epoch; a bare
// N counts steps), or "" / "off" / "none" for no snapshots.
func ParseSnapshotSpec(s string) (SnapshotSpec, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" || t == "off" || t == "none" {
		return SnapshotSpec{}, nil
	}
	rest, ok := strings.CutPrefix(t, "every=")
	if !ok {
		return SnapshotSpec{}, fmt.Errorf("snapshot %q: want every=N[steps|epochs] or off", s)
	}
	var spec SnapshotSpec
	for _, u := range []struct {
		suffix string
		epochs bool
	}{{"epochs", true}, {"epoch", true}, {"steps", false}, {"step", false}} {
		if r, ok := strings.CutSuffix(rest, u.suffix); ok {
			rest, spec.Epochs = r, u.epochs
			break
		}
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 {
		return SnapshotSpec{}, fmt.Errorf("snapshot %q: N must be a positive integer (every=N[steps|epochs])", s)
	}
	spec.Every = n
	return spec, nil
}

// validateIntrospection checks Conv1 and Snapshot for Validate.
func (c *Config) validateIntrospection() []string {
	var errs []string
	if _, err := ParseSnapshotSpec(c.Snapshot); err != nil {
		errs = append(errs, err.Error())
	}
	if c.Conv1 != 0 {
		if c.Conv1 < 1 || c.Conv1%2 == 0 || c.Conv1 > 27 {
			errs = append(errs, fmt.Sprintf("conv1 must be an odd kernel size from 1 to 27 (got %d)", c.Conv1))
		} else if _, err := models.NewWith(c.Model, 1, 0, models.Options{Conv1: c.Conv1}); err != nil && strings.Contains(err.Error(), "conv1") {
			errs = append(errs, fmt.Sprintf("conv1 %d: model %s has no convolution to resize (lenet and convnet have)", c.Conv1, c.Model))
		}
	}
	return errs
}
