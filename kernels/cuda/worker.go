//go:build gpu

package cuda

import "runtime"

// worker runs functions on one OS thread that holds the CUDA context. The
// driver keeps the current context per thread, and Go moves goroutines
// between threads, so every driver call goes through do.
type worker struct {
	jobs chan job
}

type job struct {
	fn   func() error
	done chan error
}

// newWorker starts the thread and runs setup on it (which makes the context
// current); the worker is returned only if setup succeeded.
func newWorker(setup func() error) (*worker, error) {
	w := &worker{jobs: make(chan job)}
	ready := make(chan error)
	go func() {
		// Never unlocked: the thread keeps the context for the life of the
		// process.
		runtime.LockOSThread()
		if err := setup(); err != nil {
			ready <- err
			return
		}
		close(ready)
		for j := range w.jobs {
			j.done <- j.fn()
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

// do runs fn on the context thread and returns its error.
func (w *worker) do(fn func() error) error {
	done := make(chan error, 1)
	w.jobs <- job{fn, done}
	return <-done
}
