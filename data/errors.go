package data

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is. A *FileError wraps one of them when the cause is one
// of these kinds, so a caller can tell "the files are not there" (suggest fetching) from
// "the files are there but broken" (suggest deleting and fetching again).
var (
	// ErrNotFound: a file or dataset directory does not exist.
	ErrNotFound = errors.New("not found")
	// ErrCorrupt: the file exists but its content is not a valid IDX file of the
	// expected kind (bad magic, truncated, trailing bytes, bad gzip stream).
	ErrCorrupt = errors.New("corrupt")
	// ErrMismatch: the files are individually valid but disagree (image and label
	// counts differ, wrong image size, label out of range).
	ErrMismatch = errors.New("mismatch")
	// ErrChecksum: a downloaded file does not have its published checksum.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrUnknownDataset: the name is not in the catalog.
	ErrUnknownDataset = errors.New("unknown dataset")
)

// FileError says what is wrong with which file. Kind is one of the sentinel errors
// above (or another underlying error, such as a permission error) and is what
// errors.Is matches.
type FileError struct {
	Path    string
	Problem string
	Kind    error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("data: %s: %s", e.Path, e.Problem)
}

// Unwrap returns the kind, so errors.Is(err, ErrNotFound) works.
func (e *FileError) Unwrap() error { return e.Kind }

func fileErr(path string, kind error, format string, args ...any) *FileError {
	return &FileError{Path: path, Problem: fmt.Sprintf(format, args...), Kind: kind}
}

// NotFoundError is returned by Load when no directory holds the dataset. It lists every
// place that was searched and how to get the files.
type NotFoundError struct {
	Name   string
	Looked []string // directories searched, in order
	Hint   string   // commands that would provide the files
}

func (e *NotFoundError) Error() string {
	s := fmt.Sprintf("data: dataset %q not found; looked in:", e.Name)
	for _, l := range e.Looked {
		s += "\n  " + l
	}
	if e.Hint != "" {
		s += "\nto get it: " + e.Hint
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) true for a *NotFoundError.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
