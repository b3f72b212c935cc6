package train

import (
	"fmt"

	"github.com/gaborlab/gabor/graph"
)

// GraphOptimizer maps the config to the optimizer the compiler fuses into the
// training program. The rate is not part of it: the loop writes the rate of
// each step into the program's Hyper buffer (see Config.RateAt).
func (c *Config) GraphOptimizer() *graph.Optimizer {
	o := &graph.Optimizer{Kind: c.Optimizer, WeightDecay: float32(c.WeightDecay)}
	switch c.Optimizer {
	case OptimizerSGD:
		o.Momentum = float32(c.Momentum)
		o.Nesterov = c.Nesterov
	case OptimizerAdam:
		o.Beta1, o.Beta2, o.Eps = float32(c.Beta1), float32(c.Beta2), float32(c.Eps)
	case OptimizerAdagrad, OptimizerRMSprop:
		o.Eps = float32(c.Eps)
	}
	return o
}

// stateNames are the names of the optimizer state buffers of one parameter, in
// the order of kernels.ParamSlot.State; checkpoints store them as
// "optim.<state>.<param>" (e.g. "optim.momentum.fc1.weight"), the names the
// compiler gives the buffers.
func stateNames(optimizer string) []string {
	switch optimizer {
	case OptimizerAdam:
		return []string{"m", "v"}
	case OptimizerAdagrad:
		return []string{"sum"}
	case OptimizerRMSprop:
		return []string{"square_avg"}
	default:
		return []string{"momentum"}
	}
}

func stateKey(state, param string) string { return "optim." + state + "." + param }

// checkStates verifies that a compiled program has the state buffers the
// checkpoint format expects for the optimizer.
func checkStates(optimizer string, param string, n int) error {
	if want := len(stateNames(optimizer)); n != want {
		return fmt.Errorf("train: parameter %q has %d optimizer state buffers, %s needs %d", param, n, optimizer, want)
	}
	return nil
}
