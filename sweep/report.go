package sweep

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gaborlab/gabor/runs"
)

// PointResult is a point's final metrics: its run directory's last record
// in metrics.jsonl (the accuracy and test loss of the last evaluated one).
type PointResult struct {
	Name      string   `json:"name"`
	Values    []Value  `json:"values"`
	Status    string   `json:"status"`
	Epochs    int      `json:"epochs"` // epochs recorded
	Step      int      `json:"step"`
	TrainLoss float64  `json:"train_loss"`
	TestAcc   *float64 `json:"test_acc"`
	TestLoss  *float64 `json:"test_loss"`
	RunDir    string   `json:"run_dir"`
}

// Stat is the mean and sample standard deviation (n−1; 0 for one value)
// of a metric over N seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	N    int     `json:"n"`
}

// Group is the points that differ only in seed, with their metrics' mean
// and spread over the seeds that finished.
type Group struct {
	Values    []Value  `json:"values"` // the swept values but the seed
	Points    []string `json:"points"`
	Seeds     []string `json:"seeds"` // of the finished points
	TestAcc   Stat     `json:"test_acc"`
	TestLoss  Stat     `json:"test_loss"`
	TrainLoss Stat     `json:"train_loss"`
}

// Report is a sweep's results: every point, and the seed groups.
type Report struct {
	Dir    string        `json:"dir"`
	Name   string        `json:"name,omitempty"`
	Swept  []string      `json:"swept"`
	Random []string      `json:"random,omitempty"` // the swept flags drawn at random
	Counts Counts        `json:"counts"`
	Points []PointResult `json:"points"`
	Groups []Group       `json:"groups"`
}

func readPointResult(d *Dir, p Point) (PointResult, error) {
	r := PointResult{Name: p.Name, Values: p.Values, RunDir: d.RunDir(p)}
	recs, err := runs.Metrics(d.RunDir(p))
	if err != nil {
		return r, err
	}
	r.Epochs = len(recs)
	if len(recs) == 0 {
		return r, nil
	}
	last := recs[len(recs)-1]
	r.Step, r.TrainLoss = last.Step, last.TrainLoss
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].TestAcc != nil {
			r.TestAcc, r.TestLoss = recs[i].TestAcc, recs[i].TestLoss
			break
		}
	}
	return r, nil
}

// Report reads every point's metrics (unfinished points are listed with
// what they have) and groups the points by their values but the seed.
func (d *Dir) Report() (*Report, error) {
	states, c, err := d.States()
	if err != nil {
		return nil, err
	}
	rep := &Report{Dir: d.Path, Name: d.Plan.Name, Swept: d.Plan.Swept, Random: d.Plan.Random, Counts: c}
	index := map[string]int{}
	for i, p := range d.Plan.Points {
		r, err := readPointResult(d, p)
		if err != nil {
			return nil, err
		}
		r.Status = states[i].Status
		rep.Points = append(rep.Points, r)
		var key []Value
		for _, v := range p.Values {
			if v.Flag != "seed" {
				key = append(key, v)
			}
		}
		k := fmt.Sprint(key)
		gi, ok := index[k]
		if !ok {
			gi = len(rep.Groups)
			index[k] = gi
			rep.Groups = append(rep.Groups, Group{Values: key})
		}
		rep.Groups[gi].Points = append(rep.Groups[gi].Points, p.Name)
	}
	byName := map[string]PointResult{}
	for _, r := range rep.Points {
		byName[r.Name] = r
	}
	for gi := range rep.Groups {
		g := &rep.Groups[gi]
		var acc, tl, trl []float64
		for _, name := range g.Points {
			r := byName[name]
			if r.Status != StatusDone {
				continue
			}
			g.Seeds = append(g.Seeds, seedOf(r.Values))
			trl = append(trl, r.TrainLoss)
			if r.TestAcc != nil {
				acc = append(acc, *r.TestAcc)
			}
			if r.TestLoss != nil {
				tl = append(tl, *r.TestLoss)
			}
		}
		g.TestAcc, g.TestLoss, g.TrainLoss = stat(acc), stat(tl), stat(trl)
	}
	return rep, nil
}

func seedOf(vals []Value) string {
	for _, v := range vals {
		if v.Flag == "seed" {
			return v.Value
		}
	}
	return ""
}

// stat is the mean and sample standard deviation of v.
func stat(v []float64) Stat {
	s := Stat{N: len(v)}
	if len(v) == 0 {
		return s
	}
	for _, x := range v {
		s.Mean += x
	}
	s.Mean /= float64(len(v))
	if len(v) > 1 {
		ss := 0.0
		for _, x := range v {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(ss / float64(len(v)-1))
	}
	return s
}

// WriteTable prints the groups (mean ± std over seeds) and then every point.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	nonSeed := slices.DeleteFunc(slices.Clone(r.Swept), func(s string) bool { return s == "seed" })
	fmt.Fprintf(tw, "%s\tseeds\ttest acc (mean ± std)\ttest loss\ttrain loss\n", strings.Join(append(nonSeed, ""), "\t"))
	for _, g := range r.Groups {
		var cells []string
		for _, v := range g.Values {
			cells = append(cells, v.Value)
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\n", strings.Join(append(cells, ""), "\t"), len(g.Seeds), len(g.Points),
			pm(g.TestAcc, 4), pm(g.TestLoss, 4), pm(g.TrainLoss, 4))
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "point\tstatus\tepochs\ttest acc\ttest loss\ttrain loss\n")
	for _, p := range r.Points {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", p.Name, p.Status, p.Epochs, opt(p.TestAcc), opt(p.TestLoss), strconv.FormatFloat(p.TrainLoss, 'f', 4, 64))
	}
	fmt.Fprintf(tw, "\n%s\n", r.Counts)
	return tw.Flush()
}

func pm(s Stat, prec int) string {
	switch s.N {
	case 0:
		return "—"
	case 1:
		return strconv.FormatFloat(s.Mean, 'f', prec, 64)
	}
	return strconv.FormatFloat(s.Mean, 'f', prec, 64) + " ± " + strconv.FormatFloat(s.Std, 'f', prec, 64)
}

func opt(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', 4, 64)
}

// PointsCSV is every point as a row: name, status, the swept values,
// epochs, step, train_loss, test_loss, test_acc (full precision).
func (r *Report) PointsCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append(append([]string{"point", "status"}, r.Swept...), "epochs", "step", "train_loss", "test_loss", "test_acc"))
	for _, p := range r.Points {
		row := []string{p.Name, p.Status}
		for _, f := range r.Swept {
			row = append(row, Point{Values: p.Values}.Get(f))
		}
		row = append(row, strconv.Itoa(p.Epochs), strconv.Itoa(p.Step), g17(p.TrainLoss), optCSV(p.TestLoss), optCSV(p.TestAcc))
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// GroupsCSV is every seed group as a row: the swept values but the seed,
// seeds finished, then mean and std of test_acc, test_loss and train_loss.
func (r *Report) GroupsCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	nonSeed := slices.DeleteFunc(slices.Clone(r.Swept), func(s string) bool { return s == "seed" })
	w.Write(append(slices.Clone(nonSeed), "seeds", "points", "test_acc_mean", "test_acc_std", "test_loss_mean", "test_loss_std", "train_loss_mean", "train_loss_std"))
	for _, g := range r.Groups {
		var row []string
		for _, f := range nonSeed {
			row = append(row, Point{Values: g.Values}.Get(f))
		}
		row = append(row, strings.Join(g.Seeds, " "), strconv.Itoa(len(g.Points)))
		for _, s := range []Stat{g.TestAcc, g.TestLoss, g.TrainLoss} {
			if s.N == 0 {
				row = append(row, "", "")
				continue
			}
			row = append(row, g17(s.Mean), g17(s.Std))
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

func g17(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func optCSV(p *float64) string {
	if p == nil {
		return ""
	}
	return g17(*p)
}
