package introspect

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// trainedRun trains model for one short epoch on Fashion-MNIST (or, where
// its files are not installed, the built-in synthetic digits: the checks
// below hold for both) and returns the run and its training set.
func trainedRun(t *testing.T, model string, limit int) (*runs.Run, *data.Set) {
	t.Helper()
	name := "fashion-mnist"
	ds, err := data.Load(name, "", data.LoadOptions{TrainLimit: limit, TestLimit: 500})
	if errors.Is(err, data.ErrNotFound) {
		name = data.SyntheticName
		ds, err = data.Load(name, "", data.LoadOptions{SyntheticTrain: limit, SyntheticTest: 500})
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig(model)
	cfg.Dataset, cfg.Epochs, cfg.Limit, cfg.TestLimit, cfg.Device = name, 1, limit, 500, "cpu"
	cfg.Out = filepath.Join(t.TempDir(), model)
	if _, err := train.Run(context.Background(), cfg, ds, train.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	run, err := runs.OpenRun(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	return run, ds.Train
}

// The images a query produces must look like their class: correlated with
// the class's mean training image more than with the other classes' means.
func TestQueryImagesResembleTheirClass(t *testing.T) {
	for _, c := range []struct {
		model, method string
		limit         int
	}{
		{"mlp-sigmoid", QueryInverse, 6000},
		{"lenet", QueryOptimize, 6000},
	} {
		run, trainSet := trainedRun(t, c.model, c.limit)
		res, err := Query(run, QueryOptions{Method: c.method, Step: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Images) != trainSet.Classes || res.Approximate {
			t.Fatalf("%s %s: %d images, approximate %v; want %d exact", c.model, c.method, len(res.Images), res.Approximate, trainSet.Classes)
		}
		own, other, matched := ClassCorrelation(res.Images, res.Labels, ClassMeans(trainSet))
		t.Logf("%s %s: mean correlation with own class mean %.3f, with the others' %.3f; %d/10 best matched", c.model, c.method, own, other, matched)
		if own <= other+0.05 {
			t.Errorf("%s %s: correlation with own class mean %.3f does not beat the others' %.3f", c.model, c.method, own, other)
		}
		if _, err := QueryFigure(res, QueryTitle(res)); err != nil {
			t.Error(err)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	run, _ := trainedRun(t, "mlp-sigmoid", 1280)
	_, err := Query(run, QueryOptions{Method: QueryInverse, Step: -1, Labels: []int{10}})
	var le *LabelError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "0 to 9") {
		t.Errorf("label 10: err = %v, want a LabelError naming the range", err)
	}
	if _, err := Query(run, QueryOptions{Method: "dream", Step: -1}); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := Deconv(run, DeconvOptions{Step: -1}); err == nil || !strings.Contains(err.Error(), "no convolution") {
		t.Errorf("deconv of an MLP: err = %v, want one saying it has no convolution", err)
	}
}
