package main

import (
	"strings"
	"testing"
)

func TestTrainFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantErr  string // substring of the error; "" for success
		wantCode int    // exit code of the error
		check    func(t *testing.T, o *trainOptions)
	}{
		{
			name: "defaults are the canonical recipe",
			args: nil,
			check: func(t *testing.T, o *trainOptions) {
				c := o.config()
				if c.Model != "lenet" || c.Epochs != 3 || c.Batch != 128 || c.Optimizer != "sgd" ||
					c.Momentum != 0.9 || c.Schedule != "constant" || c.Seed != 1 || c.Device != "auto" {
					t.Errorf("defaults: %+v", c)
				}
				if c.LR != 0.05 {
					t.Errorf("lenet default lr = %g, want 0.05", c.LR)
				}
				if o.Config.Dataset != "" || o.JSON || o.Resume != "" {
					t.Errorf("dataset %q json %v resume %q: want unset", o.Config.Dataset, o.JSON, o.Resume)
				}
			},
		},
		{
			name: "convnet's canonical lr",
			args: []string{"--model", "convnet"},
			check: func(t *testing.T, o *trainOptions) {
				if lr := o.config().LR; lr != 0.02 {
					t.Errorf("convnet lr = %g, want 0.02", lr)
				}
			},
		},
		{
			name: "adam's default lr",
			args: []string{"--optimizer", "adam"},
			check: func(t *testing.T, o *trainOptions) {
				if lr := o.config().LR; lr != 0.001 {
					t.Errorf("adam lr = %g, want 0.001", lr)
				}
			},
		},
		{
			name: "every flag",
			args: []string{"--model", "mlp", "--dataset", "Fashion-MNIST", "--data", "/tmp/fm", "--epochs", "7",
				"--batch", "64", "--lr", "0.1", "--momentum", "0.5", "--nesterov", "--weight-decay", "1e-4",
				"--schedule", "cosine", "--warmup-steps", "10", "--seed", "42", "--device", "cpu", "--out", "runs/x",
				"--limit", "6400", "--test-limit", "1000", "--init-from", "w.bin", "--eval-every", "2",
				"--loss-every", "5", "--json"},
			check: func(t *testing.T, o *trainOptions) {
				c := o.config()
				if c.Model != "mlp" || c.Dataset != "fashion-mnist" || c.DataDir != "/tmp/fm" || c.Epochs != 7 ||
					c.Batch != 64 || c.LR != 0.1 || c.Momentum != 0.5 || !c.Nesterov || c.WeightDecay != 1e-4 ||
					c.Schedule != "cosine" || c.WarmupSteps != 10 || c.Seed != 42 || c.Device != "cpu" ||
					c.Out != "runs/x" || c.Limit != 6400 || c.TestLimit != 1000 || c.InitFrom != "w.bin" ||
					c.EvalEvery != 2 || c.LossEvery != 5 || !o.JSON {
					t.Errorf("config: %+v json=%v", c, o.JSON)
				}
			},
		},
		{
			name: "resume with the flags it allows",
			args: []string{"--resume", "runs/a", "--epochs", "5", "--device", "cpu", "--json"},
			check: func(t *testing.T, o *trainOptions) {
				if o.Resume != "runs/a" || !o.Set["epochs"] || !o.Set["device"] || o.Set["model"] {
					t.Errorf("resume %q set %v", o.Resume, o.Set)
				}
			},
		},
		{name: "unknown model", args: []string{"--model", "resnet"}, wantErr: `unknown model "resnet"`, wantCode: exitUsage},
		{name: "unknown dataset", args: []string{"--dataset", "cifar"}, wantErr: `unknown dataset "cifar"`, wantCode: exitUsage},
		{name: "unknown device", args: []string{"--device", "tpu"}, wantErr: `unknown device "tpu"`, wantCode: exitUsage},
		{name: "negative epochs", args: []string{"--epochs", "-2"}, wantErr: "epochs must be at least 1", wantCode: exitUsage},
		{name: "zero epochs", args: []string{"--epochs", "0"}, wantErr: "epochs must be at least 1", wantCode: exitUsage},
		{name: "batch 0", args: []string{"--batch", "0"}, wantErr: "batch must be at least 1", wantCode: exitUsage},
		{name: "epochs not a number", args: []string{"--epochs", "three"}, wantErr: "three", wantCode: exitUsage},
		{name: "unknown flag", args: []string{"--epoch", "3"}, wantErr: "unknown flag: --epoch", wantCode: exitUsage},
		{name: "negative lr", args: []string{"--lr", "-0.1"}, wantErr: "--lr must be positive", wantCode: exitUsage},
		{name: "momentum 1", args: []string{"--momentum", "1"}, wantErr: "momentum must be in [0, 1)", wantCode: exitUsage},
		{name: "unknown optimizer", args: []string{"--optimizer", "lbfgs"}, wantErr: `unknown optimizer "lbfgs"`, wantCode: exitUsage},
		{name: "unknown schedule", args: []string{"--schedule", "step"}, wantErr: `unknown schedule "step"`, wantCode: exitUsage},
		{name: "nesterov with adam", args: []string{"--optimizer", "adam", "--nesterov"}, wantErr: "nesterov", wantCode: exitUsage},
		{name: "limit below one batch", args: []string{"--limit", "100"}, wantErr: "limit 100 is smaller than one batch of 128", wantCode: exitUsage},
		{name: "negative limit", args: []string{"--limit", "-1"}, wantErr: "limit must be", wantCode: exitUsage},
		{name: "synthetic read from a dir", args: []string{"--dataset", "synthetic", "--data", "/tmp/x"}, wantErr: "--data cannot be used with --dataset synthetic", wantCode: exitUsage},
		{name: "positional argument", args: []string{"lenet"}, wantErr: "takes no arguments", wantCode: exitUsage},
		{name: "serve address without =", args: []string{"--serve", "127.0.0.1:8089"}, wantErr: "--serve takes its value after '=': --serve=127.0.0.1:8089", wantCode: exitUsage},
		{name: "resume with model", args: []string{"--resume", "runs/a", "--model", "mlp"}, wantErr: "--model cannot be combined", wantCode: exitUsage},
		{name: "resume with lr and out", args: []string{"--resume", "runs/a", "--lr", "0.1", "--out", "runs/b"}, wantErr: "--lr, --out cannot be combined", wantCode: exitUsage},
		{name: "resume with init-from", args: []string{"--resume", "runs/a", "--init-from", "w.bin"}, wantErr: "--init-from cannot be combined", wantCode: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *trainOptions
			cmd := newCmdTrain(f, func(o *trainOptions) error { got = o; return nil })
			err := parse(cmd, tt.args...)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want one containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				if code := exitCode(err); code != tt.wantCode {
					t.Errorf("exit code %d, want %d", code, tt.wantCode)
				}
				if got != nil {
					t.Errorf("run called despite the error")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got == nil {
				t.Fatal("run not called")
			}
			tt.check(t, got)
		})
	}
}
