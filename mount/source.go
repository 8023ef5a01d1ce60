package mount

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hdf5vault/hdf5vault/archiveset"
)

// entry is one archived file as the file system needs it.
type entry struct {
	path     string
	size     int64
	mtime    time.Time
	mode     uint32 // permission bits
	parts    []part
	checksum []byte // nil when the archive records none
	problem  error  // why the file cannot be read (nil if it can)
}

// part is one payload of a file.
type part struct {
	member     int
	dataset    string
	at         int64 // payload offset in the member file, -1 if it has none
	stored     int64 // payload bytes
	raw        int64 // decoded bytes
	compressed bool
}

// source is the adapter over an opened archive set: its listing and
// positional reads of payload bytes.
type source struct {
	set    *archiveset.Set
	mtimes []time.Time // per member: the file's mtime, for files that record none
	files  listing
}

// newSource lists the set's files; it does not close the set. A set with
// a side index is paged through it; others are listed in memory.
func newSource(set *archiveset.Set) (*source, error) {
	s := &source{set: set, mtimes: make([]time.Time, len(set.Members))}
	for i, m := range set.Members {
		st, err := os.Stat(m.Path)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", m.Path, err)
		}
		s.mtimes[i] = st.ModTime()
	}
	if set.Side != nil {
		s.files = newSideListing(set, s.entry)
		return s, nil
	}
	es := make(sliceListing, 0, set.Len())
	err := set.Walk(context.Background(), func(f *archiveset.File) error {
		es = append(es, s.entry(f))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.files = es
	return s, nil
}

// entry is file f as the file system shows it.
func (s *source) entry(f *archiveset.File) entry {
	e := entry{path: f.Path, size: f.Size, checksum: f.Checksum, problem: f.Problem, mode: 0o444, mtime: mtimeOf(f, s.mtimes)}
	if f.Mode != nil {
		e.mode = *f.Mode & 0o7777
	}
	e.parts = make([]part, len(f.Parts))
	for j, p := range f.Parts {
		e.parts[j] = part{member: p.ArchiveNumber, dataset: p.Dataset, at: p.At,
			stored: p.Stored, raw: p.Raw, compressed: p.Compressed()}
	}
	return e
}

// chunkLimit bounds what any chunk header of the set may claim to decode to.
func (s *source) chunkLimit() int64 { return s.set.ChunkSize }

// memberPath names a part's archive file in messages.
func (s *source) memberPath(p *part) string { return s.set.Members[p.member].Path }

// readAt fills dst with the part's payload bytes from offset off.
func (s *source) readAt(p *part, dst []byte, off int64) error {
	if off < 0 || off+int64(len(dst)) > p.stored {
		return fmt.Errorf("read of %d bytes at %d outside the %d-byte payload", len(dst), off, p.stored)
	}
	if p.at >= 0 { // read in place: dst has the room, so PayloadAt appends into it
		_, err := s.set.Members[p.member].R.PayloadAt(p.at+off, int64(len(dst)), dst[:0])
		return err
	}
	// No fixed offset (a chunked dataset): the container reads it whole.
	payload, err := s.set.Members[p.member].R.ReadPayload(p.dataset, nil)
	if err != nil {
		return err
	}
	if int64(len(payload)) != p.stored {
		return fmt.Errorf("read %d payload bytes, the dataset has %d", len(payload), p.stored)
	}
	copy(dst, payload[off:])
	return nil
}
