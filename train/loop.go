package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// RunOptions are the parts of a run that are not training settings: where
// events and notes go, and (for Resume) overrides.
type RunOptions struct {
	// Progress receives every event, on the training goroutine: keep it quick.
	Progress func(Event)
	// ProgressEvery is the number of steps between progress events (0: 20).
	ProgressEvery int
	// Log receives human-readable notes (where the run goes, what resumed);
	// nil discards them.
	Log io.Writer
	// Version is recorded in checkpoints as gabor_version.
	Version string
	// Hooks run every few steps with read access to the model's buffers.
	Hooks []Hook

	// Dataset, for Resume: use it instead of loading the run's dataset again.
	Dataset *data.Dataset
	// Device, for Resume: train on another device than the run's.
	Device string
	// Epochs, for Resume: train up to this many epochs in all (0: the run's
	// own). Note that a cosine or one-cycle schedule then stretches to the
	// new length, so the continuation is no longer the original run.
	Epochs int
	// DivergeFactor stops the run when a sampled loss exceeds this many times
	// the best sampled loss so far (see DefaultDivergeFactor; 0: the default;
	// negative: only a NaN or infinite loss stops it).
	DivergeFactor float64

	model *graph.Model // set by Fit: the caller's model, trained as built
}

// Hook is called during training, outside the timed part of the epoch. An
// error from Fn stops the run.
type Hook struct {
	Every      int      // call after every Every steps (0: never by step count)
	AtEpochEnd bool     // also call after each epoch (after its checkpoint)
	AtResume   bool     // also call once when Resume starts, at the checkpoint's step (to redo a write a killed run left unfinished)
	Taps       []string // node names to keep readable (see graph.Options.Taps)
	Fn         func(*Snapshot) error
}

// Snapshot gives a hook read access to the running program.
type Snapshot struct {
	Epoch   int // 1-based epoch in progress (or just finished)
	Step    int // steps done in the run
	Program *kernels.Program
	Exec    kernels.Executable
}

// Read copies a tap, a parameter, an optimizer state buffer, or "loss" or
// "logits" (of the last step) to the host, with its shape.
func (s *Snapshot) Read(name string) ([]float32, []int, error) {
	id, ok := s.Program.Taps[name]
	switch {
	case ok:
	case name == "loss" && s.Program.Loss >= 0:
		id, ok = s.Program.Loss, true
	case name == "logits" && s.Program.Logits >= 0:
		id, ok = s.Program.Logits, true
	}
	if !ok {
		for _, p := range s.Program.Params {
			if p.Name == name {
				id, ok = p.Value, true
			}
		}
	}
	if !ok {
		for i, b := range s.Program.Buffers {
			if b.Name == name && (b.Class == kernels.OptState || b.Class == kernels.Param) {
				id, ok = kernels.BufID(i), true
			}
		}
	}
	if !ok {
		return nil, nil, fmt.Errorf("train: no tap or parameter named %q", name)
	}
	b := s.Program.Buf(id)
	out := make([]float32, b.Len)
	if err := s.Exec.Read(id, out); err != nil {
		return nil, nil, err
	}
	return out, append([]int(nil), b.Shape...), nil
}

// LoadDataset loads the dataset a config names, with its limits applied: what
// Resume uses, and what a caller of Run should use so both see the same data.
func LoadDataset(cfg Config) (*data.Dataset, error) {
	return data.Load(cfg.Dataset, cfg.DataDir, data.LoadOptions{TrainLimit: cfg.Limit, TestLimit: cfg.TestLimit, Source: cfg.Source})
}

// openBackend opens a device by name; tests swap it for backends of their own.
var openBackend = kernels.Open

// trainer is one training session: a compiled, loaded program and its data.
type trainer struct {
	cfg         Config
	opts        RunOptions
	ds          *data.Dataset
	train, test *data.Set
	b           *built
	be          kernels.Backend
	exe         kernels.Executable
	st          *stepper // runs the program's pipeline steps (pipeline.go)

	stepsPerEpoch, totalSteps int
	epoch, step               int // completed
	recs                      []Record

	dir       string // where files are written now: the staging dir until published
	runDir    string
	published bool

	perStep     int       // examples per step: the batch, or 0 for a model with no data
	rates, loss []float32 // the epoch's learning rates; the loss read back
	hookTime    time.Duration
	bestLoss    float64 // the best sampled loss so far (divergence check)
}

func (t *trainer) logf(format string, args ...any) {
	if t.opts.Log != nil {
		fmt.Fprintf(t.opts.Log, format+"\n", args...)
	}
}

func (t *trainer) emit(e Event) {
	if t.opts.Progress != nil {
		t.opts.Progress(e)
	}
}

// newTrainer checks the data against the config, compiles the model, opens
// the device and loads the program with the initial (or checkpointed) state.
// It creates no files. ds is nil for a model with no data (a surface to
// minimize): its epochs are cfg.StepsPerEpoch steps.
func newTrainer(cfg Config, ds *data.Dataset, opts RunOptions, ck *Checkpoint, ckPath string) (*trainer, error) {
	if ds != nil && (ds.Train == nil || ds.Test == nil) {
		return nil, errors.New("train: no dataset")
	}
	t := &trainer{cfg: cfg, opts: opts, ds: ds, bestLoss: math.Inf(1)}
	switch {
	case t.opts.DivergeFactor == 0:
		t.opts.DivergeFactor = DefaultDivergeFactor
	case t.opts.DivergeFactor < 0:
		t.opts.DivergeFactor = 0
	}
	if ds != nil {
		if cfg.StepsPerEpoch != 0 {
			return nil, fmt.Errorf("train: steps per epoch (%d) is for a model with no data; with data it is the training set's batches", cfg.StepsPerEpoch)
		}
		t.train = ds.Train.Head(cfg.Limit)
		t.test = ds.Test.Head(cfg.TestLimit)
		for _, s := range []*data.Set{t.train, t.test} {
			if err := s.Validate(); err != nil {
				return nil, fmt.Errorf("train: dataset %s: %w", ds.Name, err)
			}
		}
		t.stepsPerEpoch = data.NumBatches(t.train.N, cfg.Batch)
		if t.stepsPerEpoch < 1 {
			return nil, fmt.Errorf("train: the training set has %d images, fewer than one batch of %d", t.train.N, cfg.Batch)
		}
		if t.test.N < 1 {
			return nil, errors.New("train: the test set is empty")
		}
		t.perStep = cfg.Batch
	}
	if cfg.InitFrom != "" && ck == nil {
		if _, err := models.ReadANCHORW1(cfg.InitFrom); err != nil {
			return nil, &InputError{cfg.InitFrom, fmt.Errorf("init-from: %w", err)}
		}
	}
	var taps []string
	for _, h := range opts.Hooks {
		taps = append(taps, h.Taps...)
	}
	spec := specOf(cfg, cfg.Out, cfg.Batch)
	spec.opt, spec.taps, spec.graph = cfg.GraphOptimizer(), taps, opts.model
	if ck == nil {
		spec.initFrom = cfg.InitFrom
	}
	b, err := buildProgram(spec)
	if err != nil {
		return nil, err
	}
	t.b = b
	if ds == nil {
		if len(b.prog.Inputs) > 0 {
			return nil, fmt.Errorf("train: no dataset for model %s, which reads %d inputs (a run on data its caller passed resumes with RunOptions.Dataset)", cfg.Model, len(b.prog.Inputs))
		}
		if cfg.StepsPerEpoch < 1 {
			return nil, fmt.Errorf("train: model %s reads no data: its epochs need a number of steps (Config.StepsPerEpoch)", cfg.Model)
		}
		t.stepsPerEpoch = cfg.StepsPerEpoch
	}
	t.totalSteps = t.stepsPerEpoch * cfg.Epochs
	if err := checkIO(b.prog, cfg.Batch, t.train, true); err != nil {
		return nil, err
	}
	if b.prog, err = addPipeline(b.prog, &cfg, t.train, t.test, t.stepsPerEpoch); err != nil {
		return nil, err
	}
	if t.be, err = openBackend(cfg.Device); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if t.exe, err = t.be.Load(b.prog); err != nil {
		return nil, fmt.Errorf("train: loading %s on %s: %w", cfg.Model, t.be.Name(), err)
	}
	if ck != nil {
		err = ck.restore(b.prog, t.exe, ckPath)
	} else {
		err = b.writeInit(t.exe)
	}
	if err == nil && t.train != nil {
		err = uploadSet(t.exe, b.prog.Pipe.Train, t.train, false)
	}
	if err == nil && t.test != nil {
		err = uploadSet(t.exe, b.prog.Pipe.Eval, t.test, true)
	}
	if err == nil {
		t.st, err = newStepper(b.prog, t.exe)
	}
	if err != nil {
		t.exe.Close()
		return nil, err
	}
	t.rates = make([]float32, t.stepsPerEpoch)
	t.loss = make([]float32, 1)
	return t, nil
}

// close releases the executable (and with it what it captured).
func (t *trainer) close() error { return t.exe.Close() }

// checkIO checks that a program has the inputs and outputs the loop drives,
// sized for the batch and the data (set nil: a model with no data, which
// needs only a loss).
func checkIO(p *kernels.Program, batch int, set *data.Set, training bool) error {
	if set == nil {
		if training && (p.Loss < 0 || p.Update.Len() == 0) {
			return errors.New("train: the compiled program has no loss or no optimizer update")
		}
		return nil
	}
	x, ok := p.Inputs["x"]
	if !ok {
		return errors.New("train: the compiled program has no input \"x\"")
	}
	if _, ok := p.Inputs["labels"]; !ok {
		return errors.New("train: the compiled program has no input \"labels\"")
	}
	switch n := p.Buf(x).Len; {
	case set.D > 0 && n != batch*set.D:
		return fmt.Errorf("train: model input x %v holds %d values, a batch of %d rows of %d inputs has %d",
			p.Buf(x).Shape, n, batch, set.D, batch*set.D)
	case set.D == 0 && n != batch*set.H*set.W:
		return fmt.Errorf("train: model input x %v holds %d values, a batch of %d %d×%d images has %d",
			p.Buf(x).Shape, n, batch, set.H, set.W, batch*set.H*set.W)
	}
	if set.T > 0 {
		// Float targets: the prediction (Logits) is scored against them.
		if n := p.Buf(p.Inputs["labels"]).Len; n != batch*set.T {
			return fmt.Errorf("train: model input labels %v holds %d values: want float targets [%d, %d]",
				p.Buf(p.Inputs["labels"]).Shape, n, batch, set.T)
		}
		if p.Logits < 0 || p.Buf(p.Logits).Len != batch*set.T {
			return fmt.Errorf("train: the compiled program exposes no prediction [%d, %d] (the model's Logits) to score the targets with", batch, set.T)
		}
	} else {
		if p.Logits < 0 || p.Buf(p.Logits).Len%batch != 0 {
			return errors.New("train: the compiled program exposes no logits [batch, classes]")
		}
		if classes := p.Buf(p.Logits).Len / batch; classes < set.Classes {
			return fmt.Errorf("train: the model has %d outputs, the dataset %d classes", classes, set.Classes)
		}
		if n, classes := p.Buf(p.Inputs["labels"]).Len, p.Buf(p.Logits).Len/batch; n != batch && n != batch*classes {
			return fmt.Errorf("train: model input labels %v holds %d values: want class indices [%d] or one-hot rows [%d, %d]",
				p.Buf(p.Inputs["labels"]).Shape, n, batch, batch, classes)
		}
	}
	if training && (p.Loss < 0 || p.Update.Len() == 0) {
		return errors.New("train: the compiled program has no loss or no optimizer update")
	}
	return nil
}

// hotClasses is labelClasses for a set: 0 when the set's targets are float
// rows, which the labels input takes as they are.
func hotClasses(p *kernels.Program, batch int, set *data.Set) int {
	if set.T > 0 {
		return 0
	}
	return labelClasses(p, batch)
}

// labelClasses is how the program's "labels" input holds a batch: 0 for
// class indices [B], or the number of classes C for one-hot rows [B, C] (a
// model whose Target is graph.OneHot, as gorgonia's examples write their
// loss), which the pipeline's gather (and WriteLabels) build from class indices.
func labelClasses(p *kernels.Program, batch int) int {
	if n := p.Buf(p.Inputs["labels"]).Len; n != batch && batch > 0 && n%batch == 0 {
		return n / batch
	}
	return 0
}

// WriteLabels writes a batch's class indices y [B] into prog's labels
// input: as they are, or as one-hot rows [B, C] for a model that takes them
// (introspection's forward passes use it; the loops keep their rows).
func WriteLabels(exe kernels.Executable, prog *kernels.Program, y []float32) error {
	var hot []float32
	if c := labelClasses(prog, len(y)); c > 0 {
		hot = make([]float32, len(y)*c)
	}
	return writeLabels(exe, prog.Inputs["labels"], y, hot)
}

// writeLabels writes a batch's class indices y into the labels input: as
// they are when hot is nil, else as one-hot rows built in hot [len(y), C].
func writeLabels(exe kernels.Executable, id kernels.BufID, y, hot []float32) error {
	if hot == nil {
		return exe.Write(id, y)
	}
	c := len(hot) / len(y)
	clear(hot)
	for i, v := range y {
		k := int(v)
		if k < 0 || k >= c || float32(k) != v {
			return fmt.Errorf("train: label %v of batch row %d is not one of the model's %d one-hot classes", v, i, c)
		}
		hot[i*c+k] = 1
	}
	return exe.Write(id, hot)
}

// Run trains a new run. ds is the dataset (see LoadDataset); Run uses its
// first cfg.Limit training and cfg.TestLimit test images. The run directory
// (cfg.Out, or runs/<model>-<time>) must not exist or be empty; it appears
// only once the first epoch's checkpoint is complete, so a run that fails or
// is interrupted before that leaves nothing behind.
//
// When ctx is cancelled, Run stops at the next step and returns the epochs
// completed so far with an error wrapping ctx.Err(); the run directory then
// holds the checkpoint of the last completed epoch, from which Resume
// continues.
func Run(ctx context.Context, cfg Config, ds *data.Dataset, opts RunOptions) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Out == "" {
		cfg.Out = defaultRunDir(cfg.Model, time.Now())
	}
	removed, err := cleanLeftovers(cfg.Out, false)
	if err != nil {
		return nil, err
	}
	if err := checkRunDirFree(cfg.Out); err != nil {
		return nil, err
	}
	t, err := newTrainer(cfg, ds, opts, nil, "")
	if err != nil {
		return nil, err
	}
	defer t.close()
	if t.train != nil {
		for _, note := range cfg.clampLimits(t.train.N, t.test.N) {
			t.logf("%s", note)
		}
	}
	t.cfg = cfg
	t.runDir = cfg.Out
	parent := filepath.Dir(cfg.Out)
	_, statErr := os.Stat(parent)
	sd, err := stagingDir(cfg.Out)
	if err != nil {
		return nil, err
	}
	defer sd.Release()
	t.dir = sd.Path
	for _, p := range removed {
		t.logf("removed %s, left by a process that was killed", p)
	}
	defer func() {
		if !t.published {
			os.RemoveAll(t.dir)
			if statErr != nil {
				os.Remove(parent) // made for this run (e.g. runs/); removed only if empty
			}
		}
	}()
	if err := writeConfig(t.dir, cfg); err != nil {
		return nil, err
	}
	if err := t.b.writeRecord(t.dir, cfg); err != nil {
		return nil, err
	}
	if ds != nil {
		t.logf("training %s on %s (%d images, %d steps per epoch) on %s; run directory %s",
			cfg.Model, ds.Name, t.train.N, t.stepsPerEpoch, t.be.Caps().Device, cfg.Out)
	} else {
		t.logf("training %s (no data, %d steps per epoch) on %s; run directory %s",
			cfg.Model, t.stepsPerEpoch, t.be.Caps().Device, cfg.Out)
	}
	return t.loop(ctx)
}

// loop trains from the current epoch to cfg.Epochs.
func (t *trainer) loop(ctx context.Context) (*Result, error) {
	for t.epoch < t.cfg.Epochs {
		if err := ctx.Err(); err != nil {
			return t.result(), t.interrupted(err)
		}
		if err := t.runEpoch(ctx); err != nil {
			if ctx.Err() != nil {
				return t.result(), t.interrupted(ctx.Err())
			}
			return t.result(), err
		}
	}
	return t.result(), nil
}

func (t *trainer) interrupted(cause error) error {
	if !t.published {
		return fmt.Errorf("train: interrupted in epoch %d, before the first checkpoint: nothing was saved: %w", t.epoch+1, cause)
	}
	return fmt.Errorf("train: interrupted in epoch %d; %s holds the checkpoint of epoch %d (resume it to continue): %w",
		t.epoch+1, t.runDir, t.epoch, cause)
}

func (t *trainer) result() *Result {
	r := &Result{
		Model: t.cfg.Model, Device: t.be.Name(), DeviceName: t.be.Caps().Device,
		RunDir: t.runDir,
	}
	if t.ds != nil {
		r.Dataset = t.ds.Name
	}
	if t.published {
		r.Checkpoint = filepath.Join(t.runDir, CheckpointFile)
	}
	summarize(r, t.recs, t.stepsPerEpoch*t.perStep)
	return r
}

// runEpoch trains one epoch, evaluates, and saves the metrics and checkpoint.
func (t *trainer) runEpoch(ctx context.Context) error {
	cfg := &t.cfg
	epoch := t.epoch + 1
	// The permutation is made before the clock starts, as in the reference programs.
	perm := t.permutation()
	every := t.opts.ProgressEvery
	if every <= 0 {
		every = 20
	}
	t.hookTime = 0
	start := time.Now()
	l, err := t.steps(ctx, perm, epoch, every, start)
	if err != nil {
		return err
	}
	if err := t.exe.Sync(); err != nil {
		return err
	}
	epochS := (time.Since(start) - t.hookTime).Seconds()

	rec := Record{
		EpochEvent: EpochEvent{
			Event: "epoch", Epoch: epoch, TrainLoss: l.sum / float64(l.n),
			EpochS: epochS, ImagesPerS: float64(t.stepsPerEpoch*t.perStep) / epochS,
		},
		Step: t.step, LR: cfg.RateAt(t.step-1, t.totalSteps), Images: t.stepsPerEpoch * t.perStep,
		Checkpoint: filepath.Join(t.runDir, CheckpointFile),
	}
	if cfg.shouldEval(epoch) && t.test != nil {
		ev, err := t.evaluate(ctx)
		if err != nil {
			return err
		}
		rec.TestLoss = &ev.Loss
		if t.test.T == 0 {
			rec.TestAcc = &ev.Accuracy
		}
	}
	if err := appendRecord(t.dir, rec); err != nil {
		return err
	}
	if err := t.saveCheckpoint(epoch, &rec); err != nil {
		return err
	}
	t.epoch = epoch
	t.recs = append(t.recs, rec)
	if !t.published {
		if err := publishDir(t.dir, t.runDir); err != nil {
			return err
		}
		t.published, t.dir = true, t.runDir
	}
	t.emit(&rec.EpochEvent)
	return t.runHooks(epoch, true)
}

// permutation is the epoch's order of the training set (nil with no data).
func (t *trainer) permutation() []int32 {
	if t.train == nil {
		return nil
	}
	return data.Permutation(t.train.N, t.cfg.Seed+uint64(t.epoch))
}

// steps runs an epoch's steps and returns the losses they sampled. One
// step is one run of the program's TrainStep; the loop only writes the
// epoch's order, rates and state first (startEpoch) and reads the state:
// after every sampled loss on a backend whose reads are free, else only for
// a progress event and at the end (see pipeline.go).
func (t *trainer) steps(ctx context.Context, perm []int32, epoch, every int, start time.Time) (losses, error) {
	cfg := &t.cfg
	if err := t.startEpoch(perm, t.totalSteps); err != nil {
		return losses{}, fmt.Errorf("train: epoch %d: %w", epoch, err)
	}
	first := t.step
	var total, win losses
	var prev losses // deferred: the state at the last progress event
	for k := 0; k < t.stepsPerEpoch; k++ {
		if err := ctx.Err(); err != nil {
			return losses{}, err
		}
		if err := t.st.train(); err != nil {
			return losses{}, fmt.Errorf("train: epoch %d step %d: %w", epoch, k+1, err)
		}
		t.step++
		if !t.st.deferred && ((k+1)%cfg.LossEvery == 0 || k == t.stepsPerEpoch-1) {
			if err := t.sampled(epoch, k+1, &total, &win); err != nil {
				return losses{}, err
			}
		}
		if (k+1)%every == 0 && k+1 < t.stepsPerEpoch {
			loss, ok, err := t.window(epoch, first, &win, &prev)
			if err != nil {
				return losses{}, err
			}
			if ok {
				el := time.Since(start) - t.hookTime
				t.emit(&ProgressEvent{
					Event: "progress", Epoch: epoch, Step: t.step, Steps: t.totalSteps,
					EpochStep: k + 1, EpochSteps: t.stepsPerEpoch, Loss: loss,
					ImagesPerS: float64((k+1)*t.perStep) / el.Seconds(),
					ETAS:       el.Seconds() / float64(k+1) * float64(t.totalSteps-t.step),
				})
			}
		}
		if err := t.runHooks(epoch, false); err != nil {
			return losses{}, err
		}
	}
	if t.st.deferred {
		l, _, err := t.deferredLosses(epoch, first, true)
		return l, err
	}
	return total, nil
}

// window is the mean of the losses sampled since the last progress event,
// and whether there were any. On a deferred backend it reads the state (a
// wait for the device), and only when someone listens.
func (t *trainer) window(epoch, first int, win, prev *losses) (float64, bool, error) {
	if !t.st.deferred {
		if win.n == 0 {
			return 0, false, nil
		}
		l := win.sum / float64(win.n)
		*win = losses{}
		return l, true, nil
	}
	if t.opts.Progress == nil {
		return 0, false, nil
	}
	now, last, err := t.deferredLosses(epoch, first, false)
	if err != nil {
		return 0, false, err
	}
	n := now.n - prev.n
	if n == 0 {
		return 0, false, nil
	}
	l := (now.sum - prev.sum) / float64(n)
	if n == 1 {
		l = last // exactly the one loss sampled
	}
	*prev = now
	return l, true, nil
}

func (t *trainer) saveCheckpoint(epoch int, rec *Record) error {
	ts, err := snapshotState(t.b.prog, t.exe, t.cfg.Optimizer)
	if err != nil {
		return err
	}
	b, err := encodeCheckpoint(&t.cfg, epoch, t.step, t.opts.Version, rec, ts, map[string]string{
		"backend": t.be.Name(), "threads": strconv.Itoa(t.be.Caps().Threads)})
	if err != nil {
		return fmt.Errorf("train: encoding the checkpoint: %w", err)
	}
	return writeFileAtomic(filepath.Join(t.dir, CheckpointFile), b)
}

// runHooks calls the hooks due now; their time is kept out of the epoch time.
func (t *trainer) runHooks(epoch int, epochEnd bool) error {
	if len(t.opts.Hooks) == 0 {
		return nil
	}
	t0 := time.Now()
	defer func() { t.hookTime += time.Since(t0) }()
	for _, h := range t.opts.Hooks {
		due := (epochEnd && h.AtEpochEnd) || (!epochEnd && h.Every > 0 && t.step%h.Every == 0)
		if !due || h.Fn == nil {
			continue
		}
		if err := t.exe.Sync(); err != nil {
			return err
		}
		if err := h.Fn(&Snapshot{Epoch: epoch, Step: t.step, Program: t.b.prog, Exec: t.exe}); err != nil {
			return fmt.Errorf("train: hook at step %d: %w", t.step, err)
		}
	}
	return nil
}
