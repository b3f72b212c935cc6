package train

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
)

// referenceLog reads a reference program's log (models/testdata/<model>.pytorch.log,
// see models/anchor_test.go for the command): per-step losses, per-epoch train
// losses and the final test accuracy.
func referenceLog(t *testing.T, path string) (steps, epochs []float64, acc float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(strings.TrimRight(s, ","), 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		switch {
		case len(w) == 4 && w[0] == "step":
			steps = append(steps, num(w[3]))
		case len(w) > 0 && strings.HasPrefix(w[0], "epoch") && strings.Contains(sc.Text(), "train loss"):
			for i := range w {
				if w[i] == "loss" {
					epochs = append(epochs, num(w[i+1]))
				}
				if w[i] == "acc" {
					acc = num(w[i+1])
				}
			}
		}
	}
	return steps, epochs, acc
}

// TestMatchesReference trains from the reference program's initial weights
// (--init-from) on the first 1280 Fashion-MNIST images for two epochs, and
// checks that every step's loss, each epoch's mean loss and the test accuracy
// are PyTorch's: the loop sees the same batches in the same order (seed+epoch
// from epoch 0) and applies the same update.
func TestMatchesReference(t *testing.T) {
	ds, err := data.Load("fashion-mnist", "", data.LoadOptions{TestLimit: 1000})
	if err != nil {
		t.Fatalf("this test needs Fashion-MNIST (apt-get install dataset-fashion-mnist; .ci/run installs it): %v", err)
	}
	for _, model := range []string{"mlp", "lenet"} {
		t.Run(model, func(t *testing.T) {
			steps, epochs, acc := referenceLog(t, filepath.Join("..", "models", "testdata", model+".pytorch.log"))
			if len(steps) != 20 || len(epochs) != 2 {
				t.Fatalf("reference log: %d steps, %d epochs", len(steps), len(epochs))
			}
			cfg := smallConfig(t, model, 1280, 2)
			cfg.Dataset = "fashion-mnist"
			cfg.InitFrom = filepath.Join("..", "models", "testdata", model+".init.anchorw1")
			var got []float64
			hook := Hook{Every: 1, Fn: func(s *Snapshot) error {
				l, _, err := s.Read("loss")
				got = append(got, float64(l[0]))
				return err
			}}
			res, err := Run(context.Background(), cfg, ds, RunOptions{Hooks: []Hook{hook}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range steps {
				if r := math.Abs(got[i]-steps[i]) / steps[i]; r > 1e-4 {
					t.Errorf("step %d: loss %.6f, reference %.6f", i+1, got[i], steps[i])
				}
			}
			recs, err := readRecords(cfg.Out)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range epochs {
				if math.Abs(recs[i].TrainLoss-want) > 1e-4 { // the log has 4 decimals
					t.Errorf("epoch %d: train loss %.5f, reference %.4f", i+1, recs[i].TrainLoss, want)
				}
			}
			if math.Abs(res.TestAcc-acc) > 0.0025 { // ≤ 2 of 1000 predictions may flip on rounding
				t.Errorf("test accuracy %.4f, reference %.4f", res.TestAcc, acc)
			}
			t.Logf("%s: 20 steps within 1e-4 of PyTorch; test acc %.4f (reference %.4f)", model, res.TestAcc, acc)
		})
	}
}
