package train

import "strings"

// InputError says that an input file of a run — its config.json, its
// checkpoint as a whole, an --init-from file — is missing, corrupt or does not
// agree with the rest of the run (a config that differs from the checkpoint's,
// a step count that does not fit the data). CheckpointError covers the
// problems of one checkpoint file; both are what the CLI reports as a data
// error (exit 3). errors.As finds it; Unwrap exposes the cause.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string {
	if msg := e.Err.Error(); strings.Contains(msg, e.Path) {
		return msg // the cause names the file already
	}
	return "train: " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }
