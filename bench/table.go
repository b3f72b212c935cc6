package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the report as aligned tables: the results, the
// gabor/PyTorch ratios when there are any, each profile, and the notes.
func WriteTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "impl\tmodel\tdevice\tbatch\tepoch s\tmin\tmax\tIQR\timages/s\tvs cpu\tset-up s\tfirst epoch s\tarena MiB\tpeak RSS MiB\t")
	for _, r := range rep.Results {
		speed := "-"
		if r.SpeedupVsCPU != nil {
			speed = fmt.Sprintf("%.2f×", *r.SpeedupVsCPU)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f\t%s\t%s\t%.3f\t%s\t%s\t\n",
			r.Impl, r.Model, r.Device, r.Batch, r.EpochSMedian, r.EpochSStats.Min, r.EpochSStats.Max, r.EpochSStats.IQR,
			r.ImagesPerS, speed, joinSeconds(r.SetupS), r.FirstEpochS, mib(r.ArenaBytes), mib(r.PeakRSSBytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Compare) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "model\tdevice\tbatch\tgabor epoch s\tpytorch epoch s\tgabor/pytorch\t")
		for _, c := range rep.Compare {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.3f\t%.2f×\t\n", c.Model, c.Device, c.Batch, c.GaborEpochS, c.TorchEpochS, c.Ratio)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, r := range rep.Results {
		if r.Profile == nil {
			continue
		}
		p := r.Profile
		fmt.Fprintf(w, "\nprofile of %s %s batch %d: %.3f ms per step (%s, %d steps)\n", r.Model, r.Device, r.Batch, 1e3*p.StepS, p.Method, p.Steps)
		fmt.Fprintln(tw, "kernel family\tcalls/step\tms/step\tshare\t")
		for _, f := range p.Families {
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.1f%%\t\n", f.Name, f.Calls, 1e3*f.S, 100*f.Share)
		}
		for _, f := range p.Segments {
			fmt.Fprintf(tw, "segment %s\t%d\t%.3f\t%.1f%%\t\n", f.Name, f.Calls, 1e3*f.S, 100*f.Share)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}
	return nil
}

func mib(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}

func joinSeconds(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, ",")
}
