package archiveset

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
)

// File is one archived file with its checked layout.
type File struct {
	checked  bool // its layout was checked (a lazily opened set checks files as they are found)
	Path     string
	Parts    []Part
	Size     int64   // decoded bytes, the sum of the parts
	Stored   int64   // payload bytes in the archives
	Checksum []byte  // recorded checksum (archive.ChecksumAlgo), nil if the archive has none
	MtimeNs  *int64  // recorded modification time
	Mode     *uint32 // recorded permission bits
	Problem  error   // why the file cannot be read safely (nil if it can); damage matches archive.ErrDamaged
}

// Part is one payload of a file.
type Part struct {
	archive.Part
	Stored int64 // payload bytes (dataset size)
	Raw    int64 // decoded bytes (Blosc2 header's nbytes, or Stored for raw parts)
	At     int64 // byte offset of a contiguous payload in its member file, -1 if none
}

// Members lists the archive numbers holding the file's parts, ascending, without repeats.
func (f *File) Members() []int {
	var out []int
	for _, p := range f.Parts {
		out = append(out, p.ArchiveNumber)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func findPath(files []File, path string) (int, bool) {
	lo, hi := 0, len(files)
	for lo < hi {
		m := (lo + hi) / 2
		if files[m].Path < path {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(files) && files[lo].Path == path
}

// LayoutError lists the files whose layout was refused, nil if none (of a
// lazily opened set: of the files checked so far, which after Select are
// all the selected ones). It is damage (archive.ErrDamaged) unless one of
// them could not be read at all.
func (s *Set) LayoutError() error {
	var bad []string
	failure := false
	for i := range s.Files {
		if p := s.Files[i].Problem; p != nil && s.sel.Match(s.Files[i].Path) {
			bad = append(bad, p.Error())
			failure = failure || !errors.Is(p, archive.ErrDamaged)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	const show = 10
	msg := strings.Join(bad[:min(show, len(bad))], "\n  ")
	if len(bad) > show {
		msg += fmt.Sprintf("\n  ... and %d more", len(bad)-show)
	}
	err := fmt.Errorf("refusing the archive set: %d file(s) with a bad layout:\n  %s", len(bad), msg)
	if failure {
		return err
	}
	return archive.Damaged(err)
}

// layout checks every part of the files at the indexes idx (nil: of every
// file), a few files per goroutine: chunk headers are read with positional
// reads, so this is mostly I/O latency.
func (s *Set) layout(ctx context.Context, idx []int) error {
	n := len(s.Files)
	if idx != nil {
		n = len(idx)
	}
	progress := progressOf(ctx)
	progress.Begin(StageLayout, n, 0)
	work := make(chan int, 64)
	var wg sync.WaitGroup
	for range max(4, 2*runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range work {
				s.Files[i], buf = s.layoutFile(&s.Index.Files[i], buf)
				progress.Add(1, 0)
			}
		}()
	}
	for k := range n {
		if ctx.Err() != nil {
			break
		}
		if idx != nil {
			work <- idx[k]
		} else {
			work <- k
		}
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

// file is s.Files[i] with its layout checked: a lazily opened set checks
// it here, once.
func (s *Set) file(i int) *File {
	f := &s.Files[i]
	if !s.lazy {
		return f
	}
	s.lazyMu.Lock()
	defer s.lazyMu.Unlock()
	if !f.checked {
		*f, _ = s.layoutFile(&s.Index.Files[i], nil)
	}
	return f
}

func (s *Set) layoutFile(af *archive.File, buf []byte) (File, []byte) {
	f := File{Path: af.Path, Parts: make([]Part, len(af.Parts)), checked: true}
	var err error
	for i := range af.Parts {
		f.Parts[i].Part = af.Parts[i]
		if buf, err = s.layoutPart(&f.Parts[i], buf); err != nil {
			f.Problem = archive.DamagedUnlessFailure(fmt.Errorf("%s: %w", af.Path, err))
			return f, buf
		}
		f.Size += f.Parts[i].Raw
		f.Stored += f.Parts[i].Stored
	}
	if err := f.takeFileFacts(); err != nil {
		f.Problem = archive.Damaged(fmt.Errorf("%s: %w", af.Path, err))
	}
	return f, buf
}

// layoutPart fills in a part's sizes and refuses any disagreement between
// the dataset, its chunk header and the index.
func (s *Set) layoutPart(p *Part, buf []byte) ([]byte, error) {
	m := s.Members[p.ArchiveNumber]
	if m == nil { // lost (OpenOptions.Partial)
		return buf, fmt.Errorf("part %d: %w", p.Number(), s.lost[p.ArchiveNumber])
	}
	info, err := s.locate(m, p)
	if err != nil {
		return buf, fmt.Errorf("part %d, dataset %q in %s: %w", p.Number(), p.Dataset, m.Path, err)
	}
	where := fmt.Sprintf("part %d (dataset %q in %s)", p.Number(), p.Dataset, m.Path)
	p.Stored, p.At = info.Size, info.Offset
	if size := m.R.Size(); info.Size < 0 || (info.Offset >= 0 && info.Offset+info.Size > size) {
		return buf, fmt.Errorf("%s: %d bytes at offset %d run past the end of the %d-byte file (truncated?)", where, info.Size, info.Offset, size)
	}
	if p.Part.Stored != nil && *p.Part.Stored != p.Stored {
		return buf, fmt.Errorf("%s: the index records %d stored bytes, the dataset has %d", where, *p.Part.Stored, p.Stored)
	}
	p.Raw = p.Stored
	if p.Compressed() {
		var h blosc.Header
		if h, buf, err = s.readHeader(m, p.Dataset, info, buf); err != nil {
			return buf, fmt.Errorf("%s: %w", where, err)
		}
		if int64(h.CBytes) != p.Stored {
			return buf, fmt.Errorf("%s: the Blosc2 header says %d stored bytes, the dataset has %d", where, h.CBytes, p.Stored)
		}
		p.Raw = int64(h.NBytes)
	}
	if p.Raw > s.ChunkSize {
		return buf, fmt.Errorf("%s: %d decoded bytes exceed the set's chunk size %d", where, p.Raw, s.ChunkSize)
	}
	if p.Size != nil && *p.Size != p.Raw {
		return buf, fmt.Errorf("%s: the index records %d bytes, the payload holds %d", where, *p.Size, p.Raw)
	}
	return buf, nil
}

// locate finds a part's payload: at the offset and size the index records
// (earlier hdf5vault sets; the bounds are checked by the caller and the
// payload by its chunk header and checksum), or by asking the container
// for the dataset (the original's sets, which record neither), one
// libhdf5 lookup per part.
func (s *Set) locate(m *Member, p *Part) (archive.DatasetInfo, error) {
	st := p.Part.Stored
	switch {
	case st != nil && *st == 0:
		return archive.DatasetInfo{Size: 0, Offset: -1}, nil
	case st != nil && p.Offset != nil && *p.Offset >= 0 && p.Checksum != "":
		return archive.DatasetInfo{Size: *st, Offset: *p.Offset}, nil
	}
	return m.R.Stat(p.Dataset)
}

// readHeader reads a compressed payload's chunk header: 32 bytes at the
// payload's offset, or the whole payload when it has no fixed offset.
func (s *Set) readHeader(m *Member, dataset string, info archive.DatasetInfo, buf []byte) (blosc.Header, []byte, error) {
	if info.Offset >= 0 {
		buf, err := m.R.PayloadAt(info.Offset, min(info.Size, blosc.MaxHeaderLen), buf[:0])
		if err != nil {
			return blosc.Header{}, buf, fmt.Errorf("reading the chunk header: %w", err)
		}
		h, err := blosc.ParseHeader(buf)
		return h, buf, err
	}
	payload, err := m.R.ReadPayload(dataset, buf[:0])
	if err != nil {
		return blosc.Header{}, buf, err
	}
	h, err := blosc.ParseHeader(payload)
	return h, payload, err
}

// takeFileFacts reads the whole-file facts that every part repeats and
// checks the recorded file size.
func (f *File) takeFileFacts() error {
	p := &f.Parts[0].Part
	f.MtimeNs, f.Mode = p.MtimeNs, p.Mode
	for i := range f.Parts {
		if fs := f.Parts[i].FileSize; fs != nil && *fs != f.Size {
			return fmt.Errorf("the index records a file size of %d bytes, the parts hold %d", *fs, f.Size)
		}
	}
	if p.Checksum == "" {
		return nil
	}
	sum, err := archive.ParseChecksum(p.Checksum)
	if err != nil {
		return err
	}
	f.Checksum = sum
	return nil
}
