// Package runs reads run directories: what `gabor train` (train.Run,
// train.Fit) leaves behind, read back by every verb that looks at a run
// after, or while, it trains. It also writes the snapshots, which training
// takes through its hooks (SnapshotWriter).
//
// # A run directory
//
//	config.json               the run's train.Config (train.ConfigFile)
//	metrics.jsonl             one train.Record per finished epoch (train.MetricsFile)
//	steps.jsonl               the training loss sampled within epochs (StepsFile),
//	                          appended by `gabor train`
//	checkpoint.safetensors    the state after the last finished epoch:
//	                          parameters, optimizer state, step, config
//	                          (train.CheckpointFile, train.Checkpoint)
//	model.json, init.safetensors
//	                          for a model built by its caller (train.Fit): its
//	                          record and its initial weights (train.ModelFile,
//	                          train.InitFile), from which every verb rebuilds it
//	snapshots/step-NNNNNN.safetensors
//	                          the weights at a step (SnapshotName), written
//	                          during training by SnapshotWriter
//	figures/                  what the figure verbs draw, by default
//
// train writes config.json, metrics.jsonl, the checkpoint and the model
// record, and reads back what resuming needs (train.ReadCheckpoint,
// train.ReadConfig); this package imports train, never the other way round.
//
// # What reads what
//
// OpenRun reads a run directory: its config (or, when config.json is
// damaged, the checkpoint's copy), where its checkpoint is, and the steps
// of its snapshots. Run.Steps lists the weights by step, the checkpoint
// included; Run.At reads one step. ReadWeights reads one file, a checkpoint
// or a snapshot, into Weights: the tensors by name with the config, step
// and epoch they belong to. Weights.Model and Run.Model rebuild the model
// (train.BuildModel: the zoo by name, or the run's model record), so no
// reader depends on the zoo's names. Metrics reads metrics.jsonl; a last
// line torn by a killed writer is left out (train.DecodeMetrics, the one
// decoder, shared with train's resume). StepLosses reads steps.jsonl,
// ParseSteps what a live reader has of it so far.
//
// # Snapshots
//
// SnapshotWriter provides the training hooks behind `gabor train --snapshot
// every=N[steps|epochs]`: on the training thread it only copies the weights
// (every parameter of a zoo-sized model; of a larger one its convolutions,
// or an MLP's first layer) to the host; a goroutine encodes and writes
// snapshots/step-NNNNNN.safetensors with the step, epoch, model, seed and
// config in the metadata (SnapshotFormat). A new run's directory appears
// only with its first checkpoint, so snapshots taken before are held and
// written then. TakeInitial saves the starting weights as step 0: the zoo's
// seeded initialization or the --init-from file, or for a model built by
// its caller the run's init.safetensors.
//
// Errors start with "runs:" and name the file or directory; a damaged
// checkpoint is train's *CheckpointError, as resuming reports it.
package runs
