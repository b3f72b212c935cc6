package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gaborlab/gabor/train"
)

// fakeClock advances by step on every call.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

func progressEvents(steps int) []*train.ProgressEvent {
	var evs []*train.ProgressEvent
	for k := 1; k <= steps; k++ {
		evs = append(evs, &train.ProgressEvent{Event: "progress", Epoch: 1, Step: k, Steps: 2 * steps,
			EpochStep: k, EpochSteps: steps, Loss: 0.5, ImagesPerS: 12345, ETAS: float64(2*steps - k)})
	}
	return evs
}

func TestTrainReporter(t *testing.T) {
	acc := 0.875
	epoch := &train.EpochEvent{Event: "epoch", Epoch: 1, TrainLoss: 0.4, TestAcc: &acc, EpochS: 2, ImagesPerS: 30000}
	tests := []struct {
		name      string
		tty, json bool
		tick      time.Duration // clock advance per event
		check     func(t *testing.T, out, errOut string)
	}{
		{"terminal draws a bar in place", true, false, 50 * time.Millisecond, func(t *testing.T, out, errOut string) {
			if out != "" {
				t.Errorf("stdout %q, want nothing without --json", out)
			}
			if !strings.Contains(errOut, "\r") || !strings.Contains(errOut, "[====") || !strings.Contains(errOut, "ETA ") {
				t.Errorf("no bar in %q", errOut)
			}
			// Throttled: 40 events 50 ms apart redraw about every other event, plus the last.
			if n := strings.Count(errOut, "\r") - 1; n < 15 || n > 25 {
				t.Errorf("%d redraws for 40 events over 2 s, want about 20", n)
			}
			if !strings.Contains(errOut, "40/40") || !strings.Contains(errOut, "\r\x1b[Kepoch 1/2  train loss 0.4000  test acc 0.8750") {
				t.Errorf("the epoch line should replace the bar: %q", errOut)
			}
		}},
		{"pipe gets plain lines", false, false, time.Second, func(t *testing.T, out, errOut string) {
			if strings.ContainsAny(errOut, "\r\x1b") {
				t.Errorf("control characters in plain output %q", errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			// 40 events 1 s apart, a line every 10 s: 3 progress lines, then the epoch line.
			if len(lines) != 4 || !strings.HasPrefix(lines[0], "epoch 1/2 step 11/40  loss 0.5000  12.3k img/s  ETA 1:09") {
				t.Errorf("plain lines:\n%s", errOut)
			}
		}},
		{"json on stdout", false, true, time.Second, func(t *testing.T, out, errOut string) {
			if out != `{"event":"epoch","epoch":1,"train_loss":0.4,"test_acc":0.875,"epoch_s":2,"images_per_s":30000}`+"\n" {
				t.Errorf("stdout %q", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
			io := &ioStreams{Out: out, ErrOut: errOut, ErrTTY: tt.tty}
			r := newTrainReporter(io, tt.json, 2, fakeClock(tt.tick))
			for _, e := range progressEvents(40) {
				r.handle(e)
			}
			r.handle(epoch)
			if r.err != nil {
				t.Fatal(r.err)
			}
			tt.check(t, out.String(), errOut.String())
		})
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0:00"}, {59 * time.Second, "0:59"}, {61500 * time.Millisecond, "1:02"}, {3*time.Hour + 4*time.Minute + 5*time.Second, "3:04:05"}} {
		if got := formatDuration(c.d); got != c.want {
			t.Errorf("formatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{950.4, "950"}, {9999, "9999"}, {12345, "12.3k"}, {1.25e6, "1.25M"}} {
		if got := humanRate(c.v); got != c.want {
			t.Errorf("humanRate(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}
