// Package train trains gabor's models: the loop, optimizers and schedules,
// evaluation, metrics, checkpoints and resume.
//
// # Using it
//
//	cfg := train.DefaultConfig("lenet")     // the canonical recipe
//	cfg.Dataset, cfg.Epochs = "fashion-mnist", 3
//	if err := cfg.Validate(); err != nil { … }  // every problem, each naming its field
//	ds, err := train.LoadDataset(cfg)       // data.Load with the config's limits
//	res, err := train.Run(ctx, cfg, ds, train.RunOptions{Progress: show})
//
//	res, err = train.Resume(ctx, runDir, train.RunOptions{})        // continue a run
//	ev, err := train.Evaluate(ctx, checkpointPath, "", nil)         // test accuracy
//
// Validate before loading the dataset, so a bad flag fails fast. Run checks
// the data against the model before creating anything on disk.
//
// # A step
//
// The model (models.New at cfg.Batch, seeded with cfg.Seed, or the weights of
// an ANCHORW1 file with cfg.InitFrom) is compiled once with the optimizer
// fused in (graph.Compile) and loaded on the device (kernels.Open(cfg.Device)).
// Epoch e (counted from 0) visits the training images in the order
// data.Permutation(n, cfg.Seed+e), in full batches (the last partial batch is
// dropped, as the reference programs do, so the same seed gives the very same
// batches). A step is one run of the program's TrainStep (kernels.AddPipeline
// gives the compiled program its input pipeline): the batch is gathered into
// the "x" and "labels" inputs from the training set the program holds (uint8
// images normalized as the reference programs do, or float rows; class
// indices, one-hot rows or float targets) by the epoch's permutation,
// [lr, t] goes to its Hyper buffer (the schedule's rate for this step from
// the epoch's rate table, and the 1-based update count) and [1, step] to its
// mode buffer, the forward, backward and update segments run, and the loss
// is sampled into a float64 sum every cfg.LossEvery steps; an epoch's
// train_loss is the mean of those samples, and a NaN or infinite one stops
// the run with an error. The host writes only the permutation, the rate
// table and a fresh state at the start of an epoch (pipeline.go).
//
// The loop is the same on every backend. An executable that captures its
// steps (kernels.Capturer: the cuda backend, where a step is one CUDA graph
// replay) runs them without the host: the loop reads the state only for a
// progress event and at the end of the epoch. On the cpu backend it reads
// every sampled loss, which costs nothing there, and checks each for
// divergence as it comes. pipeline_test.go holds the two to the same bits.
//
// Timing follows the reference programs: an epoch's time covers the training
// loop only (gather, forward, backward, update); the permutation, evaluation,
// checkpointing and hooks are outside it. images/s = images trained / epoch_s.
//
// After an epoch (every cfg.EvalEvery epochs, and always after the last) the
// test set is run through the forward segment in batches of cfg.Batch, the
// last one padded and only its valid rows counted; accuracy and mean
// cross-entropy are computed from the logits on the host.
//
// # Optimizers and schedules
//
// SGD (momentum, Nesterov, weight decay; PyTorch's formulation: v = μv + g,
// p −= lr·v) and Adam. The rate is not compiled in: Schedule gives it per step
// (constant, cosine, onecycle; with an optional linear warmup), so a schedule
// costs nothing and a resumed run recomputes the same rates.
//
// # Events
//
// RunOptions.Progress receives *ProgressEvent every RunOptions.ProgressEvery
// steps and *EpochEvent after each epoch; Run returns a *Result. Each marshals
// (encoding/json) to one object with an "event" key, the --json contract:
//
//	{"event":"progress","epoch":1,"step":40,"steps":1404,"epoch_step":40,"epoch_steps":468,"loss":0.61,"images_per_s":21000,"eta_s":8.3}
//	{"event":"epoch","epoch":1,"train_loss":0.52,"test_acc":0.84,"epoch_s":2.9,"images_per_s":20656}
//	{"event":"done","model":"mlp","device":"cpu","dataset":"fashion-mnist","epochs":3,"test_acc":0.87,"train_loss":0.33,"epoch_s":[2.9,2.8,2.8],"images_per_s":21394,"run_dir":"runs/mlp-…","checkpoint":"…","device_name":"…"}
//
// test_acc of an epoch event is null when that epoch was not evaluated.
//
// # The run directory
//
//	config.json              the Config (Resume reads it)
//	metrics.jsonl            one Record per epoch: the epoch event plus step, lr, test_loss
//	checkpoint.safetensors   parameters and optimizer state after the last epoch
//
// A new run writes into a hidden staging directory beside cfg.Out and renames
// it to cfg.Out once the first checkpoint is complete: bad input, an error or
// Ctrl-C before that leaves nothing behind. Files are replaced atomically
// (temporary file, fsync, rename, fsync of the directory). The checkpoint
// format is described on Checkpoint; the files open with Python's
// safetensors library (safetensors.numpy.load_file / safetensors.torch).
//
// # Interruption and resume
//
// Cancelling the context stops the run before the next step; Run (or Resume)
// returns the epochs completed and an error wrapping ctx.Err(). The run
// directory keeps the last complete checkpoint, and Resume continues from it.
// On the CPU the continuation is bit-identical to an uninterrupted run: the
// state is the parameters, the optimizer state and the step count, and
// everything else (order, rate, dropout) is a function of seed and step.
// The CPU kernels split some sums by the number of worker goroutines, so this
// holds for the same GOMAXPROCS: checkpoints record the backend and its worker
// count, and Resume notes (on RunOptions.Log) when they differ.
//
// # Hooks
//
// RunOptions.Hooks are called every Hook.Every steps and/or after each epoch,
// with a Snapshot that reads taps (Hook.Taps are compiled in), parameters and
// optimizer state. Their time is not counted in the epoch time.
package train
