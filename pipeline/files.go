package pipeline

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/walker"
)

// fileRec is one source file on its way into the index. The reader fills
// the whole-file facts, each writer the part it stored; they touch
// different fields, and the index is built only after every stage is done.
// A million files must not become a million allocations: records, their
// parts and their paths are carved from the list's blocks (fileList.add),
// and the path to open is joined from the source and Rel when needed
// (run.path) rather than kept.
type fileRec struct {
	Rel   string       // in a block of the list's paths
	Size  int64        // size at walk time
	parts []storedPart // by part number, filled by the writers

	// Set by the reader (or the compressor that hashes a mapped file).
	sum     [16]byte
	mtimeNs int64
	mode    uint32

	MayCollide bool // walker.Entry.MayCollide
	skipped    bool // unreadable, listed instead (SkipUnreadable)
	hashed     bool
}

// storedPart is where a part went: archive.SidePart without the raw size,
// which follows from the file's size and the split size.
type storedPart struct {
	offset  int64 // -1 for an empty payload
	stored  int64
	archive int32 // -1 until stored
	comp    bool
}

func (f *fileRec) setChecksum(c *archive.Checksum) {
	copy(f.sum[:], c.Sum())
	f.hashed = true
}

// part is one part of a file travelling through the stages. Each pool
// buffer has one owner and goes back one way: raw and dst through Put
// when the stage done with them drops them (release drops what is left),
// a mapping's weight only with its mapping (run.unmap).
type part struct {
	file    *fileRec
	k       int
	src     []byte   // the part's bytes: raw.B, or mapped.data
	raw     *Buf     // the buffer the part was read into; nil when mapped or empty
	dst     *Buf     // the compressor's output buffer, nil if not compressing
	mapped  *mapping // a mapped part, nil when read
	hash    bool     // the compressor computes the file's checksum (its only part)
	payload []byte
	comp    bool   // payload is a Blosc2 chunk
	dataset string // set by the router
}

// mapping is a part mapped from its file rather than read: the pages are
// resident while it is in flight, so it holds their weight in the pool.
type mapping struct {
	data   []byte   // the part's bytes
	whole  []byte   // the mapping to unmap (page-aligned)
	weight *Buf     // budget only, no buffer (Pool.ReserveWeight)
	file   *srcFile // kept open to check it did not change meanwhile
}

// fileList keeps every file record in walk order for the index, in
// blocks that never move: a record's address stays valid while later
// records are added, and the blocks are the only allocations that grow
// with the file count (about 130 bytes a file with its part and path).
type fileList struct {
	mu     sync.Mutex
	blocks [][]fileRec
	parts  []storedPart // the free end of the current block of parts
	paths  []byte       // the free end of the current block of paths
}

// Block sizes of fileList: large enough that the allocations per file
// vanish, small enough to waste little on a tree of a few files.
const (
	recBlock  = 1024
	partBlock = 1024
	pathBlock = 64 << 10
)

func (l *fileList) add(e walker.Entry, chunk int64) *fileRec {
	n := archive.NumParts(e.Size, chunk)
	l.mu.Lock()
	defer l.mu.Unlock()
	last := len(l.blocks) - 1
	if last < 0 || len(l.blocks[last]) == cap(l.blocks[last]) {
		l.blocks = append(l.blocks, make([]fileRec, 0, recBlock))
		last++
	}
	b := l.blocks[last]
	l.blocks[last] = b[:len(b)+1]
	f := &l.blocks[last][len(b)]
	*f = fileRec{Rel: l.keepPath(e.Rel), Size: e.Size, parts: l.newParts(n), MayCollide: e.MayCollide}
	for k := range f.parts {
		f.parts[k].archive = -1 // not stored yet
	}
	return f
}

// newParts carves n parts from the current block (a file split in more
// parts than a block holds gets its own).
func (l *fileList) newParts(n int) []storedPart {
	if n > partBlock {
		return make([]storedPart, n)
	}
	if len(l.parts) < n {
		l.parts = make([]storedPart, partBlock)
	}
	p := l.parts[:n:n]
	l.parts = l.parts[n:]
	return p
}

// keepPath copies rel into the current block of paths.
func (l *fileList) keepPath(rel string) string {
	if len(rel) > pathBlock/4 {
		return strings.Clone(rel)
	}
	if len(rel) > cap(l.paths)-len(l.paths) {
		l.paths = make([]byte, 0, pathBlock)
	}
	start := len(l.paths)
	l.paths = append(l.paths, rel...)
	b := l.paths[start:len(l.paths):len(l.paths)]
	return unsafe.String(unsafe.SliceData(b), len(b)) // never written again
}

// stored returns the stored files in path order, checks that each was
// fully read and stored, and fills res's totals.
func (l *fileList) stored(res *Result) ([]*fileRec, error) {
	n := 0
	for _, b := range l.blocks {
		n += len(b)
	}
	live := make([]*fileRec, 0, n)
	for _, b := range l.blocks {
		for i := range b {
			f := &b[i]
			if f.skipped {
				continue
			}
			if !f.hashed {
				return nil, fmt.Errorf("%s: internal error: file was never fully read", f.Rel)
			}
			for k, p := range f.parts {
				if p.archive < 0 {
					return nil, fmt.Errorf("%s: internal error: part %d was never stored", f.Rel, k)
				}
				res.Parts++
				res.StoredBytes += p.stored
			}
			res.Files++
			res.RawBytes += f.Size
			live = append(live, f)
		}
	}
	slices.SortFunc(live, func(a, b *fileRec) int { return strings.Compare(a.Rel, b.Rel) })
	return live, nil
}

// entry is f as the indexes take it; its parts are appended to buf[:0],
// which the next call may reuse.
func (f *fileRec) entry(chunk int64, buf []archive.SidePart) archive.Entry {
	buf = buf[:0]
	for k, p := range f.parts {
		buf = append(buf, archive.SidePart{Archive: int(p.archive), Offset: p.offset, Stored: p.stored,
			Raw: min(chunk, f.Size-int64(k)*chunk), Compressed: p.comp})
	}
	return archive.Entry{Path: f.Rel, Size: f.Size, MtimeNs: f.mtimeNs, Mode: f.mode, Checksum: f.sum, Parts: buf}
}

// entries returns recs as Indexes reads them: one entry at a time, reused.
func entries(recs []*fileRec, chunk int64) func(i int) *archive.Entry {
	var e archive.Entry
	return func(i int) *archive.Entry {
		e = recs[i].entry(chunk, e.Parts)
		return &e
	}
}

// Indexes encodes a set's two indexes, the side index and the JSON, from n
// entries given in ascending path order by entry(i), one file at a time (no
// second copy of the whole index as Go structures). The entry returned may
// be reused by the next call. Seal builds a sharded set's indexes with it.
// info is one string every member's writer can share without a copy, and a
// NUL byte follows it in memory, so that it can be passed to C without one
// either (archive.RootAttrs.InfoNUL).
func Indexes(n int, entry func(i int) *archive.Entry, members int, chunk int64) (side []byte, info string, err error) {
	// Encoding leaves garbage (per-entry JSON, dataset names) beside the
	// records, which are live until the end: collecting sooner keeps it
	// from adding up to the index's size again (README, Memory).
	defer collectSooner()()
	ix, err := measureJSON(n, entry)
	if err != nil {
		return nil, "", err
	}
	if side, err = ix.side(n, entry, members, chunk); err != nil {
		return nil, "", err
	}
	info, err = ix.json(n, entry)
	return side, info, err
}

// jsonIndex is what a first pass over the entries learns of the JSON
// index: its length and checksum, so that the side index (which records
// the checksum) can be built and stored before the JSON is, and the JSON
// written into one buffer of its exact size. Building it in a growing
// buffer held up to twice the index at once, beside the records; at 10^6
// files that was the run's peak.
type jsonIndex struct {
	size int
	sum  uint64
}

// measureJSON encodes every entry once into a scratch buffer to measure and
// checksum the JSON index without keeping it.
func measureJSON(n int, entry func(i int) *archive.Entry) (jsonIndex, error) {
	h := xxh3.New()
	size := 0
	err := encodeJSON(n, entry, func(b []byte) {
		h.Write(b)
		size += len(b)
	})
	return jsonIndex{size: size, sum: h.Sum64()}, err
}

// side encodes the side index of the entries, recording the JSON's checksum.
func (ix jsonIndex) side(n int, entry func(i int) *archive.Entry, members int, chunk int64) ([]byte, error) {
	h := archive.SideHeader{Members: members, ChunkSize: chunk, InfoSum: ix.sum}
	rand.Read(h.SetID[:])
	return archive.EncodeSideIndex(h, n, entry)
}

// json encodes the JSON index into a buffer of its measured size and a NUL
// byte, and checks that it is the text measured.
func (ix jsonIndex) json(n int, entry func(i int) *archive.Entry) (string, error) {
	text := make([]byte, 0, ix.size+1)
	err := encodeJSON(n, entry, func(b []byte) {
		if len(text)+len(b) <= ix.size { // never grow: a mismatch is caught below
			text = append(text, b...)
		}
	})
	if err != nil {
		return "", err
	}
	if len(text) != ix.size || xxh3.Hash(text) != ix.sum {
		return "", errors.New("internal error: the JSON index changed between its two passes")
	}
	text = append(text, 0)[:ix.size] // the NUL stays behind it (archive.RootAttrs.InfoNUL)
	// text is never modified: the string shares its bytes.
	return unsafe.String(unsafe.SliceData(text), len(text)), nil
}

// encodeJSON encodes the JSON index of the entries piece by piece into out.
func encodeJSON(n int, entry func(i int) *archive.Entry, out func([]byte)) error {
	var b bytes.Buffer
	b.WriteByte('{')
	parts := make([]archive.Part, 0, 1)
	for i := range n {
		e := entry(i)
		parts = parts[:0]
		for k, p := range e.Parts {
			parts = append(parts, jsonPart(e.Path, k, len(e.Parts), p))
		}
		if err := archive.AppendIndexEntry(&b, i == 0, e.Path, parts); err != nil {
			return err
		}
		if b.Len() >= 32<<10 {
			out(b.Bytes())
			b.Reset()
		}
	}
	b.WriteString("\n}")
	out(b.Bytes())
	return nil
}

// indexGCPercent is the GOGC while the indexes are encoded.
const indexGCPercent = 20

// collectSooner sets GOGC to indexGCPercent unless it is lower already
// (GOGC=10) and returns the function that puts it back.
func collectSooner() (restore func()) {
	old := debug.SetGCPercent(indexGCPercent)
	if old >= 0 && old < indexGCPercent {
		debug.SetGCPercent(old)
	}
	return func() { debug.SetGCPercent(old) }
}

// jsonPart is part k of f as the JSON index spells it: the original's
// keys only. What our readers need besides is in the side index.
func jsonPart(rel string, k, nparts int, p archive.SidePart) archive.Part {
	jp := archive.Part{ArchiveNumber: p.Archive, Dataset: archive.DatasetName(rel, k, nparts, p.Compressed)}
	if nparts > 1 {
		jp.Chunk = archive.Ptr(k)
	}
	if p.Compressed {
		jp.Compression = blosc2Method
	}
	return jp
}

// blosc2Method is every compressed part's Compression, shared: the encoder
// only reads it.
var blosc2Method = archive.Blosc2Method()
