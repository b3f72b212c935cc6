package weightspace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gaborlab/gabor/figure"
)

// RaceFiles configure WriteRace.
type RaceFiles struct {
	Output   figure.Output
	Dir      string
	GIF      bool
	GIFEvery int // steps per frame (0: so that there are at most 100 frames)
	GIFDPI   int // 0: 72
	Meta     map[string]string
}

// RaceReport is one problem's race with the files written.
type RaceReport struct {
	*RaceResult
	Files     []string `json:"files"`
	GIFFrames int      `json:"gif_frames,omitempty"`
	GIFBytes  int      `json:"gif_bytes,omitempty"`
}

// RunRace races the optimizers on p and writes race-<problem> in each
// format, its CSV and (with GIF) race-<problem>.gif into f.Dir.
func RunRace(ctx context.Context, p *Problem, o RaceOptions, f RaceFiles) (*RaceReport, error) {
	res, err := Race(ctx, p, o)
	if err != nil {
		return nil, err
	}
	rep := &RaceReport{RaceResult: res}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return nil, err
	}
	title := f.Output.TitleFor(fmt.Sprintf("%s: %d steps from (%g, %g)", p.Name, o.Steps, p.Start[0], p.Start[1]))
	fig, err := RaceFigure(res, p, title, -1)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"problem": p.Name, "steps": fmt.Sprint(o.Steps), "device": res.Device}
	for k, v := range f.Meta {
		meta[k] = v
	}
	fig.SetMeta(meta)
	stem := "race-" + p.Name
	exts := []string{".csv"}
	if f.GIF {
		exts = append(exts, ".gif")
	}
	for _, e := range f.Output.Formats {
		exts = append(exts, "."+e)
	}
	stem, err = figure.FreeStem(f.Dir, stem, exts, f.Output.Force)
	if err != nil {
		return nil, err
	}
	out := f.Output
	out.Force = true
	if rep.Files, err = figure.WriteFiles(f.Dir, stem, fig, out); err != nil {
		return nil, err
	}
	csv := filepath.Join(f.Dir, stem+".csv")
	if err := os.WriteFile(csv, RaceCSV(res), 0o644); err != nil {
		return nil, err
	}
	rep.Files = append(rep.Files, csv)
	if f.GIF {
		every := f.GIFEvery
		if every <= 0 {
			every = max(1, (o.Steps+99)/100)
		}
		dpi := f.GIFDPI
		if dpi <= 0 {
			dpi = 72
		}
		b, frames, err := RaceGIF(res, p, p.Name, every, dpi, 8)
		if err != nil {
			return nil, err
		}
		gif := filepath.Join(f.Dir, stem+".gif")
		if err := os.WriteFile(gif, b, 0o644); err != nil {
			return nil, err
		}
		rep.Files, rep.GIFFrames, rep.GIFBytes = append(rep.Files, gif), frames, len(b)
	}
	return rep, nil
}
