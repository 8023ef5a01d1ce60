package progress

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Options say how a Meter or Archiving shows itself.
type Options struct {
	Command  string        // prefix of every line, e.g. "hdf5vault verify"
	Verb     string        // the name of a stage begun without one, e.g. "verifying"
	Bar      bool          // redraw one line with a bar (a terminal); else one line per Interval
	Interval time.Duration // between redraws or lines
	Width    int           // the terminal's columns: a bar line stays below this (0: no limit)
	Columns  func() int    // asked at every redraw instead of Width, so a resized terminal is followed
	Delay    time.Duration // a bar appears only this long after Start: a quick command shows none
}

// width is the terminal's width now (0: unknown).
func (o *Options) width() int {
	if o.Columns != nil {
		return o.Columns()
	}
	return o.Width
}

// Meter counts the current stage's done files and bytes against its
// totals. Add is safe from many goroutines and cheap (two atomic adds).
type Meter struct {
	display // its mu guards the stage
	files   atomic.Int64
	bytes   atomic.Int64

	stage              string
	totalFiles, totalB int64
	start              time.Time
	spin               int // the spinner's position, for stages without totals
}

// Start begins showing progress on w; Close stops it.
func Start(w io.Writer, o Options) *Meter {
	m := &Meter{start: time.Now()}
	m.display.start(w, o, func(now time.Time) {
		if m.stage != "" {
			m.draw(now)
		}
	})
	return m
}

// Begin starts a stage with its totals (0 when not known). A bar is drawn
// at once (once the Delay has passed), so that even a short stage shows
// what is happening.
func (m *Meter) Begin(stage string, files int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if stage == "" {
		stage = m.o.Verb
	}
	m.stage, m.totalFiles, m.totalB, m.start = stage, int64(files), bytes, time.Now()
	m.files.Store(0)
	m.bytes.Store(0)
	if m.o.Bar {
		m.draw(time.Now())
	}
}

// Add counts files and bytes done in the current stage.
func (m *Meter) Add(files int, bytes int64) {
	if files != 0 {
		m.files.Add(int64(files))
	}
	if bytes != 0 {
		m.bytes.Add(bytes)
	}
}

// draw writes the current line. The caller holds mu.
func (m *Meter) draw(now time.Time) {
	if m.put(now, func() string { return m.line(now) }, func(w int) string { return m.barLine(now, w) }) {
		m.spin++
	}
}

// line describes the stage in a log line: "hdf5vault verify: verifying
// 1234 of 5000 files, 1.2 MiB of 4.9 MiB, 25.0%, 3.1 MiB/s, ETA 1s".
// Without totals it counts what is done and the time spent.
func (m *Meter) line(now time.Time) string {
	items, _ := m.items(now)
	return join(m.o.Command+": "+m.stage, items)
}

// barLine is the line with a bar, fitted to width columns (0: no limit).
// A stage without totals turns a spinner instead of a bar.
func (m *Meter) barLine(now time.Time, width int) string {
	items, frac := m.items(now)
	stage := m.stage
	if frac < 0 {
		stage += " " + string(`|/-\`[m.spin%4])
	}
	return fit(width, []string{m.o.Command + ": " + stage, stage}, frac, items)
}

// items are the pieces of the line after the stage, and the fraction done
// (-1 without totals).
func (m *Meter) items(now time.Time) ([]item, float64) {
	files, bytes := m.files.Load(), m.bytes.Load()
	el := now.Sub(m.start)
	done, total := float64(files), float64(m.totalFiles)
	if m.totalB > 0 {
		done, total = float64(bytes), float64(m.totalB)
	}
	var items []item
	switch {
	case m.totalFiles > 0:
		items = append(items, item{text: fmt.Sprintf("%d of %d files", files, m.totalFiles), keep: 3})
	case files > 0:
		items = append(items, item{text: fmt.Sprintf("%d files", files), keep: 3})
	}
	if m.totalB > 0 {
		items = append(items, item{text: IEC(bytes) + " of " + IEC(m.totalB), keep: 1})
	}
	if total <= 0 {
		items = append(items, item{text: "(" + el.Round(time.Second).String() + ")", keep: 4, space: true})
		return items, -1
	}
	frac := min(1, done/total)
	items = append(items, item{text: fmt.Sprintf("%.1f%%", 100*frac), keep: 5})
	if s := el.Seconds(); s > 0 && m.totalB > 0 {
		items = append(items, item{text: IEC(int64(float64(bytes)/s)) + "/s", keep: 0})
	} else if s > 0 {
		items = append(items, item{text: fmt.Sprintf("%.0f files/s", float64(files)/s), keep: 0})
	}
	if e := eta(el, done, total); e != "" {
		items = append(items, item{text: e, keep: 4})
	}
	return items, frac
}
