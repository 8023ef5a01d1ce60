package archive

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadPayloadAt(t *testing.T) {
	file := []byte("0123456789")
	r := bytes.NewReader(file)
	got, err := ReadPayloadAt(r, int64(len(file)), 3, 4, []byte("x"))
	if err != nil || string(got) != "x3456" {
		t.Fatalf("got %q, %v", got, err)
	}
	// Ranges the file cannot hold are refused before any allocation.
	for _, c := range []struct{ off, size int64 }{{8, 3}, {-1, 2}, {0, -1}, {5, 1 << 62}, {1 << 62, 1 << 62}} {
		if _, err := ReadPayloadAt(r, int64(len(file)), c.off, c.size, nil); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("off %d size %d: %v", c.off, c.size, err)
		}
	}
	// A file shorter than its claimed size (truncated under us) is an error too.
	if _, err := ReadPayloadAt(bytes.NewReader(file[:5]), 10, 3, 4, nil); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("short file: %v", err)
	}
}
