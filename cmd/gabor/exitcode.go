package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

// Exit codes. This file is the one place where errors become exit codes; the README's
// "Exit codes" table lists the same values.
const (
	exitOK          = 0   // success
	exitError       = 1   // the run failed: training diverged, a file could not be written…
	exitUsage       = 2   // bad command line: unknown flag or value, conflicting flags
	exitData        = 3   // an input file (dataset, checkpoint, run dir) is missing, corrupt or inconsistent
	exitDevice      = 4   // the requested device is not built in or cannot be opened
	exitDiverged    = 5   // training diverged: NaN/Inf or exploding loss (the last good checkpoint is kept)
	exitInterrupted = 130 // SIGINT or SIGTERM (128 + signal 2, as shells report it)
)

// usageError marks a bad command line: flags that do not parse, values out of range,
// unknown names, flags that cannot be combined.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// deviceError marks a device that is not built in or does not open.
type deviceError struct{ err error }

func (e *deviceError) Error() string { return e.err.Error() }
func (e *deviceError) Unwrap() error { return e.err }

// dataError marks a problem with the data that the data package does not type itself
// (for example a --data directory given on the command line that does not exist).
type dataError struct{ err error }

func (e *dataError) Error() string { return e.err.Error() }
func (e *dataError) Unwrap() error { return e.err }

// errSilent is returned by a command that has already said what went wrong (for
// example `data verify`, which prints a line per bad file) and only needs exit code 1.
var errSilent = errors.New("silent failure")

// silentDataError is errSilent's counterpart for data problems already reported.
var errSilentData = errors.New("data problems reported above")

// exitCode maps an error returned by a command to the process exit code. Only
// errors typed as input problems are data errors (3): an untyped file-system
// error is a failure (1), so an output that cannot be written (--out /proc/x)
// is not mistaken for a bad input.
func exitCode(err error) int {
	var (
		ue *usageError
		de *deviceError
		fe *data.FileError
		nf *data.NotFoundError
		dd *dataError
		dv *train.DivergedError
		ck *train.CheckpointError
		ie *train.InputError
		cs *safetensors.ChecksumError
		se *introspect.SourceError
		ix *introspect.IndexError
		ul *introspect.UnknownLayerError
		le *introspect.LayerError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue), errors.As(err, &ix), errors.As(err, &ul), errors.As(err, &le):
		return exitUsage
	case errors.As(err, &de):
		return exitDevice
	case errors.As(err, &dv):
		return exitDiverged
	case errors.Is(err, errSilentData), errors.As(err, &fe), errors.As(err, &nf), errors.As(err, &dd),
		errors.As(err, &ck), errors.As(err, &ie), errors.As(err, &cs), errors.As(err, &se),
		errors.Is(err, data.ErrNotFound), errors.Is(err, data.ErrCorrupt),
		errors.Is(err, data.ErrMismatch), errors.Is(err, data.ErrChecksum):
		return exitData
	case errors.Is(err, data.ErrUnknownDataset):
		return exitUsage
	}
	return exitError
}
