package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hdf5vault/hdf5vault/pipeline"
)

// Options say how a Meter shows itself.
type Options struct {
	Command  string        // prefix of every line, e.g. "hdf5vault verify"
	Verb     string        // the name of a stage begun without one, e.g. "verifying"
	Bar      bool          // redraw one line with a bar (a terminal); else one line per Interval
	Interval time.Duration // between redraws or lines
	Width    int           // the terminal's columns: a bar line is cut to fit (0: no limit)
}

// Meter counts the current stage's done files and bytes against its
// totals. Add is safe from many goroutines and cheap (two atomic adds).
type Meter struct {
	o     Options
	w     io.Writer
	files atomic.Int64
	bytes atomic.Int64

	mu                 sync.Mutex // guards the stage, and w
	stage              string
	totalFiles, totalB int64
	start              time.Time
	stop               chan struct{}
	wg                 sync.WaitGroup
	closeOnce          sync.Once
}

// Start begins showing progress on w; Close stops it.
func Start(w io.Writer, o Options) *Meter {
	m := &Meter{o: o, w: w, start: time.Now(), stop: make(chan struct{})}
	m.wg.Add(1)
	go m.loop()
	return m
}

// Begin starts a stage with its totals (0 when not known). A bar is drawn
// at once, so that even a short stage shows what is happening.
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

// Close stops the display and clears the bar, so that what the command
// prints next starts on a clean line. It may be called more than once.
func (m *Meter) Close() {
	m.closeOnce.Do(func() {
		close(m.stop)
		m.wg.Wait()
		if m.o.Bar {
			m.mu.Lock()
			fmt.Fprint(m.w, "\r\x1b[K")
			m.mu.Unlock()
		}
	})
}

func (m *Meter) loop() {
	defer m.wg.Done()
	t := time.NewTicker(m.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.mu.Lock()
			if m.stage != "" {
				m.draw(now)
			}
			m.mu.Unlock()
		}
	}
}

// draw writes the current line. The caller holds mu.
func (m *Meter) draw(now time.Time) {
	line := m.line(now)
	if !m.o.Bar {
		fmt.Fprintln(m.w, line)
		return
	}
	if m.o.Width > 0 && len(line) > m.o.Width {
		line = line[:m.o.Width]
	}
	fmt.Fprint(m.w, "\r"+line+"\x1b[K")
}

// line describes the stage: "hdf5vault verify: verifying [====>    ] 1234
// of 5000 files, 1.2 MiB of 4.9 MiB, 25.0%, 3.1 MiB/s, ETA 1s". Without
// totals it counts what is done and the time spent.
func (m *Meter) line(now time.Time) string {
	files, bytes := m.files.Load(), m.bytes.Load()
	el := now.Sub(m.start).Seconds()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", m.o.Command, m.stage)
	done, total := float64(files), float64(m.totalFiles)
	if m.totalB > 0 {
		done, total = float64(bytes), float64(m.totalB)
	}
	frac := -1.0
	if total > 0 {
		frac = min(1, done/total)
	}
	if m.o.Bar && frac >= 0 {
		const width = 20
		n := int(frac * width)
		fmt.Fprintf(&b, " [%s%s]", strings.Repeat("=", n), strings.Repeat(" ", width-n))
	}
	switch {
	case m.totalFiles > 0:
		fmt.Fprintf(&b, " %d of %d files", files, m.totalFiles)
	case files > 0:
		fmt.Fprintf(&b, " %d files", files)
	}
	if m.totalB > 0 {
		fmt.Fprintf(&b, ", %s of %s", pipeline.IEC(bytes), pipeline.IEC(m.totalB))
	}
	if frac < 0 {
		fmt.Fprintf(&b, " (%s)", time.Duration(el*float64(time.Second)).Round(time.Second))
		return b.String()
	}
	fmt.Fprintf(&b, ", %.1f%%", 100*frac)
	if el > 0 && m.totalB > 0 {
		fmt.Fprintf(&b, ", %s/s", pipeline.IEC(int64(float64(bytes)/el)))
	} else if el > 0 {
		fmt.Fprintf(&b, ", %.0f files/s", float64(files)/el)
	}
	if done > 0 && frac < 1 {
		eta := time.Duration(el * (total - done) / done * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	return b.String()
}
