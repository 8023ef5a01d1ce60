package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/walker"
)

// read takes files from entries and sends their parts, in order, to parts.
func (r *run) read(ctx context.Context, entries <-chan *fileRec, parts chan<- *part) error {
	for {
		var f *fileRec
		select {
		case <-ctx.Done():
			return ctx.Err()
		case x, ok := <-entries:
			if !ok {
				return nil
			}
			f = x
		}
		sent, err := r.readFile(ctx, f, parts)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case r.cfg.SkipUnreadable && sent == 0:
			r.skip(f, err)
		case r.cfg.SkipUnreadable:
			return fmt.Errorf("%s: %w (not skippable: its first parts are already on their way into the archive)", f.Path, err)
		default:
			return fmt.Errorf("%s: %w", f.Path, err)
		}
	}
}

// skip lists an unreadable file instead of failing the run.
func (r *run) skip(f *fileRec, err error) {
	r.files.mu.Lock()
	defer r.files.mu.Unlock()
	f.skipped = true
	r.res.Unreadable = append(r.res.Unreadable, walker.Skip{Path: f.Rel, Reason: err.Error()})
}

// readFile reads f part by part into pool buffers, hashing as it goes, and
// checks that the file is the one the walk saw: same size, no growth, not
// modified while read. sent counts parts already handed on.
func (r *run) readFile(ctx context.Context, f *fileRec, parts chan<- *part) (sent int, err error) {
	fh, err := r.cfg.Open(f.Path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	before, err := fh.Stat()
	if err != nil {
		return 0, err
	}
	if !before.Mode().IsRegular() {
		return 0, errors.New("no longer a regular file")
	}
	if before.Size() != f.Size {
		return 0, fmt.Errorf("size changed from %d to %d bytes since the walk", f.Size, before.Size())
	}
	h := archive.NewChecksum()
	for k := range f.nparts {
		p, err := r.readPart(ctx, fh, f, k)
		if err != nil {
			return sent, err
		}
		h.Write(p.raw.B)
		if k == f.nparts-1 {
			if err := unchanged(fh, before); err != nil {
				r.release(p)
				return sent, err
			}
			f.checksum = h.String()
			f.mtimeNs = before.ModTime().UnixNano()
			f.mode = uint32(before.Mode().Perm())
		}
		select {
		case parts <- p:
			sent++
		case <-ctx.Done():
			r.release(p)
			return sent, ctx.Err()
		}
	}
	return sent, nil
}

// readPart reserves the buffers of part k and fills the raw one.
func (r *run) readPart(ctx context.Context, fh File, f *fileRec, k int) (*part, error) {
	n := int(r.partLen(f, k))
	dstLen := 0
	if r.cfg.Compress && n > 0 {
		dstLen = blosc.MaxEncodedLen(n)
	}
	raw, dst, err := r.pool.Reserve(ctx, n, dstLen)
	if err != nil {
		return nil, err
	}
	p := &part{file: f, k: k, raw: raw, dst: dst}
	if raw == nil {
		p.raw = &Buf{} // an empty file: nothing reserved
	}
	if _, err := io.ReadFull(fh, p.raw.B); err != nil {
		r.release(p)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errors.New("file shrank while being read")
		}
		return nil, err
	}
	return p, nil
}

// unchanged checks, after the last byte, that the file has no more bytes
// and was not modified while it was read.
func unchanged(fh File, before fs.FileInfo) error {
	var one [1]byte
	if n, _ := fh.Read(one[:]); n > 0 {
		return errors.New("file grew while being read")
	}
	after, err := fh.Stat()
	if err != nil {
		return err
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return errors.New("file was modified while being read")
	}
	return nil
}

// release returns a part's buffers to the pool.
func (r *run) release(p *part) {
	r.pool.Put(p.raw)
	r.pool.Put(p.dst)
	p.raw, p.dst = nil, nil
}
