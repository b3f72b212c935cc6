// Package data loads and generates the sets gabor trains on.
//
// Image sets are kept in memory as uint8 pixels (N·H·W, row-major, one channel) and
// uint8 labels, exactly as the IDX files of the MNIST family store them; conversion to
// normalized float32 happens per batch in Gather, so a 60,000-image set costs 47 MB,
// not 188 MB, and the same bytes can be uploaded once to a device.
//
// A Set may instead hold float inputs, for 2-D points and regression data: X holds
// N·D values (D per example) and Images is nil; its targets are class labels
// (Labels, Classes), float rows (Targets, N·T values), or both. Gather copies such
// rows as they are (no normalization) and writes TargetLen() target values per
// example: T float targets when the set has them, else the class index.
// Points.Set and PointsDataset turn the 2-D toy sets into such Sets.
//
// Names: "synthetic" (the default), "mnist", "fashion-mnist", "kmnist"; see Names and
// Lookup. With no directory given, Load searches $GABOR_DATA/<name>, $GABOR_DATA,
// ~/.cache/gabor/<name> (where Fetch puts files), then system directories such as
// /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
//
// Sources:
//
//   - IDX files (ReadImages, ReadLabels, Load, Verify): MNIST, Fashion-MNIST, KMNIST,
//     raw or gzip-compressed (detected by the gzip magic, not the file name). Every
//     reader validates magic numbers, dimensions, counts against the bytes present,
//     label ranges and the expected image size, and reports problems as *FileError
//     naming the file. A truncated or corrupt file is an error, never a panic.
//   - Fetch downloads the four .gz files of a named set from a table of public mirrors,
//     checks each against a known MD5 and renames it into place only when it matches.
//   - Synthetic generates the built-in default: MNIST-like 28×28 digits rendered from
//     the Go fonts with random affine and elastic distortion, stroke-width changes,
//     blur and noise, deterministic from a seed, so training works with no files and
//     no network.
//   - TwoMoons, Spirals, Circles and XOR (or Toy2D by name) are small seeded 2-D sets
//     for decision-region figures.
//   - WriteDir exports any Dataset as the four standard IDX files; Grid tiles images
//     into one picture for previews; Stats, Describe and Verify summarize and check.
//
// Epoch order: Permutation is the Fisher–Yates shuffle driven by splitmix64 that the
// reference programs use; called with seed+epoch it yields the very same batches.
// NumBatches and Gather turn a permutation into normalized NCHW float32 batches.
package data
