package pipeline

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress receives the run's progress. Calls come from several goroutines.
type Progress interface {
	// Total is the counting scan's running total; final when the tree is fully counted.
	Total(files, bytes int64, final bool)
	// Stored reports one part's raw bytes as stored.
	Stored(bytes int64)
	// Close ends the display.
	Close()
}

// NoProgress shows nothing (-q).
type NoProgress struct{}

func (NoProgress) Total(int64, int64, bool) {}
func (NoProgress) Stored(int64)             {}
func (NoProgress) Close()                   {}

// counts is the state both displays share.
type counts struct {
	mu    sync.Mutex
	files int64
	total int64
	final bool
	done  int64
	start time.Time
}

// Bar draws a terminal progress bar with bytes, rate and ETA.
type Bar struct {
	counts
	bar *progressbar.ProgressBar
}

// NewBar draws on w (a terminal).
func NewBar(w io.Writer) *Bar {
	b := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("archiving"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
	return &Bar{counts: counts{start: time.Now()}, bar: b}
}

func (b *Bar) Total(files, bytes int64, final bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.set(files, bytes, final) {
		return
	}
	b.bar.ChangeMax64(max(bytes, b.done, 1))
	if final {
		b.bar.Describe(fmt.Sprintf("archiving %d files", files))
	} else {
		b.bar.Describe(fmt.Sprintf("archiving (counting: %d files)", files))
	}
}

func (b *Bar) Stored(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if b.done > b.bar.GetMax64() {
		b.bar.ChangeMax64(b.done) // the scan is behind: never show more than 100%
	}
	b.bar.Add64(n)
}

func (b *Bar) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bar.Finish()
}

// LogLines writes one plain line every interval (not a terminal: cron, batch jobs).
type LogLines struct {
	counts
	w        io.Writer
	interval time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
}

// NewLogLines starts the ticker; Close stops it.
func NewLogLines(w io.Writer, interval time.Duration) *LogLines {
	l := &LogLines{counts: counts{start: time.Now()}, w: w, interval: interval, stop: make(chan struct{})}
	l.wg.Add(1)
	go l.loop()
	return l
}

func (l *LogLines) loop() {
	defer l.wg.Done()
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			fmt.Fprintln(l.w, l.line(time.Now()))
			l.mu.Unlock()
		}
	}
}

func (l *LogLines) Total(files, bytes int64, final bool) {
	l.mu.Lock()
	l.set(files, bytes, final)
	l.mu.Unlock()
}

func (l *LogLines) Stored(n int64) {
	l.mu.Lock()
	l.done += n
	l.mu.Unlock()
}

func (l *LogLines) Close() {
	close(l.stop)
	l.wg.Wait()
}

// set records a total; a late running count from the scanner never
// replaces the walk's final one. The caller holds mu.
func (c *counts) set(files, bytes int64, final bool) bool {
	if c.final && !final {
		return false
	}
	c.files, c.total, c.final = files, bytes, final
	return true
}

// line is the log line: bytes done of total, percentage, rate, ETA.
func (c *counts) line(now time.Time) string {
	el := now.Sub(c.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(c.done) / el
	}
	s := fmt.Sprintf("hdf5vault: %s of %s", IEC(c.done), IEC(c.total))
	if !c.final {
		s += fmt.Sprintf(" (still counting, %d files so far)", c.files)
	} else {
		s += fmt.Sprintf(" in %d files", c.files)
	}
	if c.total > 0 {
		s += fmt.Sprintf(", %.1f%%", 100*float64(c.done)/float64(c.total))
	}
	s += fmt.Sprintf(", %s/s", IEC(int64(rate)))
	if c.final && rate > 0 && c.total > c.done {
		eta := time.Duration(float64(c.total-c.done) / rate * float64(time.Second))
		s += ", ETA " + eta.Round(time.Second).String()
	}
	return s
}

// IEC formats a byte count with binary units.
func IEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	d, e := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		d *= unit
		e++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(d), "KMGTPE"[e])
}
