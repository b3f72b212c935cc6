package main

import (
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
)

// TestOwnDataFlags: argument parsing of predict, data convert, and the own-data flags
// of train and data info.
func TestOwnDataFlags(t *testing.T) {
	tests := []struct {
		name    string
		cmd     string // predict, convert, train, info
		args    []string
		wantErr string
		check   func(t *testing.T, o any)
	}{
		{name: "predict defaults", cmd: "predict", args: []string{"runs/x", "a.png", "dir"}, check: func(t *testing.T, o any) {
			p := o.(*predictOptions)
			if p.Run != "runs/x" || strings.Join(p.Inputs, ",") != "a.png,dir" || p.Top != 3 || p.JSON || p.Explain != "" || p.rule != graph.RuleGuided || p.Batch != 64 {
				t.Errorf("%+v", p)
			}
		}},
		{name: "predict all flags", cmd: "predict", args: []string{"r", "x.npy", "--top", "5", "--json", "--explain", "figs", "--rule", "gradient", "--device", "cpu", "--batch", "8", "--no-resize"},
			check: func(t *testing.T, o any) {
				p := o.(*predictOptions)
				if p.Top != 5 || !p.JSON || p.Explain != "figs" || p.rule != graph.RuleGradient || p.Device != "cpu" || p.Batch != 8 || !p.NoResize {
					t.Errorf("%+v", p)
				}
			}},
		{name: "predict without input", cmd: "predict", args: []string{"runs/x"}, wantErr: "at least one input"},
		{name: "predict bad top", cmd: "predict", args: []string{"r", "a.png", "--top", "0"}, wantErr: "--top must be at least 1"},
		{name: "predict deconvnet rule", cmd: "predict", args: []string{"r", "a.png", "--rule", "deconvnet"}, wantErr: "--rule must be one of gradient, guided"},
		{name: "predict bad device", cmd: "predict", args: []string{"r", "a.png", "--device", "tpu"}, wantErr: `unknown device "tpu"`},
		{name: "convert", cmd: "convert", args: []string{"./pngs", "out", "--gzip", "--test-fraction", "0.1", "--split-seed", "4", "--no-resize"}, check: func(t *testing.T, o any) {
			c := o.(*dataConvertOptions)
			if c.Path != "./pngs" || c.Name != "" || c.Out != "out" || !c.Gzip || c.Source.TestFraction != 0.1 || c.Source.SplitSeed != 4 || !c.Source.NoResize {
				t.Errorf("%+v", c)
			}
		}},
		{name: "convert a name", cmd: "convert", args: []string{"Synthetic", "out"}, check: func(t *testing.T, o any) {
			if c := o.(*dataConvertOptions); c.Name != "synthetic" || c.Path != "" {
				t.Errorf("%+v", c)
			}
		}},
		{name: "convert one argument", cmd: "convert", args: []string{"x.npz"}, wantErr: "takes a source (NAME or PATH) and OUT_DIR"},
		{name: "convert bad fraction", cmd: "convert", args: []string{"x.npz", "o", "--test-fraction", "1.5"}, wantErr: "test fraction must be in"},
		{name: "train normalize data", cmd: "train", args: []string{"--data", "x.npz", "--normalize", "data"}, check: func(t *testing.T, o any) {
			if tr := o.(*trainOptions); tr.Normalize != "data" || tr.Config.DataDir != "x.npz" {
				t.Errorf("%+v", tr)
			}
		}},
		{name: "train normalize mean,std", cmd: "train", args: []string{"--normalize", "0.13,0.31", "--test-fraction", "0.25"}, check: func(t *testing.T, o any) {
			if tr := o.(*trainOptions); tr.Normalize != "0.13,0.31" || tr.Config.Source.TestFraction != 0.25 {
				t.Errorf("%+v", tr)
			}
		}},
		{name: "train bad normalize", cmd: "train", args: []string{"--normalize", "zscore"}, wantErr: "want data, fashion-mnist, none or MEAN,STD"},
		{name: "train zero std", cmd: "train", args: []string{"--normalize", "0.5,0"}, wantErr: "STD > 0"},
		{name: "train format without data", cmd: "train", args: []string{"--dataset", "numpy"}, wantErr: "needs --data PATH"},
		{name: "info path", cmd: "info", args: []string{"./pngs", "--no-resize"}, check: func(t *testing.T, o any) {
			if i := o.(*dataInfoOptions); i.DataDir != "./pngs" || i.Name != "" || !i.Source.NoResize {
				t.Errorf("%+v", i)
			}
		}},
		{name: "info path and --data", cmd: "info", args: []string{"./pngs", "--data", "other"}, wantErr: "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got any
			var err error
			switch tt.cmd {
			case "predict":
				err = parse(newCmdPredict(f, func(o *predictOptions) error { got = o; return nil }), tt.args...)
			case "convert":
				err = parse(newCmdDataConvert(f, func(o *dataConvertOptions) error { got = o; return nil }), tt.args...)
			case "train":
				err = parse(newCmdTrain(f, func(o *trainOptions) error { got = o; return nil }), tt.args...)
			case "info":
				err = parse(newCmdDataInfo(f, func(o *dataInfoOptions) error { got = o; return nil }), tt.args...)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if code := exitCode(err); code != exitUsage {
					t.Errorf("exit code %d, want %d", code, exitUsage)
				}
				if got != nil {
					t.Error("run called despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}
