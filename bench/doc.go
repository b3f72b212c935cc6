// Package bench measures gabor's training speed: the canonical workloads
// (mlp, lenet, convnet of DESIGN.md) on every device asked for, at several
// batch sizes, against each other and, optionally, against PyTorch running the
// same recipe on the same batches in the same sitting.
//
// # What is timed
//
// A workload (model, device, batch) is compiled and loaded once per repeat
// (train.NewStepper; that time is reported as setup_s), then trained for
// Warmup epochs that are reported separately (warmup_epoch_s: the first epoch
// carries one-off costs such as JIT compilation of device code, graph capture,
// first-touch page faults and cache warm-up), then for Epochs measured epochs.
// As in the reference programs, an epoch's time covers the training loop only
// (gather, forward, backward, update); the permutation is made before the clock
// starts and the loss is read after it stops.
//
// Every measured epoch of every repeat goes into epoch_s; the summary is the
// median with its spread (min, max, quartiles, IQR, MAD: see Summarize).
// images_per_s is images per epoch ÷ the median epoch. speedup_vs_cpu is the
// median CPU epoch of the same implementation, model and batch ÷ this median.
//
// # Memory
//
// arena_bytes is the device memory of the program's arena
// (kernels.Executable.ArenaBytes). peak_rss_bytes is the process's resident
// high-water mark (VmHWM of /proc/self/status), reset before each workload
// where the kernel allows it (writing 5 to /proc/self/clear_refs), so it is
// the peak of that workload; go_heap_bytes is the Go heap in use after the
// measured epochs, and alloc_bytes_per_step the Go allocation per training step
// during them (the CPU backend aims at none).
//
// # Profiles
//
// With Options.Profile one more epoch is run after the measured ones (so the
// profile does not perturb them) with every instruction timed on its own and
// the time summed by kernel family (the Op: gemm, conv2d, maxpool2d, …) and by
// segment (forward, backward, update). On the CPU each instruction runs as a
// one-instruction segment between two clock reads. A backend with its own
// timers (CUDA events) provides them by implementing InstrTimer on its
// Executable; the profiler uses that when present.
//
// # Output
//
// A Report marshals to the --json contract of `gabor bench`
// ({"machine":{…},"results":[…],"compare":[…]}); WriteTable prints it as an
// aligned table and WritePlots draws images/s by model and device (grouped
// bars) and images/s against batch size (log-x), as PNG and SVG.
//
// # PyTorch
//
// RunPyTorch runs scripts/torch_bench.py (the project's reference script:
// same models, initialization law, loss, optimizer, normalization and
// splitmix64 shuffle) with the python3 that imports torch, and turns its one
// JSON line into Results with impl "pytorch"; Compare pairs them with gabor's
// rows (ratio = gabor images/s ÷ PyTorch images/s, > 1: gabor is faster).
package bench
