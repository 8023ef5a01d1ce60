package archiveset

// Before unpack writes anything it reads what every compressed part's
// chunk can show without being decoded: the header, the block-start table
// (and dictionary) and every stream's size field, with the checks the
// decoder makes before it decodes. A chunk damaged there is refused up
// front instead of being found after other files were written. The reads
// are small and positioned (one of up to chunkPrefix bytes per part, which
// covers a small file's whole chunk, plus a few bytes per stream beyond
// it; small chunks of neighbouring files through one window read, as the
// restore reads them), spread over the same workers as the restore.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
)

// chunkPrefix is how much of a chunk the check reads at once: the header,
// a block table of up to 16,000 blocks, or all of a small file's chunk.
const chunkPrefix = 64 << 10

// checkChunks checks the chunks of every file with a compressed part and
// returns the damaged files (path to cause); an error is a failure to
// read, or cancellation.
func (s *Set) checkChunks(ctx context.Context, workers int) (map[string]error, error) {
	var mu sync.Mutex
	bad := map[string]error{}
	err := s.fanFiles(ctx, StageChunks, workers, func(ctx context.Context, r *fileReader, f *File) error {
		if f.Problem != nil {
			return nil // refused by the layout check already
		}
		for i := range f.Parts {
			err := r.checkChunk(&f.Parts[i])
			if err == nil {
				continue
			}
			err = fmt.Errorf("%s: %w", f.Path, err)
			if !errors.Is(err, archive.ErrDamaged) {
				return err
			}
			mu.Lock()
			bad[f.Path] = err
			mu.Unlock()
			return nil
		}
		return nil
	}, nil)
	return bad, err
}

// chunkError lists the files checkChunks found damaged, as one damage error.
func chunkError(bad map[string]error) error {
	lines := make([]string, 0, len(bad))
	for _, err := range bad {
		lines = append(lines, err.Error())
	}
	sort.Strings(lines)
	const show = 10
	msg := strings.Join(lines[:min(show, len(lines))], "\n  ")
	if len(lines) > show {
		msg += fmt.Sprintf("\n  ... and %d more", len(lines)-show)
	}
	return archive.Damaged(fmt.Errorf("refusing the archive set before writing anything: %d file(s) with a damaged chunk (--keep-going restores the others):\n  %s", len(lines), msg))
}

// checkChunk checks one part's chunk: its header against the layout, its
// block table and its streams' sizes. Errors are damage unless a read failed.
func (r *fileReader) checkChunk(p *Part) error {
	m := r.s.Members[p.ArchiveNumber]
	if m == nil || !p.Compressed() {
		return nil // lost members are reported by the restore; raw parts have no structure
	}
	where := func(err error) error {
		return fmt.Errorf("part %d, dataset %q in %s: %w", p.Number(), p.Dataset, m.Path, err)
	}
	var err error
	if p.At < 0 { // no fixed offset: the whole payload, through the container
		r.payload, err = m.R.ReadPayload(p.Dataset, r.payload[:0])
	} else if b, ok := r.fromWindow(m, p); ok {
		// A small chunk shares one read with its neighbours; copied, since
		// parseBlocks may read more into r.payload.
		r.payload = append(r.payload[:0], b[:min(p.Stored, chunkPrefix)]...)
	} else {
		r.payload, err = m.R.PayloadAt(p.At, min(p.Stored, chunkPrefix), r.payload[:0])
	}
	if err != nil {
		return where(archive.DamagedUnlessFailure(err))
	}
	b, err := r.parseBlocks(p, m)
	if err != nil {
		return where(archive.DamagedUnlessFailure(err))
	}
	head := r.payload
	var field []byte
	err = b.CheckStreams(func(off, n int) ([]byte, error) {
		if off >= 0 && off+n <= len(head) {
			return head[off : off+n], nil
		}
		var ferr error
		field, ferr = m.R.PayloadAt(p.At+int64(off), int64(n), field[:0])
		return field, ferr
	})
	if err != nil {
		return where(archive.DamagedUnlessFailure(err))
	}
	return nil
}

// parseBlocks reads the chunk's block layout from r.payload (its first
// bytes), reading more into it when the table and dictionary need it, and
// checks the header's sizes against the part's.
func (r *fileReader) parseBlocks(p *Part, m *Member) (*blosc.Blocks, error) {
	head := r.payload
	h, err := blosc.ParseHeader(head)
	if err != nil {
		return nil, err
	}
	switch {
	case int64(h.CBytes) != p.Stored:
		return nil, archive.Damaged(fmt.Errorf("the Blosc2 header says %d stored bytes, the payload has %d", h.CBytes, p.Stored))
	case int64(h.NBytes) != p.Raw:
		return nil, archive.Damaged(fmt.Errorf("the Blosc2 header says %d bytes, the index %d", h.NBytes, p.Raw))
	}
	b, need, err := r.dec.ParseBlocks(head)
	if err == nil && b == nil && p.At >= 0 { // ParseBlocks keeps need within cbytes, checked above
		if r.payload, err = m.R.PayloadAt(p.At, int64(need), r.payload[:0]); err == nil {
			b, _, err = r.dec.ParseBlocks(r.payload)
		}
	}
	if err == nil && b == nil {
		err = archive.Damaged(errors.New("the chunk's block table cannot be read"))
	}
	return b, err
}
