package bench

import (
	"errors"
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	ok := func() Options {
		return Options{Models: []string{"mlp"}, Devices: []string{"cpu"}, Batches: []int{128}, Epochs: 1, Repeat: 1}
	}
	tests := []struct {
		name  string
		edit  func(*Options)
		want  string // "" : valid
		isDev bool
	}{
		{"valid", func(o *Options) {}, "", false},
		{"unknown model", func(o *Options) { o.Models = []string{"resnet"} }, `unknown model "resnet" (known:`, false},
		{"no model", func(o *Options) { o.Models = nil }, "no model given", false},
		{"batch 0", func(o *Options) { o.Batches = []int{128, 0} }, "batch sizes must be at least 1 (got 0)", false},
		{"batch above limit", func(o *Options) { o.Limit = 100 }, "--batch 128 is larger than --limit 100", false},
		{"epochs 0", func(o *Options) { o.Epochs = 0 }, "--epochs must be at least 1", false},
		{"negative warmup", func(o *Options) { o.Warmup = -1 }, "--warmup must be 0 or more", false},
		{"repeat 0", func(o *Options) { o.Repeat = 0 }, "--repeat must be at least 1", false},
		{"duplicate batch", func(o *Options) { o.Batches = []int{32, 32} }, "32 is listed twice", false},
		{"unknown device", func(o *Options) { o.Devices = []string{"tpu"} }, `unknown device "tpu"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok()
			tt.edit(&o)
			err := o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.want)
			}
			var de *DeviceError
			if errors.As(err, &de) != tt.isDev {
				t.Errorf("errors.As(DeviceError) = %v, want %v", !tt.isDev, tt.isDev)
			}
		})
	}
}

func TestOptionsValidateReportsAll(t *testing.T) {
	o := Options{Models: []string{"x"}, Devices: []string{"cpu"}, Batches: []int{0}, Epochs: 0, Repeat: 1}
	err := o.Validate()
	for _, want := range []string{"unknown model", "batch sizes", "--epochs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
}

func TestParseTorchOutput(t *testing.T) {
	out := "progress line\n" + `{"impl":"pytorch","torch":"1.13","threads":2,"results":[{"model":"mlp","device":"cpu","batch":128,"images_per_epoch":256,"epoch_s":[0.5,0.25]}],"errors":[{"device":"cuda","error":"no GPU"}]}` + "\n"
	got, err := parseTorchOutput([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if got.Torch != "1.13" || len(got.Results) != 1 || got.Results[0].Batch != 128 || len(got.Results[0].EpochS) != 2 {
		t.Errorf("parsed %+v", got)
	}
	if len(got.Errors) != 1 || got.Errors[0].Device != "cuda" {
		t.Errorf("errors = %+v", got.Errors)
	}
	if _, err := parseTorchOutput([]byte("Traceback ...\n")); err == nil {
		t.Error("no JSON line: want an error")
	}
}
