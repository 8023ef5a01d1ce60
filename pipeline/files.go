package pipeline

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"unsafe"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/walker"
)

// fileRec is one source file on its way into the index. The reader fills
// the whole-file facts, each writer the part it stored; they touch
// different fields, and the index is built only after every stage is done.
// Parts are held as plain values: a million files must not become a
// million maps or pointer-laden structs.
type fileRec struct {
	walker.Entry
	nparts int
	parts  []archive.SidePart // by part number, filled by the writers

	// Set by the reader (or the compressor that hashes a mapped file).
	skipped bool // unreadable, listed instead (SkipUnreadable)
	hashed  bool
	sum     [16]byte
	mtimeNs int64
	mode    uint32
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

// fileList keeps every file record in walk order for the index.
type fileList struct {
	mu   sync.Mutex
	recs []*fileRec
}

func (l *fileList) add(e walker.Entry, chunk int64) *fileRec {
	n := archive.NumParts(e.Size, chunk)
	f := &fileRec{Entry: e, nparts: n, parts: make([]archive.SidePart, n)}
	for k := range f.parts {
		f.parts[k].Archive = -1 // not stored yet
	}
	l.mu.Lock()
	l.recs = append(l.recs, f)
	l.mu.Unlock()
	return f
}

// stored returns the stored files in path order, checks that each was
// fully read and stored, and fills res's totals.
func (l *fileList) stored(res *Result) ([]*fileRec, error) {
	live := l.recs[:0]
	for _, f := range l.recs {
		if f.skipped {
			continue
		}
		if !f.hashed {
			return nil, fmt.Errorf("%s: internal error: file was never fully read", f.Rel)
		}
		for k := range f.parts {
			p := &f.parts[k]
			if p.Archive < 0 {
				return nil, fmt.Errorf("%s: internal error: part %d was never stored", f.Rel, k)
			}
			res.Parts++
			res.StoredBytes += p.Stored
		}
		res.Files++
		res.RawBytes += f.Size
		live = append(live, f)
	}
	clear(l.recs[len(live):])
	l.recs = live
	sort.Slice(live, func(i, j int) bool { return live[i].Rel < live[j].Rel })
	return live, nil
}

// indexes encodes the set's two indexes from the sorted records.
func indexes(recs []*fileRec, members int, chunk int64) (side []byte, info string, err error) {
	var e archive.Entry
	return Indexes(len(recs), func(i int) *archive.Entry {
		e = recs[i].entry()
		return &e
	}, members, chunk)
}

func (f *fileRec) entry() archive.Entry {
	return archive.Entry{Path: f.Rel, Size: f.Size, MtimeNs: f.mtimeNs, Mode: f.mode, Checksum: f.sum, Parts: f.parts}
}

// Indexes encodes a set's two indexes, the side index and the JSON, from n
// entries given in ascending path order by entry(i), one file at a time (no
// second copy of the whole index as Go structures). The entry returned may
// be reused by the next call. Seal builds a sharded set's indexes with it.
// info is one string every member's writer can share without a copy, and a
// NUL byte follows it in memory, so that it can be passed to C without one
// either (archive.RootAttrs.InfoNUL).
func Indexes(n int, entry func(i int) *archive.Entry, members int, chunk int64) (side []byte, info string, err error) {
	// Encoding leaves garbage of about twice the index (per-entry JSON,
	// dataset names, the buffers' growth) beside the records, which are
	// live until the end: at the default GOGC the heap grew by 2.5 times
	// the index (10^5 files: +48 MiB RSS for a 12 MB index, the run's
	// peak). Collecting sooner adds about eight collections of a heap
	// under 60 MB at 10^5 files; create's CPU time did not change
	// measurably (README, Memory).
	defer collectSooner()()
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
			return nil, "", err
		}
	}
	b.WriteString("\n}\x00")
	text := b.Bytes()
	text = text[:len(text)-1] // the NUL stays behind it (archive.RootAttrs.InfoNUL)
	h := archive.SideHeader{Members: members, ChunkSize: chunk, InfoSum: xxh3.Hash(text)}
	rand.Read(h.SetID[:])
	side, err = archive.EncodeSideIndex(h, n, entry)
	if err != nil {
		return nil, "", err
	}
	// text is never modified: the string shares its bytes.
	return side, unsafe.String(unsafe.SliceData(text), len(text)), nil
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
		jp.Compression = archive.Blosc2Method()
	}
	return jp
}
