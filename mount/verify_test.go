package mount

import (
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func sumOf(b []byte) []byte {
	c := archive.NewChecksum()
	c.Write(b)
	return c.Sum()
}

func TestTrackerOutOfOrder(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	e := &entry{size: int64(len(data)), checksum: sumOf(data)}
	// Readahead delivers ranges out of order, overlapping, and re-reads.
	reads := [][2]int{{0, 100}, {300, 500}, {100, 300}, {50, 150}, {600, 1000}, {500, 700}}
	tr := newTracker(e)
	for k, r := range reads {
		done, ok := tr.feed(data[r[0]:r[1]], int64(r[0]), e.size, e.checksum)
		if last := k == len(reads)-1; done != last || (done && !ok) {
			t.Fatalf("read %d %v: done %v ok %v", k, r, done, ok)
		}
	}

	bad := append([]byte(nil), data...)
	bad[999] ^= 1
	tr = newTracker(e)
	tr.feed(bad[:500], 0, e.size, e.checksum)
	if done, ok := tr.feed(bad[500:], 500, e.size, e.checksum); !done || ok {
		t.Errorf("a damaged last byte: done %v ok %v, want done and not ok", done, ok)
	}
}

func TestTrackerGivesUpOnSeeks(t *testing.T) {
	e := &entry{size: 100 << 20, checksum: make([]byte, 16)}
	tr := newTracker(e)
	chunk := make([]byte, 1<<20)
	for off := int64(1 << 20); off < 20<<20; off += 1 << 20 {
		tr.feed(chunk, off, e.size, e.checksum) // never the start: all pending
	}
	if tr.sum != nil || tr.held > maxPending {
		t.Errorf("still tracking with %d bytes held (limit %d)", tr.held, maxPending)
	}
	if done, _ := tr.feed(chunk, 0, e.size, e.checksum); done {
		t.Error("a handle that gave up still reports a verdict")
	}
	if done, _ := newTracker(&entry{size: 10}).feed(make([]byte, 10), 0, 10, nil); done {
		t.Error("a file without a stored checksum got a verdict")
	}
}
