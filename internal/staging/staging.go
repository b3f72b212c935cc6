// Package staging writes files and directories under temporary names and moves
// them into place, so readers see either nothing or the whole thing, and it
// tells what a dead process left from what a live one is still writing.
//
// Every temporary name carries the writer's process id (".checkpoint.safetensors.tmp-4242-1234567"),
// and the writer holds an exclusive flock(2) on the temporary file or
// directory for as long as it writes. The kernel drops that lock when the
// process dies, however it dies (SIGKILL included), so Clean can remove
// exactly the leftovers nobody holds: it never needs to guess from a PID that
// may have been reused.
package staging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// tempName is prefix<pid>-<random>: os.CreateTemp and os.MkdirTemp replace the "*".
func tempPattern(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid()) + "-*"
}

// CreateTemp creates a new file in dir named prefix<pid>-<random> and locks it
// (see the package doc). Closing the file releases the lock.
func CreateTemp(dir, prefix string) (*os.File, error) {
	f, err := os.CreateTemp(dir, tempPattern(prefix))
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return f, nil
}

// Dir is a staging directory held by this process.
type Dir struct {
	Path string
	f    *os.File // the locked handle
}

// MkdirTemp creates a new directory in parent named prefix<pid>-<random>, mode
// perm, and locks it until Release.
func MkdirTemp(parent, prefix string, perm fs.FileMode) (*Dir, error) {
	p, err := os.MkdirTemp(parent, tempPattern(prefix))
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Dir, error) {
		os.Remove(p)
		return nil, err
	}
	// MkdirTemp makes it private (0700).
	if err := os.Chmod(p, perm); err != nil {
		return fail(err)
	}
	f, err := os.Open(p)
	if err != nil {
		return fail(err)
	}
	if err := lock(f); err != nil {
		f.Close()
		return fail(fmt.Errorf("locking %s: %w", p, err))
	}
	return &Dir{Path: p, f: f}, nil
}

// Lock locks an existing directory until Release; it fails at once when
// another process holds it.
func Lock(path string) (*Dir, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, err
	}
	return &Dir{Path: path, f: f}, nil
}

// Release drops the lock (the directory may have been renamed or removed).
func (d *Dir) Release() {
	if d != nil && d.f != nil {
		d.f.Close()
		d.f = nil
	}
}

// WriteFile replaces path by data atomically and durably: it writes a locked
// temporary file beside it (prefix ".<base>.tmp-"), syncs it, renames it over
// path while still holding it, and syncs the directory.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := CreateTemp(dir, TempPrefix(filepath.Base(path)))
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return SyncDir(dir)
}

// TempPrefix is the prefix of WriteFile's temporary files for a base name.
func TempPrefix(base string) string { return "." + base + ".tmp-" }

// SyncDir makes a rename or a new entry in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Clean removes the entries of dir that match and that no live process holds
// (files and directories, recursively), and returns their paths. A missing
// dir is not an error.
func Clean(dir string, match func(name string) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !match(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		held, err := Held(p)
		if err != nil || held {
			continue // vanished, unreadable, or in use: not ours to remove
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// Held reports whether a live process holds the lock on path.
func Held(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close() // also drops the probe's own lock
	return isLocked(f)
}
