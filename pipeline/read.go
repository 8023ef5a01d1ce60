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
func (r *run) read(ctx context.Context, entries <-chan walked, parts chan<- *part) error {
	for {
		var w walked
		select {
		case <-ctx.Done():
			return ctx.Err()
		case x, ok := <-entries:
			if !ok {
				return nil
			}
			w = x
		}
		f := w.f
		sent, err := r.readFile(ctx, f, w.seen, parts)
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
// already handed on. A small file is first read the short way (readSmall).
func (r *run) readFile(ctx context.Context, f *fileRec, seen fs.FileInfo, parts chan<- *part) (sent int, err error) {
	if r.small(f, seen) {
		p, err := r.readSmall(ctx, f, seen)
		switch {
		case err == nil:
			select {
			case parts <- p:
				return 1, nil
			case <-ctx.Done():
				r.release(p)
				return 0, ctx.Err()
			}
		case !errors.Is(err, errRecheck):
			return 0, err
		}
		// Changed since the walk: read it again the long way, which tells
		// whether it changed before or while it was read.
	}
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

// errRecheck is a small file that is not as the walk saw it.
var errRecheck = errors.New("changed since the walk")

// small is whether f is read the short way: one part, read (not mapped),
// opened by the lean opener, where the walk's stat has the stamp.
func (r *run) small(f *fileRec, seen fs.FileInfo) bool {
	return leanStamps && seen != nil && r.cfg.Open == nil && len(f.parts) == 1 && !r.mappable(f)
}

// readSmall reads a file of one part with the fewest system calls: open,
// read, a read that must find the end, fstat, close. The walk's stat stands
// for the one readFile takes after opening: the file must still have the
// stamp the walk saw (same inode, size, modification and change times),
// which also says it is still that regular file. A file that differs is
// errRecheck (readFile reads it again to say how it changed); a file that
// became a symlink, or lies under one now, is refused by the opener.
func (r *run) readSmall(ctx context.Context, f *fileRec, seen fs.FileInfo) (*part, error) {
	fh, err := openLean(r.root, f.Rel, r.path(f))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	p, err := r.readPart(ctx, fh, nil, f, 0)
	if errors.Is(err, errShrank) {
		return nil, errRecheck
	}
	if err != nil {
		return nil, err
	}
	err = unchanged(fh, nil, seen)
	if errors.Is(err, errShrank) || errors.Is(err, errGrew) || errors.Is(err, errModified) {
		err = errRecheck
	}
	if err != nil {
		r.release(p)
		return nil, err
	}
	h := archive.NewChecksum()
	h.Write(p.src) // read, not mapped: no fault to guard against
	f.setChecksum(h)
	f.mtimeNs, _ = archive.MtimeNs(seen.ModTime()) // the walk noted a clamp
	f.mode = uint32(seen.Mode().Perm())
	return p, nil
}

// open opens f with Config.Open, or else the lean way; a file to be mapped
// needs an *os.File.
func (r *run) open(f *fileRec) (File, error) {
	switch {
	case r.cfg.Open != nil:
		return r.cfg.Open(r.path(f))
	case r.mappable(f):
		return openMappable(r.root, f.Rel, r.path(f))
	}
	return openLean(r.root, f.Rel, r.path(f))
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
