package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// syncBuffer is written by the meter's goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLine(t *testing.T) {
	m := &Meter{display: display{o: Options{Command: "hdf5vault verify", Verb: "verifying"}}}
	start := time.Unix(1000, 0)
	for _, c := range []struct {
		stage string
		files int
		bytes int64
		doneF int64
		doneB int64
		want  string
	}{
		{"reading the index", 0, 0, 0, 0, "hdf5vault verify: reading the index (4s)"},
		{"scanning /data", 0, 0, 30, 0, "hdf5vault verify: scanning /data 30 files (4s)"},
		{"checking the layout", 100, 0, 25, 0,
			"hdf5vault verify: checking the layout 25 of 100 files, 25.0%, 6 files/s, ETA 12s"},
		{"verifying", 10, 4 << 20, 5, 1 << 20,
			"hdf5vault verify: verifying 5 of 10 files, 1.0 MiB of 4.0 MiB, 25.0%, 256.0 KiB/s, ETA 12s"},
		{"verifying", 10, 4 << 20, 10, 4 << 20,
			"hdf5vault verify: verifying 10 of 10 files, 4.0 MiB of 4.0 MiB, 100.0%, 1.0 MiB/s"},
	} {
		m.stage, m.totalFiles, m.totalB, m.start = c.stage, int64(c.files), c.bytes, start
		m.files.Store(c.doneF)
		m.bytes.Store(c.doneB)
		if got := m.line(start.Add(4 * time.Second)); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

// TestLogLines: without a terminal, a plain line per interval, stage after
// stage; an unnamed stage is the command's verb.
func TestLogLines(t *testing.T) {
	var out syncBuffer
	m := Start(&out, Options{Command: "hdf5vault unpack", Verb: "unpacking", Interval: time.Millisecond})
	m.Begin("checking the layout", 3, 0)
	m.Add(1, 0)
	waitFor(t, &out, "hdf5vault unpack: checking the layout 1 of 3 files")
	m.Begin("", 3, 300)
	m.Add(2, 200)
	waitFor(t, &out, "hdf5vault unpack: unpacking 2 of 3 files, 200 B of 300 B, 66.7%")
	m.Close()
	m.Close()
	if s := out.String(); strings.Contains(s, "\r") || !strings.HasSuffix(s, "\n") {
		t.Errorf("log lines with a carriage return or unfinished:\n%q", s)
	}
}

// TestBar: on a terminal, each stage is drawn at once, redrawn in place,
// fitted below the terminal's width, and cleared by Close.
func TestBar(t *testing.T) {
	var out syncBuffer
	m := Start(&out, Options{Command: "hdf5vault verify", Verb: "verifying", Bar: true, Interval: time.Hour, Width: 40})
	m.Begin("", 2, 100)
	m.Add(1, 50)
	m.Close()
	want := "\rverifying [          ] 0.0%, 0 B/s\x1b[K\r\x1b[K"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestBarDelay: a bar is not drawn before the delay (ls and cat of a set
// that opens quickly show nothing), and nothing is cleared that was not drawn.
func TestBarDelay(t *testing.T) {
	var out syncBuffer
	m := Start(&out, Options{Command: "hdf5vault ls", Bar: true, Interval: time.Millisecond, Delay: time.Hour})
	m.Begin("reading the index", 0, 0)
	time.Sleep(20 * time.Millisecond)
	m.Close()
	if s := out.String(); s != "" {
		t.Errorf("drawn before the delay: %q", s)
	}
}

// TestBarLineFits: at every width from 12 to 200 columns the line stays
// within the width, keeps the percentage while there is room for it, and
// a stage without totals turns a spinner.
func TestBarLineFits(t *testing.T) {
	m := &Meter{display: display{o: Options{Command: "hdf5vault unpack", Verb: "unpacking"}}}
	start := time.Unix(1000, 0)
	m.stage, m.totalFiles, m.totalB, m.start = "unpacking", 1000000, 1<<40, start
	m.files.Store(123456)
	m.bytes.Store(1 << 38)
	for w := 12; w <= 200; w++ {
		l := m.barLine(start.Add(time.Minute), w)
		if n := utf8.RuneCountInString(l); n > w {
			t.Errorf("width %d: %d columns: %q", w, n, l)
		}
		if w >= 30 && !strings.Contains(l, "25.0%") {
			t.Errorf("width %d: no percentage: %q", w, l)
		}
		if w >= 40 && !strings.Contains(l, "ETA 3m0s") {
			t.Errorf("width %d: no ETA: %q", w, l)
		}
	}
	if l := m.barLine(start.Add(time.Minute), 0); l != "hdf5vault unpack: unpacking [=====               ] "+
		"123456 of 1000000 files, 256.0 GiB of 1.0 TiB, 25.0%, 4.3 GiB/s, ETA 3m0s" {
		t.Errorf("unlimited: %q", l)
	}
	m.stage, m.totalFiles, m.totalB = "reading the index", 0, 0
	m.files.Store(0)
	a := m.barLine(start.Add(time.Second), 60)
	m.spin++
	b := m.barLine(start.Add(time.Second), 60)
	if a == b || !strings.HasPrefix(a, "hdf5vault unpack: reading the index ") || !strings.HasSuffix(a, " (1s)") {
		t.Errorf("no spinner: %q then %q", a, b)
	}
}

// TestETA: no ETA while the rate is measured for less than 3 s or less
// than 1% is done, then the linear estimate.
func TestETA(t *testing.T) {
	for _, c := range []struct {
		el          time.Duration
		done, total float64
		want        string
	}{
		{time.Second, 50, 100, ""},
		{2999 * time.Millisecond, 50, 100, ""},
		{10 * time.Second, 0.5, 100, ""},
		{10 * time.Second, 100, 100, ""},
		{3 * time.Second, 50, 100, "ETA 3s"},
		{10 * time.Second, 1, 100, "ETA 16m30s"},
	} {
		if got := eta(c.el, c.done, c.total); got != c.want {
			t.Errorf("eta(%v, %v, %v) = %q, want %q", c.el, c.done, c.total, got, c.want)
		}
	}
}

func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if strings.Contains(out.String(), want) {
			return
		}
	}
	t.Fatalf("no %q in:\n%s", want, out.String())
}
