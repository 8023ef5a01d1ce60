package mount

import (
	"bytes"
	"sync"

	"github.com/hdf5vault/hdf5vault/archive"
)

// maxPending bounds the bytes a tracker holds while reads arrive out of
// order (the kernel's readahead runs concurrently with the reader).
const maxPending = 4 << 20

// tracker hashes what one open file handle reads from the start onwards,
// so that a file read from end to end is checked against its stored
// checksum. Reads that skip ahead wait in pending until the gap fills;
// a handle that seeks around gives up tracking.
type tracker struct {
	mu      sync.Mutex
	sum     *archive.Checksum // nil once tracking stopped
	next    int64
	pending map[int64][]byte
	held    int
}

func newTracker(e *entry) *tracker {
	if e.checksum == nil {
		return &tracker{}
	}
	return &tracker{sum: archive.NewChecksum(), pending: make(map[int64][]byte)}
}

// feed records the bytes b read at off. done is true when the whole file
// of size bytes has been hashed; ok then tells whether it matched want.
func (t *tracker) feed(b []byte, off, size int64, want []byte) (done, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.sum == nil || off+int64(len(b)) <= t.next:
		return false, false // not tracking, or a re-read of hashed bytes
	case off > t.next:
		if t.held+len(b) > maxPending {
			t.sum, t.pending = nil, nil
			return false, false
		}
		t.pending[off] = bytes.Clone(b)
		t.held += len(b)
		return false, false
	}
	t.sum.Write(b[t.next-off:])
	t.next = off + int64(len(b))
	t.drain()
	if t.next < size {
		return false, false
	}
	match := bytes.Equal(t.sum.Sum(), want)
	t.sum, t.pending = nil, nil
	return true, match
}

// drain hashes the pending reads that now continue the hashed bytes and
// drops those wholly behind them.
func (t *tracker) drain() {
	for progress := true; progress; {
		progress = false
		for off, p := range t.pending {
			end := off + int64(len(p))
			if off > t.next {
				continue
			}
			if end > t.next {
				t.sum.Write(p[t.next-off:])
				t.next = end
				progress = true
			}
			delete(t.pending, off)
			t.held -= len(p)
		}
	}
}
