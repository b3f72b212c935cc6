package main

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// figureFlags are the flags every figure verb shares (filters, activations,
// embed, deconv, query, curves, eval --confusion), parsed into a
// figure.Output by output.
type figureFlags struct {
	formats string
	dpi     int
	width   float64
	preset  string
	title   string
	noTitle bool
	out     string
	force   bool
}

// register adds the shared flags; outDefault says where figures go without
// --out.
func (ff *figureFlags) register(fl *pflag.FlagSet, outDefault string) {
	fl.StringVar(&ff.formats, "format", "png", "comma-separated figure formats: png, svg, pdf")
	fl.IntVar(&ff.dpi, "dpi", figure.DefaultDPI, "PNG resolution in dots per inch")
	fl.Float64Var(&ff.width, "width", 0, "figure width in `INCHES` (default: each figure's natural size)")
	fl.StringVar(&ff.preset, "preset", "", "figure width preset: "+presetHelp())
	fl.StringVar(&ff.title, "title", "", "replace the figure's title with `TEXT`")
	fl.BoolVar(&ff.noTitle, "no-title", false, "draw no title (for a caption set by the paper)")
	fl.StringVar(&ff.out, "out", "", "write the figures to `DIR` (default: "+outDefault+")")
	fl.BoolVar(&ff.force, "force", false, "replace existing files (default: write beside them as NAME-2, NAME-3…)")
}

func presetHelp() string {
	var p []string
	for _, n := range figure.PresetNames() {
		p = append(p, n+" ("+strconv.FormatFloat(figure.Presets[n], 'g', -1, 64)+" in)")
	}
	return strings.Join(p, ", ")
}

// output validates the flags (usage errors) and returns the Output they
// describe, the command line recorded as provenance.
func (ff *figureFlags) output(cmd *cobra.Command) (figure.Output, error) {
	o := figure.Output{DPI: ff.dpi, Title: ff.title, NoTitle: ff.noTitle, Dir: ff.out, Force: ff.force}
	var err error
	if o.Formats, err = parseFormats(ff.formats); err != nil {
		return o, err
	}
	if ff.dpi < 30 || ff.dpi > 2400 {
		return o, usagef("--dpi must be from 30 to 2400, got %d", ff.dpi)
	}
	if ff.width < 0 || ff.width > 100 {
		return o, usagef("--width must be from 0 (natural size) to 100 inches, got %g", ff.width)
	}
	o.Width = ff.width
	if ff.preset != "" {
		w, ok := figure.Presets[strings.ToLower(ff.preset)]
		if !ok {
			return o, usagef("--preset must be one of %s, got %q", strings.Join(figure.PresetNames(), ", "), ff.preset)
		}
		if ff.width > 0 {
			return o, usagef("--preset and --width cannot be combined")
		}
		o.Width = w
	}
	if ff.noTitle && ff.title != "" {
		return o, usagef("--title and --no-title cannot be combined")
	}
	o.Command = commandLine(cmd)
	v := currentVersion()
	o.Version = v.Version
	if v.Commit != "" {
		o.Version += " (commit " + v.Commit + ")"
	}
	return o, nil
}

// commandLine is the command as run: its path, arguments and the flags set.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	parts = append(parts, cmd.Flags().Args()...)
	var set []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		set = append(set, "--"+f.Name+"="+f.Value.String())
	})
	sort.Strings(set)
	return strings.Join(append(parts, set...), " ")
}

// parseFormats splits --format ("png,svg") and checks each name.
func parseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if err := figure.CheckFormats([]string{f}); err != nil {
			return nil, usagef("--format: unknown format %q (known: %s)", f, strings.Join(figure.Formats, ", "))
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, usagef("--format needs at least one of %s", strings.Join(figure.Formats, ", "))
	}
	return out, nil
}
