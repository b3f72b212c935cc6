package train

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
)

// --limit beyond the data: the run says so on its log and records the limit it
// used (config.json and the checkpoint), so a resume sees the same run.
func TestLimitBeyondDataIsRecorded(t *testing.T) {
	ds, err := data.Synthetic(3, 256, 100)
	if err != nil {
		t.Fatal(err)
	}
	cfg := smallConfig(t, "mlp", 1000, 1)
	cfg.TestLimit = 5000
	var log bytes.Buffer
	if _, err := Run(context.Background(), cfg, ds, RunOptions{Log: &log}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"limit 1000 is more than the 256 training images", "test limit 5000 is more than the 100 test images"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not say %q:\n%s", want, log.String())
		}
	}
	got, err := ReadConfig(filepath.Join(cfg.Out, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if got.Limit != 256 || got.TestLimit != 100 {
		t.Errorf("config.json records limit %d, test limit %d; want 256, 100 (what was used)", got.Limit, got.TestLimit)
	}
	ck, err := ReadCheckpoint(filepath.Join(cfg.Out, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Limit != 256 {
		t.Errorf("checkpoint records limit %d, want 256", ck.Config.Limit)
	}
	if _, err := Resume(context.Background(), cfg.Out, RunOptions{Epochs: 2, Dataset: ds}); err != nil {
		t.Errorf("resume of the clamped run: %v", err)
	}
}
