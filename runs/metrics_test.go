package runs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/train"
)

// Metrics reads what a run appended, leaves out a torn last line, names the
// file and line of a bad one, and reads a run without metrics as none.
func TestMetrics(t *testing.T) {
	dir := t.TempDir()
	if recs, err := Metrics(dir); err != nil || recs != nil {
		t.Errorf("no metrics.jsonl: %v, %v", recs, err)
	}
	path := filepath.Join(dir, train.MetricsFile)
	good := `{"event":"epoch","epoch":1,"train_loss":0.5}` + "\n" + `{"event":"epoch","epoch":2,"train_loss":0.25}` + "\n"
	if err := os.WriteFile(path, []byte(good+`{"event":"epoch","epoch":3,"tra`), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := Metrics(dir)
	if err != nil || len(recs) != 2 || recs[1].Epoch != 2 || recs[1].TrainLoss != 0.25 {
		t.Errorf("two records and a torn line: %+v, %v", recs, err)
	}
	if err := os.WriteFile(path, []byte("{\"epoch\":1}\nnot json\n"+good), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Metrics(dir)
	if err == nil || !strings.HasPrefix(err.Error(), "runs: "+path+" line 2:") {
		t.Errorf("bad line 2: %v", err)
	}
}
