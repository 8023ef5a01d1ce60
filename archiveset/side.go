package archiveset

// Sets with a side index: opening its copies, reading files from it.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
)

// openSide opens the side index of every member. The copies must be
// identical (same set and run); a damaged copy is passed over for another
// (noted in SideNote), and when none is usable the set is read through its
// JSON index instead, saying so in SideNote. An I/O or resource failure
// reading a copy is an error, never a damaged copy.
func (s *Set) openSide() error {
	sizes := make([]int64, len(s.Members))
	for i, m := range s.Members {
		if m == nil { // lost (OpenOptions.Partial): its parts are never read
			sizes[i] = math.MaxInt64
			continue
		}
		sizes[i] = m.R.Size()
	}
	var copies []*archive.SideIndex
	var owners, damaged []string
	for _, m := range s.Members {
		if m == nil {
			continue
		}
		// The first usable copy is read whole; of the others only the
		// header, to compare: their tables are read if a block of the
		// first is damaged (or by verify), so finding one file reads one
		// table whatever the number of members.
		open := archive.OpenSideIndex
		if len(copies) > 0 {
			open = archive.OpenSideCopy
		}
		x, span, err := openSideCopy(m, sizes, open)
		if archive.IsFailure(err) { // not a damaged copy: the run cannot go on
			return fmt.Errorf("member %s: side index: %w", m.Path, err)
		}
		if err != nil {
			damaged = append(damaged, fmt.Sprintf("%s: %v", m.Path, err))
			continue
		}
		for i, c := range copies {
			if !archive.SameSideIndex(c, x) {
				return fmt.Errorf("member %s has a different side index than %s (another set or another run): not a member of the same set", m.Path, owners[i])
			}
		}
		copies, owners = append(copies, x), append(owners, m.Path)
		s.sideSpans = append(s.sideSpans, span)
	}
	if len(copies) == 0 {
		s.SideNote = fmt.Sprintf("no usable side index (%s): reading the JSON index instead", strings.Join(damaged, "; "))
		s.sideSpans = nil
		return nil
	}
	if h := copies[0].Header; h.ChunkSize != s.first().root.ChunkSize {
		return fmt.Errorf("%s: the side index records split size %d, the root attributes %d: inconsistent archive", owners[0], h.ChunkSize, s.first().root.ChunkSize)
	}
	if len(damaged) > 0 {
		s.SideNote = fmt.Sprintf("damaged side index copy (%s): using the copy in %s", strings.Join(damaged, "; "), owners[0])
	}
	s.Side = copies[0]
	s.Side.Copies = copies[1:]
	s.sideOwners = owners
	return nil
}

// openSideCopy opens the side index stored in member m with open
// (archive.OpenSideIndex or archive.OpenSideCopy).
func openSideCopy(m *Member, sizes []int64, open func(archive.ReadAtFunc, int64, []int64) (*archive.SideIndex, error)) (*archive.SideIndex, archive.Span, error) {
	info, err := m.R.Stat(archive.SideIndexName)
	if err != nil {
		return nil, archive.Span{}, err
	}
	if info.Offset < 0 {
		return nil, archive.Span{}, fmt.Errorf("%w: not stored contiguously", archive.ErrSideIndex)
	}
	read := func(dst []byte, off int64) error {
		if off < 0 || off+int64(len(dst)) > info.Size {
			return fmt.Errorf("%w: read of %d bytes at %d past its end", archive.ErrSideIndex, len(dst), off)
		}
		_, err := m.R.PayloadAt(info.Offset+off, int64(len(dst)), dst[:0])
		return err
	}
	x, err := open(read, info.Size, sizes)
	span := archive.Span{Off: info.Offset, End: info.Offset + info.Size, Archive: int32(m.Number), Entry: -1}
	return x, span, err
}

// Len is the number of archived files (of the selected ones after Select).
func (s *Set) Len() int64 {
	if s.sel != nil {
		return s.selected
	}
	if s.Side != nil {
		return s.Side.Header.Files
	}
	return int64(len(s.Files))
}

// Paths hands every archived path to fn in path order (only the selected
// ones after Select) and checks no file's layout: for listings of names,
// which need nothing else. A side index is still checked block by block.
func (s *Set) Paths(ctx context.Context, fn func(path string) error) error {
	if s.Side != nil {
		return s.Walk(ctx, func(f *File) error { return fn(f.Path) })
	}
	return s.eachInRanges(ctx, nil, func(i int) error {
		if p := s.Files[i].Path; s.sel.Match(p) {
			return fn(p)
		}
		return nil
	})
}

// Walk hands every file to fn in path order (only the selected ones after
// Select). The File is fn's to keep. With a side index the entries are
// decoded a block at a time, so memory does not grow with the set; a
// damaged block (in every copy) ends the walk with an error wrapping
// archive.ErrSideIndex.
func (s *Set) Walk(ctx context.Context, fn func(*File) error) error {
	if s.sel != nil {
		return s.walkSelected(ctx, fn)
	}
	return s.walkAll(ctx, fn)
}

func (s *Set) walkAll(ctx context.Context, fn func(*File) error) error {
	if s.Side == nil {
		return s.eachInRanges(ctx, nil, func(i int) error { return fn(s.file(i)) })
	}
	var es []archive.Entry
	order := archive.PathOrder{Side: true}
	for b := range s.Side.Blocks() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if es, err = s.Side.Block(b, es[:0]); err != nil {
			return s.sideErr(err)
		}
		for k := range es {
			if err := order.Next(es[k].Path); err != nil {
				return s.sideErr(err)
			}
			if err := fn(fileOf(&es[k])); err != nil {
				return err
			}
		}
	}
	return nil
}

// SideBlock decodes block b of the side index into files, in path order,
// for readers that page through a large set (mount) instead of walking it
// all. The block table (Side.BlockLen, Side.FirstPath) is in memory.
func (s *Set) SideBlock(b int) ([]File, error) {
	es, err := s.Side.Block(b, nil)
	if err != nil {
		return nil, s.sideErr(err)
	}
	fs := make([]File, len(es))
	order := archive.PathOrder{Side: true}
	for k := range es {
		if err := order.Next(es[k].Path); err != nil {
			return nil, s.sideErr(err)
		}
		fs[k] = *fileOf(&es[k])
	}
	return fs, nil
}

func (s *Set) sideErr(err error) error {
	if errors.Is(err, archive.ErrSideIndex) {
		return fmt.Errorf("%s: %w (refusing the set; the JSON index %s is still there for other readers)", s.first().Path, err, archive.AttrInfo)
	}
	return fmt.Errorf("%s: side index: %w", s.first().Path, err)
}

// Lookup returns the file archived under path, or nil. With a side index
// it reads only the one block that can hold path; a lazily opened set
// checks the layout of that file alone.
func (s *Set) Lookup(path string) (*File, error) {
	if s.Side == nil {
		i, ok := findPath(s.Files, path)
		if !ok {
			return nil, nil
		}
		return s.file(i), nil
	}
	e, ok, err := s.Side.Find(path)
	if err != nil {
		return nil, s.sideErr(err)
	}
	if !ok {
		return nil, nil
	}
	return fileOf(&e), nil
}

// fileOf is a side index entry as a File; the decoder has checked its
// parts against the members' sizes and the split size.
func fileOf(e *archive.Entry) *File {
	sum, mtime, mode := e.Checksum, e.MtimeNs, e.Mode
	f := &File{Path: e.Path, Size: e.Size, Checksum: sum[:], MtimeNs: &mtime, Mode: &mode, Parts: make([]Part, len(e.Parts))}
	for k, sp := range e.Parts {
		p := &f.Parts[k]
		p.ArchiveNumber, p.Dataset = sp.Archive, e.Dataset(k)
		if len(e.Parts) > 1 {
			p.Chunk = archive.Ptr(k)
		}
		if sp.Compressed {
			p.Compression = archive.Blosc2Method()
		}
		p.Stored, p.Raw, p.At = sp.Stored, sp.Raw, sp.Offset
		f.Stored += sp.Stored
	}
	return f
}

// CheckSpans refuses a set in which two payloads, or a payload and a side
// index, claim the same bytes of a member file. Only sets with a side index
// are checked here (the JSON layout check stats each dataset instead).
func (s *Set) CheckSpans(ctx context.Context) error {
	if s.Side == nil {
		return nil
	}
	c := s.newSpans()
	if err := s.Walk(ctx, func(f *File) error { c.add(f); return nil }); err != nil {
		return err
	}
	return c.check()
}

// spans collects the byte ranges the files of a side index claim, fed the
// files in path order (a walk that already runs for another job gathers
// them on the way), for CheckSpans.
type spans struct {
	s    *Set
	list []archive.Span
	n    int32 // files added
}

func (s *Set) newSpans() *spans {
	list := make([]archive.Span, 0, s.Side.Header.Parts+int64(len(s.sideSpans)))
	return &spans{s: s, list: append(list, s.sideSpans...)}
}

func (c *spans) add(f *File) {
	for _, p := range f.Parts {
		if c.s.Members[p.ArchiveNumber] == nil {
			continue // lost (OpenOptions.Partial): never read
		}
		c.list = append(c.list, archive.Span{Off: p.At, End: p.At + p.Stored, Archive: int32(p.ArchiveNumber), Entry: c.n})
	}
	c.n++
}

// check refuses the first two claims on the same bytes.
func (c *spans) check() error {
	s := c.s
	o := archive.CheckOverlaps(c.list)
	if o == nil {
		return nil
	}
	return s.sideErr(fmt.Errorf("%w: %s and %s claim the same bytes of %s (%d..%d and %d..%d)", archive.ErrSideIndex,
		s.spanOwner(o.A), s.spanOwner(o.B), s.Members[o.A.Archive].Path, o.A.Off, o.A.End, o.B.Off, o.B.End))
}

func (s *Set) spanOwner(sp archive.Span) string {
	if sp.Entry < 0 {
		return "the side index"
	}
	e, err := s.Side.EntryAt(int(sp.Entry))
	if err != nil {
		return fmt.Sprintf("entry %d", sp.Entry)
	}
	return e.Path
}
