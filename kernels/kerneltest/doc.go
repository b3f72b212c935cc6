// Package kerneltest is the conformance suite of gabor's kernel backends:
// every backend runs the same cases and is held to the float64 reference
// of package cpu (cpu.Reference).
//
// A Case is one instruction (op, args, operand sizes and how to fill them,
// a tolerance). Each kernel family registers its cases with Register from
// an init in its own file; Run walks every family as subtests:
//
//	func TestConformance(t *testing.T) { kerneltest.Run(t, backend) }
//
// For each case the suite builds a one-instruction Program whose operands
// sit between NaN-filled guard buffers at odd offsets, fills the inputs from
// a generator seeded by the test name (integer labels, valid activation
// outputs, control values), fills the outputs with NaN (or, for ops that
// accumulate, with data the reference also sees), runs the instruction and
// checks that
//
//   - every output is within |got − want| ≤ Atol + Rtol·|want| of the
//     reference, reporting the worst element and how many are off;
//   - every guard is still NaN;
//   - every input is bit-for-bit unchanged, except the ones the op updates
//     in place (optimizers), which are checked against the reference's update.
//
// Bench times each family at the shapes of the canonical models (batch 128)
// and reports GFLOP/s or GB/s.
package kerneltest
