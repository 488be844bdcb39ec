package main

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long command (seed, reindex) is: a bar with
// done/total, rate and ETA on a terminal, where a person watches it, and
// a plain log line every interval otherwise, where a log collector or a
// CI job reads it and a bar's carriage returns would be noise.
type progress struct {
	what     string
	unit     string
	total    int64
	start    time.Time
	bar      *progressbar.ProgressBar // nil when not on a terminal
	log      *slog.Logger
	interval time.Duration
	lastLog  time.Time
}

// stderrIsTerminal reports whether a person is watching standard error.
func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// newProgress starts reporting what (e.g. "reindexing") of total units:
// as a bar on out when terminal, else as lines on log every interval.
func newProgress(what, unit string, total int64, terminal bool, out io.Writer, log *slog.Logger, interval time.Duration) *progress {
	p := &progress{what: what, unit: unit, total: total, start: time.Now(), log: log, interval: interval}
	p.lastLog = p.start
	if terminal {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionFullWidth(), progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(out, "\n") }))
	}
	return p
}

// set records that done units are finished.
func (p *progress) set(done int64) {
	if p.bar != nil {
		_ = p.bar.Set64(min(done, p.total))
		return
	}
	if now := time.Now(); now.Sub(p.lastLog) >= p.interval || done >= p.total {
		p.lastLog = now
		p.line(done, now)
	}
}

// line logs done/total, the rate so far and the time left at that rate.
func (p *progress) line(done int64, now time.Time) {
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed
	}
	eta := "unknown"
	if rate > 0 {
		eta = time.Duration(float64(max(p.total-done, 0)) / rate * float64(time.Second)).Round(time.Second).String()
	}
	p.log.Info(p.what, "done", done, "total", p.total, "unit", p.unit, "per_second", int(rate), "eta", eta)
}

// finish ends the bar.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
