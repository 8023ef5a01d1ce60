package archiveset

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
)

// fileReader reads files through the index. One per goroutine: it owns a
// decoder, two buffers that grow to the largest part it has read, at most
// the set's chunk size each, and windowSlots windows of at most
// windowMax+windowPart bytes each.
type fileReader struct {
	s       *Set
	dec     *blosc.Decoder
	payload []byte
	raw     []byte
	sum     *archive.Checksum // reused for every file
	report  Progress          // hears every part's decoded bytes
	// cdict, when set, hears every part read whose chunk C-Blosc2 cannot
	// read (a dictionary over its limit, blosc.CheckCDict), and why.
	cdict func(p *Part, err error)

	next   []*File // of the batch fanFiles handed out: the file being read and those after it; nil outside one
	wins   [windowSlots]window
	victim int // the slot the next window read replaces
}

func (s *Set) newFileReader() *fileReader {
	r := &fileReader{s: s, dec: newDecoder(s.ChunkSize), report: noProgress{}}
	for i := range r.wins {
		r.wins[i].member = -1
	}
	return r
}

// part returns the decoded bytes of p, valid until the next call. Errors
// are damage (archive.ErrDamaged) unless the bytes could not be read.
func (r *fileReader) part(p *Part) ([]byte, error) {
	m := r.s.Members[p.ArchiveNumber]
	if m == nil { // lost (OpenOptions.Partial)
		return nil, fmt.Errorf("part %d: %w", p.Number(), r.s.lost[p.ArchiveNumber])
	}
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("part %d, dataset %q in %s: %w", p.Number(), p.Dataset, m.Path, err)
	}
	payload, err := r.payloadOf(m, p)
	if err != nil {
		return fail(archive.DamagedUnlessFailure(err))
	}
	if int64(len(payload)) != p.Stored {
		return fail(archive.Damaged(fmt.Errorf("read %d bytes, the dataset has %d", len(payload), p.Stored)))
	}
	if !p.Compressed() {
		return payload, nil
	}
	if int64(cap(r.raw)) < p.Raw {
		r.raw = make([]byte, 0, p.Raw)
	}
	raw, err := r.dec.DecodeAll(payload, r.raw[:0])
	if err != nil {
		return fail(archive.Damaged(err))
	}
	r.raw = raw[:0]
	if int64(len(raw)) != p.Raw {
		return fail(archive.Damaged(fmt.Errorf("decoded %d bytes, the header says %d", len(raw), p.Raw)))
	}
	if r.cdict != nil {
		if err := blosc.CheckCDict(payload); err != nil {
			r.cdict(p, fmt.Errorf("part %d, dataset %q in %s: %w", p.Number(), p.Dataset, m.Path, err))
		}
	}
	return raw, nil
}

// each hands every part of f, decoded and in order, to fn.
func (r *fileReader) each(ctx context.Context, f *File, fn func([]byte) error) error {
	if f.Problem != nil {
		return f.Problem
	}
	for i := range f.Parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := r.part(&f.Parts[i])
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		r.report.Add(0, int64(len(b)))
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes one archived file to w and then checks its size and
// stored checksum; on a mismatch w has already received the bad bytes.
func (s *Set) WriteFile(ctx context.Context, f *File, w io.Writer) error {
	return s.newFileReader().copyTo(ctx, f, w)
}

// copyTo writes f to w, then checks what was written against the recorded
// size and checksum.
func (r *fileReader) copyTo(ctx context.Context, f *File, w io.Writer) error {
	h := hashes{}
	if f.Checksum != nil {
		if r.sum == nil {
			r.sum = archive.NewChecksum()
		}
		r.sum.Reset()
		h.sum = r.sum
	}
	err := r.each(ctx, f, func(b []byte) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		h.Write(b)
		return nil
	})
	if err != nil {
		return err
	}
	return checkContent(f, h.digest())
}

// checkContent compares what was read with the recorded size and checksum.
func checkContent(f *File, d digest) error {
	if d.size != f.Size {
		return archive.Damaged(fmt.Errorf("%s: read %d bytes, the archive records %d", f.Path, d.size, f.Size))
	}
	if f.Checksum != nil && !bytes.Equal(d.sum, f.Checksum) {
		return fmt.Errorf("%s: checksum %x does not match the stored checksum %x: %w", f.Path, d.sum, f.Checksum, archive.ErrChecksum)
	}
	return nil
}

// readPayload appends p's payload to dst. A payload at a known offset is
// read there (bounded by the file's size), which spares a dataset lookup
// under libhdf5's global lock. Zip members of sets without a side index go
// through the reader, which checks their CRC-32: the original's zips
// record no other checksum.
func (s *Set) readPayload(m *Member, p *Part, dst []byte) ([]byte, error) {
	if p.At < 0 || (s.Zip && s.Side == nil) {
		return m.R.ReadPayload(p.Dataset, dst)
	}
	return m.R.PayloadAt(p.At, p.Stored, dst)
}

// payloadOf returns p's stored bytes, valid until the next call: a slice
// of a window when p shares one with the files after it, else read alone.
func (r *fileReader) payloadOf(m *Member, p *Part) ([]byte, error) {
	if b, ok := r.fromWindow(m, p); ok {
		return b, nil
	}
	if int64(cap(r.payload)) < p.Stored {
		r.payload = make([]byte, 0, p.Stored)
	}
	payload, err := r.s.readPayload(m, p, r.payload[:0])
	if err == nil {
		r.payload = payload[:0]
	}
	return payload, err
}

// Windowed reads. The small payloads of files that are neighbours in path
// order were written close together in their member: one positioned read
// of the range around them (a window) replaces a read per payload. Only
// payloads that lie inside the member file are read through a window, and
// a window never reaches past them; a part a window cannot serve (a failed
// read included) is read alone, as before, so its error stays its own.
const (
	windowPart  = 64 << 10 // larger payloads are always read alone
	windowMax   = 1 << 20  // bytes one window spans at most
	windowSlots = 4        // windows a reader keeps, each of one member
)

// window is a range of one member's bytes, read at once.
type window struct {
	member int // archive number; -1: empty
	off    int64
	buf    []byte
}

func (w *window) holds(p *Part) bool {
	return w.member == p.ArchiveNumber && p.At >= w.off && p.At+p.Stored <= w.off+int64(len(w.buf))
}

// fromWindow returns p's bytes from a window, reading a new one when none
// holds them and parts of the files ahead lie close enough to share it.
func (r *fileReader) fromWindow(m *Member, p *Part) ([]byte, bool) {
	if !r.windowed(m, p) {
		return nil, false
	}
	for i := range r.wins {
		if w := &r.wins[i]; w.holds(p) {
			return w.buf[p.At-w.off : p.At-w.off+p.Stored], true
		}
	}
	end := r.windowEnd(m, p)
	if end == p.At+p.Stored {
		return nil, false // nothing to share the read with
	}
	w := &r.wins[r.victim]
	r.victim = (r.victim + 1) % windowSlots
	buf, err := m.R.PayloadAt(p.At, end-p.At, w.buf[:0])
	if err != nil {
		w.member, w.buf = -1, buf[:0]
		return nil, false
	}
	w.member, w.off, w.buf = p.ArchiveNumber, p.At, buf
	return buf[:p.Stored], true
}

// windowed reports whether p may be read through a window: a small
// payload read at its offset, lying inside its member file.
func (r *fileReader) windowed(m *Member, p *Part) bool {
	return r.next != nil && p.At >= 0 && p.Stored > 0 && p.Stored <= windowPart &&
		p.At+p.Stored <= m.R.Size() && !(r.s.Zip && r.s.Side == nil)
}

// windowEnd is where a window read for p ends: at the end of the furthest
// part ahead in the same member that keeps the window within windowMax,
// provided the parts fill at least a quarter of it; else at p's end.
func (r *fileReader) windowEnd(m *Member, p *Part) int64 {
	end, used := p.At+p.Stored, p.Stored
	for _, f := range r.next {
		for k := range f.Parts {
			q := &f.Parts[k]
			if q == p || q.ArchiveNumber != p.ArchiveNumber || q.At < p.At || q.At+q.Stored-p.At > windowMax || !r.windowed(m, q) {
				continue
			}
			end = max(end, q.At+q.Stored)
			used += q.Stored
		}
	}
	if used*4 < end-p.At {
		return p.At + p.Stored
	}
	return end
}
