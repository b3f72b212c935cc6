package figure

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Width presets, in inches: a paper's single column, a 16:9 slide's body,
// a web page's content column.
var Presets = map[string]float64{"paper": 3.5, "slide": 9, "web": 6.4}

// PresetNames lists the presets in a fixed order.
func PresetNames() []string { return []string{"paper", "slide", "web"} }

// Output says how and where a verb writes its figures: the values of the
// shared figure flags.
type Output struct {
	Formats []string // of Formats, in order
	DPI     int      // PNG resolution (0: DefaultDPI)
	Width   float64  // inches (0: each figure's natural width)
	Title   string   // replaces a figure's default title
	NoTitle bool     // draws no title
	Dir     string   // output folder ("" : the verb's default)
	Force   bool     // replace existing files instead of writing beside them
	// Command is the command line, Version the program's version and
	// commit, both recorded as provenance.
	Command, Version string
	// Created is the creation date written into the files (zero: now).
	Created time.Time
}

// TitleFor is the title a figure gets: def unless --title or --no-title.
func (o Output) TitleFor(def string) string {
	switch {
	case o.NoTitle:
		return ""
	case o.Title != "":
		return o.Title
	}
	return def
}

// CheckFormats validates a format list.
func CheckFormats(formats []string) error {
	if len(formats) == 0 {
		return errors.New("figure: no format given (known: png, svg, pdf)")
	}
	for _, f := range formats {
		if !slices.Contains(Formats, f) {
			return fmt.Errorf("figure: unknown format %q (known: %s)", f, strings.Join(Formats, ", "))
		}
	}
	return nil
}

// StepTag is how a file name says which step it shows: one padding
// scheme everywhere ("step000468").
func StepTag(step int) string { return fmt.Sprintf("step%06d", step) }

// WriteFiles writes fig as dir/stem.<format> for each of o.Formats and
// returns the paths. An existing file is replaced only with o.Force;
// otherwise the figure goes beside it as stem-2.<format>, stem-3… (the same
// suffix for every format of one call).
func WriteFiles(dir, stem string, fig *Figure, o Output) ([]string, error) {
	if err := CheckFormats(o.Formats); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	if o.Command != "" {
		fig.SetMeta(map[string]string{"command": o.Command})
	}
	if o.Version != "" {
		fig.SetMeta(map[string]string{"version": o.Version})
	}
	exts := make([]string, len(o.Formats))
	for i, f := range o.Formats {
		exts[i] = "." + f
	}
	base, err := FreeStem(dir, stem, exts, o.Force)
	if err != nil {
		return nil, err
	}
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	var files []string
	for _, f := range o.Formats {
		b, err := Render(fig, f, Options{DPI: o.DPI, Width: o.Width, Created: created})
		if err != nil {
			return files, err
		}
		p := filepath.Join(dir, base+"."+f)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return files, fmt.Errorf("figure: %w", err)
		}
		files = append(files, p)
	}
	return files, nil
}

// FreeStem is stem when no dir/stem<ext> exists for any ext (or force), else
// the first stem-N (N = 2, 3…) free for all of them.
func FreeStem(dir, stem string, exts []string, force bool) (string, error) {
	if force {
		return stem, nil
	}
	for n := 1; n < 10000; n++ {
		s := stem
		if n > 1 {
			s = fmt.Sprintf("%s-%d", stem, n)
		}
		free := true
		for _, e := range exts {
			_, err := os.Stat(filepath.Join(dir, s+e))
			if err == nil {
				free = false
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("figure: %w", err)
			}
		}
		if free {
			return s, nil
		}
	}
	return "", fmt.Errorf("figure: %s/%s-N: 10000 versions exist; use --force or another --out", dir, stem)
}

// WriteSide writes a non-figure file (CSV, JSON) that belongs to the figure
// stem as dir/name, under the same no-overwrite rule.
func WriteSide(dir, name string, b []byte, force bool) (string, error) {
	ext := filepath.Ext(name)
	s, err := FreeStem(dir, strings.TrimSuffix(name, ext), []string{ext}, force)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, s+ext)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return "", fmt.Errorf("figure: %w", err)
	}
	return p, nil
}
