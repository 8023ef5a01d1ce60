package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// display is what Meter and Archiving share: the writer, the goroutine
// that redraws every interval, and whether a bar is on the screen.
type display struct {
	o     Options
	w     io.Writer
	mu    sync.Mutex // guards w, drawn and the owner's state
	shown time.Time  // when a bar may first be drawn (Options.Delay)
	drawn bool       // a bar is on the screen
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// start runs tick every interval, with mu held, until Close.
func (d *display) start(w io.Writer, o Options, tick func(now time.Time)) {
	d.o, d.w, d.shown, d.stop = o, w, time.Now().Add(o.Delay), make(chan struct{})
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTicker(o.Interval)
		defer t.Stop()
		for {
			select {
			case <-d.stop:
				return
			case now := <-t.C:
				d.mu.Lock()
				tick(now)
				d.mu.Unlock()
			}
		}
	}()
}

// Close stops the display and clears the bar, so that what the command
// prints next starts on a clean line. It may be called more than once.
func (d *display) Close() {
	d.once.Do(func() {
		close(d.stop)
		d.wg.Wait()
		d.mu.Lock()
		if d.drawn {
			fmt.Fprint(d.w, "\r\x1b[K")
		}
		d.mu.Unlock()
	})
}

// put writes the current state: without a terminal a log line stamped
// with now; on one the bar line redrawn in place, one column short of the
// width, so the cursor never sits past the last column (where terminals
// wrap at the next byte). It reports whether it drew. The caller holds mu.
func (d *display) put(now time.Time, logLine func() string, barLine func(width int) string) bool {
	if !d.o.Bar {
		fmt.Fprintln(d.w, stamp(now, logLine()))
		return true
	}
	if now.Before(d.shown) {
		return false
	}
	fmt.Fprint(d.w, "\r"+barLine(max(0, d.o.width()-1))+"\x1b[K")
	d.drawn = true
	return true
}

// Note prints a line of its own (a warning) while the display runs: on a
// terminal the bar is cleared first and redrawn at the next interval, so
// the note does not land behind the bar's text.
func (d *display) Note(line string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.drawn {
		fmt.Fprint(d.w, "\r\x1b[K")
		d.drawn = false
	}
	fmt.Fprintln(d.w, line)
}
