package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

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
			err = fmt.Errorf("%w (not skippable: its first parts are already on their way into the archive)", err)
			return &walker.FileError{Rel: f.Rel, Path: r.path(f), Err: err}
		default:
			return &walker.FileError{Rel: f.Rel, Path: r.path(f), Err: err}
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

// readFile reads f part by part into pool buffers (or maps the parts, see
// mapMin), hashing as it goes, and checks that the file is the one the walk
// saw: same size, no growth, not modified while read. sent counts parts
// already handed on.
func (r *run) readFile(ctx context.Context, f *fileRec, parts chan<- *part) (sent int, err error) {
	fh, err := r.open(f)
	if err != nil {
		return 0, err
	}
	before, err := fh.Stat()
	if err != nil {
		fh.Close()
		return 0, err
	}
	var src *srcFile
	if osf, ok := fh.(*os.File); ok && r.mappable(f) {
		src = newSrcFile(osf, before)
		defer src.unref()
	} else {
		defer fh.Close()
	}
	if !before.Mode().IsRegular() {
		return 0, errors.New("no longer a regular file")
	}
	if before.Size() != f.Size {
		return 0, fmt.Errorf("size changed from %d to %d bytes since the walk", f.Size, before.Size())
	}
	// A mapped file of one part is hashed by its compressor, on the core
	// that then compresses it while the bytes are in its cache.
	hashLater := src != nil && len(f.parts) == 1
	h := archive.NewChecksum()
	for k := range f.parts {
		p, err := r.readPart(ctx, fh, src, f, k)
		if err != nil {
			return sent, err
		}
		last := k == len(f.parts)-1
		if hashLater {
			p.hash = true // and its compressor checks the file afterwards
		} else {
			err = guard(func() error { _, err := h.Write(p.src); return err })
			if err == nil && last {
				err = unchanged(fh, src, before)
			}
		}
		if err != nil {
			r.release(p)
			return sent, err
		}
		if last {
			if !hashLater {
				f.setChecksum(h)
			}
			f.mtimeNs, _ = archive.MtimeNs(before.ModTime()) // the walk noted a clamp
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

// open opens f with Config.Open, or else the lean way; a file to be mapped
// needs an *os.File.
func (r *run) open(f *fileRec) (File, error) {
	switch {
	case r.cfg.Open != nil:
		return r.cfg.Open(r.path(f))
	case r.mappable(f):
		return openMappable(r.path(f), r.cfg.Walk.FollowSymlinks)
	}
	return openLean(r.path(f), r.cfg.Walk.FollowSymlinks)
}

// mappable is whether f's parts are mapped rather than read: large parts
// that a compressor will read on its own goroutine (with -t above 1 the
// blocks are read by the encoder's workers, where a fault cannot be caught).
func (r *run) mappable(f *fileRec) bool {
	return canMap && r.cfg.Compress && r.cfg.Blosc.Threads <= 1 && min(f.Size, r.cfg.ChunkSize) >= mapMin
}

// readPart reserves the buffers of part k and fills the raw one, or maps
// the part when src is set.
func (r *run) readPart(ctx context.Context, fh File, src *srcFile, f *fileRec, k int) (*part, error) {
	n := int(r.partLen(f, k))
	dstLen := 0
	if r.cfg.Compress && n > 0 {
		dstLen = blosc.MaxEncodedLen(n)
	}
	if src != nil {
		return r.mapPart(ctx, src, f, k, n, dstLen)
	}
	raw, dst, err := r.pool.Reserve(ctx, n, dstLen)
	if err != nil {
		return nil, err
	}
	p := &part{file: f, k: k, raw: raw, dst: dst}
	if raw != nil { // nil for an empty file: nothing reserved
		p.src = raw.B
	}
	if _, err := io.ReadFull(fh, p.src); err != nil {
		r.release(p)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errShrank
		}
		return nil, err
	}
	return p, nil
}

// mapPart maps part k of a mapped file. The mapping still counts against
// the memory budget: its pages are resident while it is in flight.
func (r *run) mapPart(ctx context.Context, src *srcFile, f *fileRec, k, n, dstLen int) (*part, error) {
	weight, dst, err := r.pool.ReserveWeight(ctx, n, dstLen)
	if err != nil {
		return nil, err
	}
	data, whole, err := mapPart(src.f, int64(k)*r.cfg.ChunkSize, n)
	if err != nil {
		r.pool.Put(weight)
		r.pool.Put(dst)
		return nil, err
	}
	src.ref()
	m := &mapping{data: data, whole: whole, weight: weight, file: src}
	return &part{file: f, k: k, src: data, dst: dst, mapped: m}, nil
}

// unchanged checks, after the last byte, that the file has no more bytes
// and was not modified while it was read.
func unchanged(fh File, src *srcFile, before fs.FileInfo) error {
	if src != nil {
		return src.unchanged() // a mapped file's size is its stat
	}
	var one [1]byte
	if n, _ := fh.Read(one[:]); n > 0 {
		return errGrew
	}
	after, err := fh.Stat()
	if err != nil {
		return err
	}
	return sameStamp(before, after)
}

// release returns what a part still holds: its buffers and its mapping.
func (r *run) release(p *part) {
	r.unmap(p)
	r.pool.Put(p.raw)
	r.pool.Put(p.dst)
	p.raw, p.dst, p.src = nil, nil, nil
}

// unmap drops a mapped part's mapping, its reference to the file and the
// budget the mapping held; a part that was read is left alone.
func (r *run) unmap(p *part) {
	m := p.mapped
	if m == nil {
		return
	}
	unmap(m.whole)
	m.file.unref()
	r.pool.Put(m.weight)
	p.mapped, p.src = nil, nil
}
