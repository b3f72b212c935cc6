// Package sweep runs many trainings as one experiment: a grid or random
// search over `gabor train` flags and seeds, on this machine or as Slurm job
// arrays, and aggregates what the runs recorded.
//
// The model:
//
//   - A Spec (a YAML or JSON file, ParseSpec, and/or flags) names the fixed
//     train flags, the grid, random distributions and seeds. Errors in a file
//     are *SpecError, "FILE:LINE: what is wrong".
//   - NewPlan expands it into Points: grid combinations × random samples ×
//     seeds (innermost), each with its `gabor train` arguments and a run
//     directory name made of its values ("lr=0.01_seed=2"). The plan is
//     written once, as sweep.json; a sweep continued later reads it back and
//     refuses a different plan in the same directory.
//   - A point runs as a subprocess, `gabor train … --out SWEEP/runs/NAME`
//     (RunPoint), so every run directory is an ordinary run. Its State
//     (state/NAME.json) counts attempts and failures and lists each
//     attempt's log. Whether a point is done is read from its run directory
//     (every configured epoch in metrics.jsonl, a checkpoint), not only from
//     the state file, so a sweep killed between a run's end and its record
//     does not run it again.
//   - Executors: RunLocal (N at once, cores split or one per GPU) and
//     RunSlurm (one job-array script per submission; each array task runs
//     `gabor sweep task DIR INDEX`, which is RunTask). Both skip done points,
//     resume interrupted ones from their checkpoint (gabor train --resume),
//     and retry failures until Retries+1 of them.
//   - Report reads every point's final metrics and groups points that differ
//     only in seed (mean ± sample std); ValueFigure draws accuracy against a
//     swept flag through the figure package.
//
// Error policy: nothing is written before the whole plan is checked (the
// caller checks each point's arguments with gabor train's own parser); a new
// sweep directory appears whole (assembled beside it, renamed into place);
// a Slurm submission that is refused restores the points' states and
// removes its script.
package sweep
