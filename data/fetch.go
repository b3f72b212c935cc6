package data

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gaborlab/gabor/internal/staging"
)

// FetchOptions tune Fetch. The zero value uses the catalog's mirrors and checksums, a
// client with a 10-minute timeout, and prints nothing.
type FetchOptions struct {
	// BaseURLs replace the catalog's mirrors (each ends with "/"; the file name is appended).
	BaseURLs []string
	// Checksums replace the catalog's MD5 table, keyed by file name with ".gz".
	Checksums map[string]string
	Client    *http.Client
	// Progress receives one line per file (and per failed mirror); nil discards.
	Progress io.Writer
}

// Fetch downloads the four .gz files of the named dataset into dir (CacheDir(name) when
// empty) and returns that directory. Each file is streamed to a temporary file in dir
// while its MD5 is computed, and renamed into place only when the MD5 matches the
// published one, so an interrupted or corrupt download never leaves a file behind. A
// file already present with the right MD5 is not downloaded again. Mirrors are tried in
// order; the error, if all fail, lists every attempt (errors.Is works for ErrChecksum).
func Fetch(ctx context.Context, name, dir string, opts FetchOptions) (string, error) {
	spec, err := Lookup(name)
	if err != nil {
		return "", err
	}
	if dir == "" {
		dir = CacheDir(spec.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("data: fetch %s: %w", spec.Name, err)
	}
	mirrors, sums := spec.Mirrors, spec.MD5
	if opts.BaseURLs != nil {
		mirrors = opts.BaseURLs
	}
	if opts.Checksums != nil {
		sums = opts.Checksums
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	for _, base := range FileNames {
		file := base + ".gz"
		want := sums[file]
		if want == "" {
			return "", fmt.Errorf("data: fetch %s: no checksum known for %s", spec.Name, file)
		}
		dst := filepath.Join(dir, file)
		removed, err := staging.Clean(dir, func(n string) bool { return strings.HasPrefix(n, partPrefix(dst)) })
		for _, p := range removed {
			fmt.Fprintf(progress, "%s: removed, left by a download that was killed\n", p)
		}
		if err != nil {
			return "", fmt.Errorf("data: fetch %s: %w", spec.Name, err)
		}
		if got, err := md5File(dst); err == nil && got == want {
			fmt.Fprintf(progress, "%s: present, md5 ok\n", dst)
			continue
		}
		var tries []error
		ok := false
		for _, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + file
			n, err := download(ctx, client, url, dst, want)
			if err == nil {
				fmt.Fprintf(progress, "%s: %d bytes from %s, md5 ok\n", dst, n, url)
				ok = true
				break
			}
			fmt.Fprintf(progress, "%s: %v\n", url, err)
			tries = append(tries, fmt.Errorf("%s: %w", url, err))
			if ctx.Err() != nil {
				break
			}
		}
		if !ok {
			return "", fmt.Errorf("data: fetch %s: could not get %s:\n%w", spec.Name, file, errors.Join(tries...))
		}
	}
	return dir, nil
}

// download GETs url into a temporary file beside dst, checks its MD5 and renames it to
// dst. On any failure the temporary file is removed.
func download(ctx context.Context, client *http.Client, url, dst, wantMD5 string) (n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %s", resp.Status)
	}
	// Named with the pid and locked while written: a later fetch removes what
	// a killed one left (see Fetch).
	tmp, err := staging.CreateTemp(filepath.Dir(dst), partPrefix(dst)+"-")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	n, err = io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if err != nil {
		return n, fmt.Errorf("after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantMD5 {
		return n, fmt.Errorf("%w: md5 %s, want %s (%d bytes)", ErrChecksum, got, wantMD5, n)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return n, err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return n, err
	}
	if err = tmp.Close(); err != nil {
		return n, err
	}
	return n, nil
}

// partPrefix starts the names of dst's partial downloads: ".<file>.part" (the
// older unlocked spelling ".<file>.part123" included).
func partPrefix(dst string) string { return "." + filepath.Base(dst) + ".part" }

func md5File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// baseName is a path's file name with the ".idx" spelling normalized to "-idx", the
// form the checksum tables use.
func baseName(path string) string {
	b := filepath.Base(path)
	return strings.Replace(b, ".idx", "-idx", 1)
}
