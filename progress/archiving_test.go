package progress

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hdf5vault/hdf5vault/jsonl"
	"github.com/hdf5vault/hdf5vault/pipeline"
)

// Archiving is the display create's engine calls back.
var _ pipeline.Progress = (*Archiving)(nil)

// TestArchivingLogLines: without a terminal, create writes one line per
// interval, each beginning with an ISO 8601 time, with no carriage return;
// a running count from the scanner never replaces the final total.
func TestArchivingLogLines(t *testing.T) {
	var out syncBuffer
	a := StartArchiving(&out, Options{Interval: time.Millisecond})
	a.Total(7, 2<<20, false)
	waitFor(t, &out, "hdf5vault: 0 B of 2.0 MiB (still counting, 7 files so far), 0.0%, 0 B/s\n")
	a.Total(10, 4<<20, true)
	a.Total(8, 3<<20, false) // late
	a.Stored(1 << 20)
	waitFor(t, &out, "hdf5vault: 1.0 MiB of 4.0 MiB in 10 files, 25.0%, ")
	a.Close()
	a.Close()
	s := out.String()
	if strings.Contains(s, "\r") || strings.Contains(s, "\x1b") || !strings.HasSuffix(s, "\n") {
		t.Errorf("log lines with terminal codes or unfinished:\n%q", s)
	}
	stamped := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) hdf5vault: `)
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if !stamped.MatchString(l) {
			t.Fatalf("a log line without an ISO 8601 time: %q", l)
		}
		ts, _, _ := strings.Cut(l, " ")
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
	}
}

// TestArchivingLine: percentage, rate and an ETA only once the tree is
// counted and 3 s are measured.
func TestArchivingLine(t *testing.T) {
	start := time.Unix(1000, 0)
	a := &Archiving{start: start}
	a.Total(100, 4<<20, true)
	a.Stored(1 << 20)
	for _, c := range []struct {
		at   time.Duration
		want string
	}{
		{time.Second, "hdf5vault: 1.0 MiB of 4.0 MiB in 100 files, 25.0%, 1.0 MiB/s"},
		{4 * time.Second, "hdf5vault: 1.0 MiB of 4.0 MiB in 100 files, 25.0%, 256.0 KiB/s, ETA 12s"},
	} {
		if got := a.line(start.Add(c.at)); got != c.want {
			t.Errorf("at %v: got %q, want %q", c.at, got, c.want)
		}
	}
	a.final = false
	if got := a.line(start.Add(time.Minute)); strings.Contains(got, "ETA") {
		t.Errorf("an ETA against a running count: %q", got)
	}
}

// TestArchivingBar: on a terminal the bar is redrawn in place with "\r",
// each line followed by erase-to-end-of-line, never reaching the last
// column (40 and 120 columns), and cleared by Close.
func TestArchivingBar(t *testing.T) {
	for _, cols := range []int{40, 120} {
		var out syncBuffer
		a := StartArchiving(&out, Options{Bar: true, Interval: time.Millisecond, Width: cols})
		a.Total(1500, 3<<30, true)
		a.Stored(1 << 30)
		waitFor(t, &out, "\x1b[K")
		a.Close()
		s := out.String()
		if !strings.HasSuffix(s, "\r\x1b[K") || strings.Contains(s, "\n") {
			t.Fatalf("%d columns: not redrawn in place or not cleared: %q", cols, s)
		}
		draws := strings.Split(strings.TrimSuffix(s, "\r\x1b[K"), "\r")[1:]
		for _, d := range draws {
			line, ok := strings.CutSuffix(d, "\x1b[K")
			if !ok || utf8.RuneCountInString(line) > cols-1 || !strings.Contains(line, "33.3%") {
				t.Fatalf("%d columns: draw %q", cols, d)
			}
		}
		want := map[int]string{
			40:  "archiving [===       ] 33.3%",
			120: "archiving 1500 files [======              ] 33.3%, 1.0 GiB of 3.0 GiB, ",
		}[cols]
		if !strings.HasPrefix(draws[0], want) {
			t.Errorf("%d columns: %q, want it to begin %q", cols, draws[0], want)
		}
	}
}

// TestWriteSummary: the summary create prints, line by line.
func TestWriteSummary(t *testing.T) {
	s := &jsonl.Summary{
		Source: "/data/plate1", Files: 3, Parts: 4, RawBytes: 3 << 20, StoredBytes: 1 << 20, Ratio: 3,
		WallSeconds: 1.5, RawBytesPerSecond: 2 << 20,
		Archives: []jsonl.Archive{{Path: "/a/p_0.h5", Bytes: 600000, Parts: 3}, {Path: "/a/p_1.h5", Bytes: 500000, Parts: 1}},
		Walk:     &jsonl.Walk{SymlinksNotFollowed: 2, SymlinksFollowed: 1, Skipped: []jsonl.Problem{{Path: "fifo", Reason: "a named pipe\n"}}},
		Failed:   []jsonl.Problem{{Path: "locked.tif", Reason: "permission denied"}},
	}
	var b strings.Builder
	WriteSummary(&b, s)
	want := `hdf5vault: archived 3 files (4 parts) from /data/plate1
  raw bytes:     3145728 (3.0 MiB)
  stored bytes:  1048576 (1.0 MiB)
  ratio:         3.0000
  wall time:     1.50 s
  throughput:    2.0 MiB/s
  /a/p_0.h5: 600000 bytes (585.9 KiB), 3 parts
  /a/p_1.h5: 500000 bytes (488.3 KiB), 1 parts
  symlinks not followed: 2 (--follow-symlinks to follow)
  symlinks followed: 1
  skipped (not regular files): 1
    fifo: a named pipe
  NOT ARCHIVED (unreadable): 1
    locked.tif: permission denied
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestArchivingNote: a warning while the bar is on the screen clears it
// first, so that the warning stands on a line of its own.
func TestArchivingNote(t *testing.T) {
	var out syncBuffer
	a := StartArchiving(&out, Options{Bar: true, Interval: time.Hour, Width: 80})
	a.Total(2, 100, true)
	a.mu.Lock()
	a.draw(time.Now())
	a.mu.Unlock()
	a.Note("hdf5vault: skipping fifo: a named pipe")
	a.Note("hdf5vault: skipping sock: a socket")
	a.Close()
	want := "\rarchiving 2 files [                    ] 0.0%, 0 B of 100 B, 0 B/s\x1b[K" +
		"\r\x1b[Khdf5vault: skipping fifo: a named pipe\nhdf5vault: skipping sock: a socket\n"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
