package progress

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Archiving shows create's progress: bytes stored of the total a
// concurrent counting scan has found so far, rate and ETA. It is the
// display pipeline.Progress calls back: Total, Stored and Close, from
// several goroutines.
type Archiving struct {
	display              // its mu guards the totals
	done    atomic.Int64 // raw bytes stored

	files, total int64
	final        bool
	start        time.Time
}

// StartArchiving shows create's progress on w: with o.Bar one line redrawn
// every o.Interval, else a timestamped line every o.Interval. Close stops it.
func StartArchiving(w io.Writer, o Options) *Archiving {
	a := &Archiving{start: time.Now()}
	a.display.start(w, o, a.draw)
	return a
}

// Total is the counting scan's running total; a late running count never
// replaces the walk's final one.
func (a *Archiving) Total(files, bytes int64, final bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.final && !final {
		return
	}
	a.files, a.total, a.final = files, bytes, final
}

// Stored counts one part's raw bytes as stored.
func (a *Archiving) Stored(n int64) { a.done.Add(n) }

// draw writes the current line. The caller holds mu.
func (a *Archiving) draw(now time.Time) {
	a.put(now, func() string { return a.line(now) }, func(w int) string { return a.barLine(now, w) })
}

// line is the log line: "hdf5vault: 1.2 MiB of 4.0 MiB in 1500 files,
// 30.0%, 3.0 MiB/s, ETA 1s". The caller holds mu.
func (a *Archiving) line(now time.Time) string {
	done := a.done.Load()
	s := fmt.Sprintf("hdf5vault: %s of %s", IEC(done), IEC(a.total))
	if !a.final {
		s += fmt.Sprintf(" (still counting, %d files so far)", a.files)
	} else {
		s += fmt.Sprintf(" in %d files", a.files)
	}
	if a.total > 0 {
		s += fmt.Sprintf(", %.1f%%", 100*min(1, float64(done)/float64(a.total)))
	}
	s += ", " + a.rate(now, done)
	if e := a.eta(now, done); e != "" {
		s += ", " + e
	}
	return s
}

// barLine is "archiving 1500 files [=====   ] 30.0%, 1.2 MiB of 4.0 MiB,
// 3.0 MiB/s, ETA 1s", fitted to width columns. The caller holds mu.
func (a *Archiving) barLine(now time.Time, width int) string {
	done := a.done.Load()
	head := fmt.Sprintf("archiving %d files", a.files)
	if !a.final {
		head = fmt.Sprintf("archiving (counting: %d files)", a.files)
	}
	frac := 0.0
	if a.total > 0 {
		frac = min(1, float64(done)/float64(a.total))
	}
	items := []item{
		{text: fmt.Sprintf("%.1f%%", 100*frac), keep: 5},
		{text: IEC(done) + " of " + IEC(a.total), keep: 3},
		{text: a.rate(now, done), keep: 1},
	}
	if e := a.eta(now, done); e != "" {
		items = append(items, item{text: e, keep: 4})
	}
	return fit(width, []string{head, "archiving"}, frac, items)
}

func (a *Archiving) rate(now time.Time, done int64) string {
	r := 0.0
	if el := now.Sub(a.start).Seconds(); el > 0 {
		r = float64(done) / el
	}
	return Rate(r)
}

// eta is shown only once the tree is fully counted and enough is measured.
func (a *Archiving) eta(now time.Time, done int64) string {
	if !a.final {
		return ""
	}
	return eta(now.Sub(a.start), float64(done), float64(a.total))
}
