// Package cuda is gabor's GPU backend: the kernels of every op family of
// kernels.Op written in CUDA C (the *.cu files beside this one), compiled to
// PTX by `make kernels` and embedded, and Go launchers that run a Program's
// instructions through the CUDA driver API (gorgonia.org/cu).
//
// The backend builds only with the `gpu` build tag, which needs cuda.h and
// libcuda (scripts/install-cuda.sh headers); without the tag the package
// holds just the launchers' shape arithmetic (shapes.go), tested in CI. gorgonia.org/cu initializes the
// driver when the process starts and exits when there is no GPU, so a `gpu`
// binary cannot run, even to skip a test, on a machine without one: CI vets
// and compiles this package; its tests run on a GPU machine (make gpu-bundle).
//
// # Model
//
// One CUDA context (the device's primary context) lives on one locked OS
// thread for the whole process; every driver call is sent to that thread.
// Backend.Load makes an Executable: one device allocation holding the
// Program's arena (buffer offsets as the memory planner assigned them), then
// the small tables and workspaces some kernels need. Load binds every
// instruction once, through one op table (binders in bind.go, one launcher
// per op in the bind_*.go files): it checks operand counts and lengths
// against the typed Args (kernels.CheckOperands) and precomputes each kernel
// launch (function, grid, block, the
// arguments as 8-byte slots), so Run only issues launches, on one stream,
// without synchronizing with the host. Read and Sync wait.
//
// Every error names the instruction, its op and graph node, and for a launch
// the kernel, its shapes and its grid and block. An out-of-memory error adds
// the memory this model holds and asks for, what the device has free, and
// the advice to train with a smaller batch; a kernel fault says that the
// context is lost and how to find the kernel (GABOR_CUDA_SYNC=1).
//
// # Training on the device
//
// A program with its input pipeline (kernels.AddPipeline) holds the
// training and test sets in its arena as they are stored (uint8 images and
// labels, or float rows) and runs a whole step as instructions: gather_f32
// (the batch at the position the state's counter gives, from the epoch's
// permutation), the program's forward, backward and update, step_begin and
// step_end (the step's [lr, t] from the epoch's rate table and the mode;
// sample the loss into a float64 sum, count the step), and for evaluation
// eval_score (correct count and cross-entropy sum per batch). Everything that
// changes from step to step is in device memory, so the Executable, a
// kernels.Capturer (pipeline.go), captures a step's launches once as a CUDA
// graph (capture.go, capture_cgo.go: cuStreamBeginCapture,
// cuGraphInstantiateWithFlags, cuGraphLaunch, which gorgonia.org/cu lacks)
// and replays it for every step, with no host synchronization inside an
// epoch; the host reads the state only when it needs a number. The
// Executable owns the graphs it captured and releases them on Close.
//
// # Precision
//
// GEMMs and convolutions run on the tensor cores in TF32 (operands rounded
// to a 10-bit mantissa, FP32 accumulation) unless Options.TF32 is false, in
// which case they use exact FP32 FMAs. Everything else is FP32, with float64
// accumulation in reductions, softmax and the loss, as in kernels/cpu.
//
// # Checking it
//
//	make kernels          regenerate ptx/ from the .cu files (nvcc 11.8: install-cuda.sh toolkit)
//	make kernels-check    the implicit-GEMM loaders' index math, on the host (nvcc, no GPU)
//	make gpu-vet          vet, build and compile the tests of the gpu tag (CI)
//	make gpu-bundle       the test binaries for the GPU machine; there, gpu-bundle/run.sh
//
// TestConformance runs kerneltest's suite twice: every family with exact
// FP32 GEMMs and convolutions, then the tensor-core families in TF32 with
// the wider tolerance derived in cuda_test.go.
//
// # Knobs
//
//	GABOR_CUDA_TF32=0   exact FP32 GEMMs and convolutions for the "cuda" backend
//	GABOR_CUDA_SYNC=1   synchronize after every launch, so an asynchronous fault
//	                    is reported by the instruction that caused it (slow;
//	                    turns graphs off)
//	GABOR_CUDA_GRAPH=0  issue a captured step's kernels one by one instead of
//	                    replaying its CUDA graph (for comparison and debugging)
package cuda
