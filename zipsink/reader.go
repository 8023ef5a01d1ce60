package zipsink

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"

	"github.com/hdf5vault/hdf5vault/archive"
)

// maxPayload bounds a compressed (non-stored) member, whose size cannot be
// checked against the file: no part exceeds the Blosc2 chunk limit plus a header.
const maxPayload = archive.MaxPayload

// Reader reads one zip archive file. It is safe for concurrent use: stored
// members are read with pread.
type Reader struct {
	path    string
	f       *os.File
	size    int64
	members map[string]*zip.File
	root    archive.RootAttrs
	info    string                          // the JSON index
	attrs   map[string]archive.DatasetAttrs // from the index, by dataset

	mu     sync.RWMutex // Close waits for reads in flight
	closed bool
}

var _ archive.Reader = (*Reader)(nil)

// Open opens a zip archive and reads its index and root attributes.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("zipsink: open %s: %w", path, err)
	}
	r, err := open(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("zipsink: open %s: %w", path, err)
	}
	return r, nil
}

func open(path string, f *os.File) (*Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("not a readable zip file (truncated or damaged?): %w", err)
	}
	r := &Reader{path: path, f: f, size: st.Size(), members: make(map[string]*zip.File, len(zr.File))}
	for _, m := range zr.File {
		if _, dup := r.members[m.Name]; dup {
			return nil, fmt.Errorf("member %q appears twice", m.Name)
		}
		r.members[m.Name] = m
	}
	if m, ok := r.members[archive.AttrInfo]; ok {
		info, err := r.read(m, nil)
		if err != nil {
			return nil, err
		}
		r.info = string(info)
		delete(r.members, archive.AttrInfo) // the index is not a dataset
	}
	if err := r.readRoot(zr.Comment); err != nil {
		return nil, err
	}
	return r, nil
}

// readRoot fills the root attributes from our archive comment when there is
// one; HDF5Vault 0.3 zips have none, so then NumFiles is the highest
// archive_number in the index plus one, FileNumber the archive_number the
// index gives this file's datasets (or the _<n> of the file name), and
// Description, Version and ChunkSize stay empty: nothing records them.
func (r *Reader) readRoot(text string) error {
	lx := looseIndex(r.info)
	r.attrs = lx.attrs
	var c comment
	if text != "" && json.Unmarshal([]byte(text), &c) == nil && c.Version != "" {
		r.root.Description, r.root.Version, r.root.ChunkSize = c.Description, c.Version, c.ChunkSize
		r.root.NumFiles = 1
		if c.NumFiles != nil {
			r.root.NumFiles = *c.NumFiles
		}
		if c.FileNumber != nil {
			r.root.FileNumber = *c.FileNumber
		}
	} else {
		r.root.NumFiles = max(1, lx.maxArchive+1)
		r.root.FileNumber = r.deriveFileNumber(lx)
	}
	if r.root.NumFiles < 1 || r.root.NumFiles > 1<<20 || r.root.FileNumber < 0 || r.root.FileNumber >= r.root.NumFiles {
		return fmt.Errorf("root attributes: file %d of a set of %d is impossible", r.root.FileNumber, r.root.NumFiles)
	}
	return nil
}

func (r *Reader) deriveFileNumber(lx loose) int {
	votes := make(map[int]int)
	for name := range r.members {
		if n, ok := lx.archive[name]; ok {
			votes[n]++
		}
	}
	best, bestVotes := 0, 0
	for n, v := range votes {
		if v > bestVotes || (v == bestVotes && n < best) {
			best, bestVotes = n, v
		}
	}
	if bestVotes > 0 || r.root.NumFiles == 1 {
		return best
	}
	// No dataset here is in the index: fall back to the file's name.
	if _, n, numbered := archive.SplitMember(r.path); numbered && n >= 0 && n < r.root.NumFiles {
		return n
	}
	return 0
}

// loose is what the reader takes from the index without validating it
// (archive.ParseIndex does that for the caller).
type loose struct {
	maxArchive int
	archive    map[string]int // dataset -> archive_number
	attrs      map[string]archive.DatasetAttrs
}

func looseIndex(info string) loose {
	lx := loose{maxArchive: -1, archive: map[string]int{}, attrs: map[string]archive.DatasetAttrs{}}
	var ix map[string][]archive.Part
	if info == "" || json.Unmarshal([]byte(info), &ix) != nil {
		return lx
	}
	for _, parts := range ix {
		for _, p := range parts {
			lx.maxArchive = max(lx.maxArchive, p.ArchiveNumber)
			lx.archive[p.Dataset] = p.ArchiveNumber
			a := archive.DatasetAttrs{Compression: archive.MethodNone}
			if p.Compressed() {
				a.Compression = *p.Compression
			}
			if len(parts) > 1 {
				a.Chunk, a.NumChunks = p.Number(), len(parts)
			}
			lx.attrs[p.Dataset] = a
		}
	}
	return lx
}

// Root returns the root attributes read at Open.
func (r *Reader) Root() archive.RootAttrs { return r.root }

// Info returns the index member read at Open ("" if there is none).
func (r *Reader) Info() (string, error) { return r.info, nil }

// Size is the file's size at Open.
func (r *Reader) Size() int64 { return r.size }

// PayloadAt reads size bytes at off with pread. No CRC-32 is checked: the
// caller reads by the side index, whose file checksums cover the bytes.
func (r *Reader) PayloadAt(off, size int64, dst []byte) ([]byte, error) {
	dst, err := archive.ReadPayloadAt(r.f, r.size, off, size, dst)
	if err != nil {
		return dst, fmt.Errorf("zipsink: %s: %w", r.path, err)
	}
	return dst, nil
}

// Stat describes a member. Its attributes come from the index, as a zip
// has nowhere to keep them; they are zero for a member the index lacks.
func (r *Reader) Stat(dataset string) (archive.DatasetInfo, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, err := r.member(dataset)
	if err != nil {
		return archive.DatasetInfo{}, err
	}
	info := archive.DatasetInfo{Size: int64(m.UncompressedSize64), Offset: -1, Attrs: r.attrs[dataset]}
	if m.Method == zip.Store && m.UncompressedSize64 > 0 {
		off, err := m.DataOffset()
		if err != nil {
			return archive.DatasetInfo{}, r.errorf(dataset, "%v", err)
		}
		info.Offset = off
	}
	return info, nil
}

func (r *Reader) member(dataset string) (*zip.File, error) {
	if r.closed {
		return nil, fmt.Errorf("zipsink: %s: reader is closed", r.path)
	}
	m, ok := r.members[dataset]
	if !ok {
		return nil, r.errorf(dataset, "no such member")
	}
	if int64(m.UncompressedSize64) < 0 {
		return nil, r.errorf(dataset, "impossible size")
	}
	return m, nil
}

// errorf names the file and member; a %w in format keeps the error's kind
// (a truncation, an errno) for the caller to decide on.
func (r *Reader) errorf(dataset, format string, a ...any) error {
	return fmt.Errorf("zipsink: %s: member %q: "+format, append([]any{r.path, dataset}, a...)...)
}

// ReadPayload appends a member's bytes to dst. Every read of a member checks
// its CRC-32: a member is always read whole, so the check costs one pass
// over bytes already in cache, and it is the only integrity check a zip has.
func (r *Reader) ReadPayload(dataset string, dst []byte) ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, err := r.member(dataset)
	if err != nil {
		return dst, err
	}
	return r.read(m, dst)
}

func (r *Reader) read(m *zip.File, dst []byte) ([]byte, error) {
	if m.Method != zip.Store {
		return r.readCompressed(m, dst)
	}
	size := int64(m.UncompressedSize64)
	if m.CompressedSize64 != m.UncompressedSize64 {
		return dst, r.errorf(m.Name, "stored member with different sizes (%d, %d)", m.CompressedSize64, m.UncompressedSize64)
	}
	off, err := m.DataOffset()
	if err != nil {
		return dst, r.errorf(m.Name, "%v", err)
	}
	n := len(dst)
	dst, err = archive.ReadPayloadAt(r.f, r.size, off, size, dst)
	if err != nil {
		return dst, r.errorf(m.Name, "%w", err)
	}
	if got := crc32.ChecksumIEEE(dst[n:]); got != m.CRC32 {
		return dst[:n], r.errorf(m.Name, "CRC-32 %08x, the directory says %08x: %w", got, m.CRC32, archive.ErrChecksum)
	}
	return dst, nil
}

// readCompressed reads a member some other tool deflated; archive/zip
// checks its size and CRC-32. The buffer grows with what is actually read.
func (r *Reader) readCompressed(m *zip.File, dst []byte) ([]byte, error) {
	if m.UncompressedSize64 > maxPayload {
		return dst, r.errorf(m.Name, "%d bytes is larger than any payload can be", m.UncompressedSize64)
	}
	rc, err := m.Open()
	if err != nil {
		return dst, r.errorf(m.Name, "%v", err)
	}
	defer rc.Close()
	b := bytes.NewBuffer(dst)
	if _, err := io.Copy(b, io.LimitReader(rc, int64(m.UncompressedSize64)+1)); err != nil {
		return dst, r.errorf(m.Name, "%v", err)
	}
	return b.Bytes(), nil
}

// Close closes the file once reads in flight have finished.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.f.Close()
}
