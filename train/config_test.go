package train

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	for _, m := range []string{"mlp", "lenet", "convnet"} {
		c := DefaultConfig(m)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: default config invalid: %v", m, err)
		}
		if c.Batch != 128 || c.Momentum != 0.9 || c.Optimizer != "sgd" || c.Seed != 1 || c.Schedule != "constant" {
			t.Errorf("%s: not the canonical recipe: %+v", m, c)
		}
	}
	if lr := DefaultConfig("convnet").LR; lr != 0.02 {
		t.Errorf("convnet lr %g, want 0.02", lr)
	}
	if lr := DefaultConfig("lenet").LR; lr != 0.05 {
		t.Errorf("lenet lr %g, want 0.05", lr)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string // in the error; "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"adam", func(c *Config) { c.Optimizer, c.LR = "adam", 1e-3 }, ""},
		{"nesterov", func(c *Config) { c.Nesterov = true }, ""},
		{"cosine", func(c *Config) { c.Schedule = "cosine" }, ""},
		{"fashion", func(c *Config) { c.Dataset = "fashion-mnist" }, ""},
		{"unknown model", func(c *Config) { c.Model = "resnet" }, `unknown model "resnet"`},
		{"unknown dataset", func(c *Config) { c.Dataset = "imagenet" }, `unknown dataset "imagenet"`},
		{"negative epochs", func(c *Config) { c.Epochs = -2 }, "epochs must be at least 1 (got -2)"},
		{"zero epochs", func(c *Config) { c.Epochs = 0 }, "epochs must be at least 1 (got 0)"},
		{"batch 0", func(c *Config) { c.Batch = 0 }, "batch must be at least 1 (got 0)"},
		{"negative limit", func(c *Config) { c.Limit = -1 }, "limit must be 0"},
		{"limit below batch", func(c *Config) { c.Limit = 100 }, "smaller than one batch"},
		{"negative test limit", func(c *Config) { c.TestLimit = -5 }, "test limit"},
		{"unknown optimizer", func(c *Config) { c.Optimizer = "lion" }, `unknown optimizer "lion"`},
		{"momentum 1", func(c *Config) { c.Momentum = 1 }, "momentum must be in [0, 1)"},
		{"negative momentum", func(c *Config) { c.Momentum = -0.1 }, "momentum must be in [0, 1)"},
		{"nesterov without momentum", func(c *Config) { c.Nesterov, c.Momentum = true, 0 }, "nesterov needs a momentum"},
		{"nesterov with adam", func(c *Config) { c.Optimizer, c.Nesterov = "adam", true }, "nesterov applies to sgd only"},
		{"adam beta1", func(c *Config) { c.Optimizer, c.Beta1 = "adam", 1 }, "beta1"},
		{"adam beta2", func(c *Config) { c.Optimizer, c.Beta2 = "adam", 0 }, "beta2"},
		{"adam eps", func(c *Config) { c.Optimizer, c.Eps = "adam", 0 }, "eps"},
		{"lr 0", func(c *Config) { c.LR = 0 }, "lr must be a positive number"},
		{"lr NaN", func(c *Config) { c.LR = math.NaN() }, "lr must be a positive number"},
		{"lr Inf", func(c *Config) { c.LR = math.Inf(1) }, "lr must be a positive number"},
		{"weight decay", func(c *Config) { c.WeightDecay = -1e-4 }, "weight decay"},
		{"unknown schedule", func(c *Config) { c.Schedule = "step" }, `unknown schedule "step"`},
		{"warmup", func(c *Config) { c.WarmupSteps = -1 }, "warmup"},
		{"unknown device", func(c *Config) { c.Device = "tpu" }, `unknown device "tpu"`},
		{"eval every", func(c *Config) { c.EvalEvery = -1 }, "eval-every"},
		{"loss every", func(c *Config) { c.LossEvery = 0 }, "loss-every"},
	}
	for _, tc := range cases {
		c := DefaultConfig("mlp")
		tc.edit(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: no error", tc.name)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateReportsAll(t *testing.T) {
	c := DefaultConfig("mlp")
	c.Epochs, c.Batch, c.Model = -1, 0, "nope"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"epochs", "batch", `model "nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestConfigJSON(t *testing.T) {
	c := DefaultConfig("lenet")
	c.Nesterov, c.Schedule, c.Limit, c.Seed = true, "onecycle", 1280, 1<<63+5
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeConfig(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Errorf("round trip changed the config:\n got %+v\nwant %+v", got, c)
	}
	if _, err := DecodeConfig([]byte(`{"model":"mlp","lr_typo":1}`), "x.json"); err == nil || !strings.Contains(err.Error(), "lr_typo") {
		t.Errorf("unknown field not reported: %v", err)
	}
	bad := strings.Replace(string(b), `"batch":128`, `"batch":0`, 1)
	if _, err := DecodeConfig([]byte(bad), "x.json"); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("invalid stored config not reported: %v", err)
	}
}

func TestGraphOptimizer(t *testing.T) {
	c := DefaultConfig("mlp")
	c.Nesterov, c.WeightDecay = true, 5e-4
	o := c.GraphOptimizer()
	if o.Kind != "sgd" || o.Momentum != 0.9 || !o.Nesterov || o.WeightDecay != float32(5e-4) {
		t.Errorf("sgd: %+v", o)
	}
	c = DefaultConfig("mlp")
	c.Optimizer, c.Beta1, c.Beta2, c.Eps = "adam", 0.8, 0.99, 1e-7
	o = c.GraphOptimizer()
	if o.Kind != "adam" || o.Beta1 != 0.8 || o.Beta2 != 0.99 || o.Eps != float32(1e-7) || o.Momentum != 0 {
		t.Errorf("adam: %+v", o)
	}
}
