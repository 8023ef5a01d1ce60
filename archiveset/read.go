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
// decoder and two buffers that grow to the largest part it has read, at
// most the set's chunk size each.
type fileReader struct {
	s       *Set
	dec     *blosc.Decoder
	payload []byte
	raw     []byte
	report  Progress // hears every part's decoded bytes
	// cdict, when set, hears every part read whose chunk C-Blosc2 cannot
	// read (a dictionary over its limit, blosc.CheckCDict), and why.
	cdict func(p *Part, err error)
}

func (s *Set) newFileReader() *fileReader {
	return &fileReader{s: s, dec: newDecoder(s.ChunkSize), report: noProgress{}}
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
	if int64(cap(r.payload)) < p.Stored {
		r.payload = make([]byte, 0, p.Stored)
	}
	payload, err := r.s.readPayload(m, p, r.payload[:0])
	if err != nil {
		return fail(archive.DamagedUnlessFailure(err))
	}
	r.payload = payload[:0]
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
	h := newHashes(false, f.Checksum != nil)
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
