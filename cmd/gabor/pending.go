package main

// The run functions below are wired to the training loop, evaluation and download
// code as those land; until then the commands parse and validate but do not run.

import (
	"context"
	"errors"
)

var errPending = errors.New("not available in this build yet")

func runEval(ctx context.Context, o *evalOptions) error   { return errPending }

func runResume(ctx context.Context, o *trainOptions) error { return errPending }
