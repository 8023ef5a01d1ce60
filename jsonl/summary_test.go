package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReason(t *testing.T) {
	for _, c := range []struct{ path, msg, want string }{
		{"a/b.txt", "a/b.txt: checksum differs", "checksum differs"},
		{"a/b.txt", "/restore/set/a/b.txt: 3 bytes in DEST", "3 bytes in DEST"},
		{"b.txt", "/restore/set/ab.txt: x", "/restore/set/ab.txt: x"},                       // another file
		{"b.txt", "member x: see /d/b.txt: x", "member x: see /d/b.txt: x"},                 // not a leading path
		{"", "side index copy 2 of 2: damaged", "side index copy 2 of 2: damaged"},          // the set's own structures
		{"a.txt", "archive unreadable: a.txt: part 0", "archive unreadable: a.txt: part 0"}, // not leading
	} {
		if got := Reason(c.path, c.msg); got != c.want {
			t.Errorf("Reason(%q, %q) = %q, want %q", c.path, c.msg, got, c.want)
		}
	}
}

func TestFinishOutcome(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := New("verify", "1.0", start)
	s.RawBytes, s.StoredBytes = 300, 100
	s.Finish(start, start.Add(2*time.Second), nil, 0)
	if !s.Complete || s.Ratio != 3 || s.RawBytesPerSecond != 150 || s.EndTime != "2026-11-30T12:00:02Z" {
		t.Errorf("clean run: %+v", s)
	}
	s.Damaged = append(s.Damaged, Problem{Path: "b"}, Problem{Path: "a"})
	s.Finish(start, start.Add(time.Second), errors.New("2 damaged"), 3)
	if s.Complete || s.Error != "2 damaged" || s.ExitCode != 3 || s.Damaged[0].Path != "a" {
		t.Errorf("damaged run: %+v", s)
	}
	b, _ := json.Marshal(s)
	for _, k := range []string{`"failed":[]`, `"differs":[]`, `"archives":[]`, `"message_type":"summary"`, `"schema_version":1`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("summary JSON lacks %s: %s", k, b)
		}
	}
}

// TestLinesWhole: lines written from many goroutines come out whole, one
// object per line.
func TestLinesWhole(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				l.Write(ProblemLine{MessageType: TypeDamaged, Problem: Problem{Path: strings.Repeat("x", i*50), Reason: "<&>"}})
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, s := range lines {
		var p ProblemLine
		if err := json.Unmarshal([]byte(s), &p); err != nil || p.Reason != "<&>" || !strings.Contains(s, "<&>") {
			t.Fatalf("line %q: %v", s, err)
		}
	}
}

// TestStatusLine: the status line counts what the command reports, by
// stage for the read commands and against the walk's total for create.
func TestStatusLine(t *testing.T) {
	var buf bytes.Buffer
	s := StartStatus(NewLines(&buf), "verifying", time.Hour)
	defer s.Close()
	s.Begin("checking the layout", 10, 0)
	s.Add(4, 0)
	if l := s.line(s.start.Add(time.Second)); l.Stage != "checking the layout" || l.FilesDone != 4 || l.PercentDone != 40 || l.SecondsElapsed != 1 {
		t.Errorf("layout stage: %+v", l)
	}
	s.Begin("", 2, 1000)
	s.Add(1, 250)
	if l := s.line(time.Now()); l.Stage != "verifying" || l.FilesDone != 1 || l.BytesDone != 250 || l.PercentDone != 25 {
		t.Errorf("own stage: %+v", l)
	}

	c := StartStatus(NewLines(&buf), "archiving", time.Hour)
	defer c.Close()
	c.Total(5, 500, true)
	c.Total(3, 300, false) // a late running count never replaces the final one
	c.Stored(100)
	c.StoredFile()
	if l := c.line(time.Now()); l.TotalFiles != 5 || l.TotalBytes != 500 || l.FilesDone != 1 || l.BytesDone != 100 || l.PercentDone != 20 {
		t.Errorf("create: %+v", l)
	}
	if buf.Len() != 0 {
		t.Errorf("status lines before the first interval: %q", buf.String())
	}
}
