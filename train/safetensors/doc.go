// Package safetensors reads and writes the safetensors file format, restricted
// to what gabor stores: float32 tensors and string metadata.
//
// Layout of a file (all integers little-endian):
//
//	bytes 0..8      N, the header length, uint64
//	bytes 8..8+N    a JSON object, padded at the end with spaces so that 8+N is a
//	                multiple of 8:
//	                  {"__metadata__": {"key": "value", ...},
//	                   "fc1.weight": {"dtype": "F32", "shape": [512, 784],
//	                                  "data_offsets": [begin, end]}, ...}
//	bytes 8+N..     the data: each tensor's elements, row-major, at
//	                [begin, end) relative to the start of the data
//
// Decode trusts nothing: it bounds the header length before allocating, parses
// the JSON strictly, and checks that every tensor is F32, that shape·4 equals its
// byte range, and that the ranges tile the data exactly (contiguous, no overlap,
// no gap, no trailing bytes). Every error names the tensor and the numbers
// involved, and Read adds the file name.
//
// Integrity: Encode records the SHA-256 of every tensor's bytes in the metadata
// ("sha256:fc1.weight": hex), which other readers see as ordinary string
// metadata; Decode recomputes each and refuses a mismatch with a
// *ChecksumError naming the tensor. A file without checksum keys (written
// elsewhere) is read unchecked; one with some must have them all.
package safetensors
