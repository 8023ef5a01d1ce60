package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
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
	m := &Meter{o: Options{Command: "hdf5vault verify", Verb: "verifying"}}
	start := time.Unix(1000, 0)
	for _, c := range []struct {
		stage string
		files int
		bytes int64
		doneF int64
		doneB int64
		bar   bool
		want  string
	}{
		{"reading the index", 0, 0, 0, 0, false, "hdf5vault verify: reading the index (4s)"},
		{"scanning /data", 0, 0, 30, 0, false, "hdf5vault verify: scanning /data 30 files (4s)"},
		{"checking the layout", 100, 0, 25, 0, false,
			"hdf5vault verify: checking the layout 25 of 100 files, 25.0%, 6 files/s, ETA 12s"},
		{"verifying", 10, 4 << 20, 5, 1 << 20, true,
			"hdf5vault verify: verifying [=====               ] 5 of 10 files, 1.0 MiB of 4.0 MiB, 25.0%, 256.0 KiB/s, ETA 12s"},
		{"verifying", 10, 4 << 20, 10, 4 << 20, false,
			"hdf5vault verify: verifying 10 of 10 files, 4.0 MiB of 4.0 MiB, 100.0%, 1.0 MiB/s"},
	} {
		m.o.Bar = c.bar
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
// cut to the terminal's width, and cleared by Close.
func TestBar(t *testing.T) {
	var out syncBuffer
	m := Start(&out, Options{Command: "hdf5vault verify", Verb: "verifying", Bar: true, Interval: time.Hour, Width: 40})
	m.Begin("", 2, 100)
	m.Add(1, 50)
	m.Close()
	want := "\rhdf5vault verify: verifying [           \x1b[K\r\x1b[K"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
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
