package main

import (
	"io"
	"os"
	"time"
)

// ioStreams are the streams a command reads and writes. Commands never touch
// os.Stdout or os.Stderr directly, so tests run them against buffers.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer // results: tables, JSON lines
	ErrOut io.Writer // progress, notices, errors

	// ErrTTY says whether ErrOut is a terminal: progress is then drawn as a bar that
	// redraws itself, otherwise it is printed as plain periodic lines.
	ErrTTY bool
}

// factory holds what commands need from the environment, so tests can replace it.
type factory struct {
	IO  *ioStreams
	Now func() time.Time // the clock that names default run directories
}

func newSystemIO() *ioStreams {
	return &ioStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, ErrTTY: isTerminal(os.Stderr)}
}

// isTerminal reports whether f is a character device, which for stderr means a
// terminal (a pipe or a file is not). It avoids a terminal library for one bit.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}
