package archive

// The side index: a compact, sorted, checksummed binary copy of what
// readers need from the index, stored as one extra payload
// (SideIndexName) in every member of a set. The JSON index stays for the
// original's readers; ours read this instead, a block at a time.
//
// Layout (integers little-endian):
//
//	header  (SideHeaderLen bytes, see SideHeader and encodeHeader)
//	table   one record per block: offset u64, length u32, entries u32,
//	        XXH3-64 u64, first-path length u16, first path
//	blocks  per entry: shared-prefix uvarint, suffix length uvarint,
//	        suffix, size uvarint, mtime varint, mode uvarint, 16-byte
//	        XXH3-128 checksum, parts uvarint, then per part: archive
//	        uvarint, offset+1 uvarint (0: no offset), stored uvarint,
//	        raw uvarint, compressed byte (0 or 1)
//
// Paths are front-coded within a block and strictly ascending across the
// whole index, so a lookup binary-searches the table's first paths and
// decodes one block.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/zeebo/xxh3"
)

// SideIndexName is the dataset (zip member) holding the side index.
const SideIndexName = "__HDF5Vault_index__"

const (
	sideMagic      = "HV5VIDX\x00"
	sideVersion    = 1
	SideHeaderLen  = 104 // bytes
	BlockEntries   = 256
	maxBlockEnts   = 1 << 14
	maxBlockBytes  = 64 << 20
	maxPathLen     = 1 << 15
	tableRecordMin = 8 + 4 + 4 + 8 + 2
)

// ErrSideIndex marks a damaged or inconsistent side index: readers fall
// back to another copy or to the JSON index.
var ErrSideIndex = errors.New("side index damaged or inconsistent")

func sideErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrSideIndex, fmt.Sprintf(format, a...))
}

// SideHeader is the fixed-size start of a side index.
type SideHeader struct {
	SetID     [16]byte // random per create run: members of other runs do not mix
	Members   int      // archive files in the set
	ChunkSize int64    // split size
	Files     int64    // entries
	Parts     int64    // parts of all entries
	Blocks    int
	TableLen  int64
	TableSum  uint64
	DataLen   int64
	InfoSum   uint64 // XXH3-64 of the JSON index, so that verify can vouch for it too
}

// Len is the side index's total length in bytes.
func (h *SideHeader) Len() int64 { return SideHeaderLen + h.TableLen + h.DataLen }

// SidePart is one payload of a file.
type SidePart struct {
	Archive    int
	Offset     int64 // byte offset in its member file, -1 if none (empty payload)
	Stored     int64 // payload bytes
	Raw        int64 // decoded bytes
	Compressed bool  // a Blosc2 chunk
}

// Entry is one file of the side index.
type Entry struct {
	Path     string
	Size     int64
	MtimeNs  int64
	Mode     uint32
	Checksum [16]byte // XXH3-128 of the file's bytes
	Parts    []SidePart
}

// EncodeSideIndex encodes n entries, given in ascending path order by
// entry(i). Of h, the caller sets SetID, Members, ChunkSize and InfoSum.
func EncodeSideIndex(h SideHeader, n int, entry func(i int) *Entry) ([]byte, error) {
	return encodeSide(h, n, entry, true)
}

// encodeSide is EncodeSideIndex; tests turn the order check off to build
// hostile indexes.
func encodeSide(h SideHeader, n int, entry func(i int) *Entry, ordered bool) ([]byte, error) {
	var data, table []byte
	h.Files, h.Parts, h.Blocks = int64(n), 0, 0
	var prev string
	for start := 0; start < n; start += BlockEntries {
		end := min(start+BlockEntries, n)
		blockStart := len(data)
		var first string
		for i := start; i < end; i++ {
			e := entry(i)
			if ordered && i > 0 && e.Path <= prev {
				return nil, fmt.Errorf("side index: %q after %q: paths not strictly ascending", e.Path, prev)
			}
			if len(e.Path) > maxPathLen {
				return nil, fmt.Errorf("side index: path of %d bytes is too long", len(e.Path))
			}
			shared := 0
			if i == start {
				first = e.Path
			} else {
				shared = commonPrefix(prev, e.Path)
			}
			if shared == len(e.Path) && shared > 0 {
				shared-- // an unordered repeat, only in tests
			}
			data = appendEntry(data, e, shared)
			h.Parts += int64(len(e.Parts))
			prev = e.Path
		}
		block := data[blockStart:]
		table = binary.LittleEndian.AppendUint64(table, uint64(blockStart))
		table = binary.LittleEndian.AppendUint32(table, uint32(len(block)))
		table = binary.LittleEndian.AppendUint32(table, uint32(end-start))
		table = binary.LittleEndian.AppendUint64(table, xxh3.Hash(block))
		table = binary.LittleEndian.AppendUint16(table, uint16(len(first)))
		table = append(table, first...)
		h.Blocks++
	}
	h.TableLen, h.TableSum, h.DataLen = int64(len(table)), xxh3.Hash(table), int64(len(data))
	out := make([]byte, 0, h.Len())
	out = encodeHeader(out, &h)
	out = append(out, table...)
	return append(out, data...), nil
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func appendEntry(b []byte, e *Entry, shared int) []byte {
	b = binary.AppendUvarint(b, uint64(shared))
	b = binary.AppendUvarint(b, uint64(len(e.Path)-shared))
	b = append(b, e.Path[shared:]...)
	b = binary.AppendUvarint(b, uint64(e.Size))
	b = binary.AppendVarint(b, e.MtimeNs)
	b = binary.AppendUvarint(b, uint64(e.Mode))
	b = append(b, e.Checksum[:]...)
	b = binary.AppendUvarint(b, uint64(len(e.Parts)))
	for _, p := range e.Parts {
		b = binary.AppendUvarint(b, uint64(p.Archive))
		b = binary.AppendUvarint(b, uint64(p.Offset+1))
		b = binary.AppendUvarint(b, uint64(p.Stored))
		b = binary.AppendUvarint(b, uint64(p.Raw))
		c := byte(0)
		if p.Compressed {
			c = 1
		}
		b = append(b, c)
	}
	return b
}

func encodeHeader(b []byte, h *SideHeader) []byte {
	le := binary.LittleEndian
	start := len(b)
	b = append(b, sideMagic...)
	b = le.AppendUint16(b, sideVersion)
	b = le.AppendUint16(b, 0) // flags
	b = le.AppendUint32(b, BlockEntries)
	b = append(b, h.SetID[:]...)
	b = le.AppendUint32(b, uint32(h.Members))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, uint64(h.ChunkSize))
	b = le.AppendUint64(b, uint64(h.Files))
	b = le.AppendUint64(b, uint64(h.Parts))
	b = le.AppendUint32(b, uint32(h.Blocks))
	b = le.AppendUint32(b, uint32(h.TableLen))
	b = le.AppendUint64(b, h.TableSum)
	b = le.AppendUint64(b, uint64(h.DataLen))
	b = le.AppendUint64(b, h.InfoSum)
	return le.AppendUint64(b, xxh3.Hash(b[start:]))
}

// ParseSideHeader decodes and checks a header. size is the number of bytes
// the side index really occupies (the payload's size), so nothing the
// header claims beyond it is believed.
func ParseSideHeader(b []byte, size int64) (SideHeader, error) {
	var h SideHeader
	le := binary.LittleEndian
	switch {
	case len(b) < SideHeaderLen:
		return h, sideErr("header of %d bytes, want %d", len(b), SideHeaderLen)
	case string(b[:8]) != sideMagic:
		return h, sideErr("bad magic %q", b[:8])
	case le.Uint64(b[96:104]) != xxh3.Hash(b[:96]):
		return h, sideErr("header checksum mismatch")
	case le.Uint16(b[8:10]) != sideVersion:
		return h, sideErr("version %d, this reader knows %d", le.Uint16(b[8:10]), sideVersion)
	}
	copy(h.SetID[:], b[16:32])
	h.Members = int(le.Uint32(b[32:36]))
	h.ChunkSize = int64(le.Uint64(b[40:48]))
	files, parts := le.Uint64(b[48:56]), le.Uint64(b[56:64])
	h.Blocks = int(le.Uint32(b[64:68]))
	h.TableLen = int64(le.Uint32(b[68:72]))
	h.TableSum = le.Uint64(b[72:80])
	data := le.Uint64(b[80:88])
	h.InfoSum = le.Uint64(b[88:96])
	switch {
	case h.Members < 1 || h.Members > 1<<20:
		return h, sideErr("implausible member count %d", h.Members)
	case h.ChunkSize < 1 || h.ChunkSize > MaxChunkSize:
		return h, sideErr("implausible chunk size %d", h.ChunkSize)
	case data > uint64(size) || SideHeaderLen+h.TableLen+int64(data) != size:
		return h, sideErr("header claims %d+%d+%d bytes, the index has %d", SideHeaderLen, h.TableLen, data, size)
	case int64(h.Blocks)*tableRecordMin > h.TableLen:
		return h, sideErr("%d blocks cannot fit a %d-byte table", h.Blocks, h.TableLen)
	case files > uint64(h.Blocks)*maxBlockEnts || parts < files || parts > data:
		return h, sideErr("implausible counts: %d files, %d parts in %d blocks", files, parts, h.Blocks)
	}
	h.Files, h.Parts, h.DataLen = int64(files), int64(parts), int64(data)
	return h, nil
}

// blockTable is the decoded table, held as one struct of slices.
type blockTable struct {
	off, sum      []uint64
	length, count []uint32
	firstEnd      []uint32 // end of block i's first path in firsts
	firsts        []byte
}

func (t *blockTable) first(i int) string {
	start := uint32(0)
	if i > 0 {
		start = t.firstEnd[i-1]
	}
	return string(t.firsts[start:t.firstEnd[i]])
}

// parseTable decodes the table and checks that the blocks tile the data,
// hold the header's number of entries and start with ascending paths.
func parseTable(h *SideHeader, b []byte) (*blockTable, error) {
	if int64(len(b)) != h.TableLen || xxh3.Hash(b) != h.TableSum {
		return nil, sideErr("block table checksum mismatch")
	}
	le := binary.LittleEndian
	t := &blockTable{
		off: make([]uint64, h.Blocks), sum: make([]uint64, h.Blocks),
		length: make([]uint32, h.Blocks), count: make([]uint32, h.Blocks),
		firstEnd: make([]uint32, h.Blocks), firsts: make([]byte, 0, len(b)-h.Blocks*tableRecordMin),
	}
	var next uint64
	var files int64
	prev := ""
	for i := range h.Blocks {
		if len(b) < tableRecordMin {
			return nil, sideErr("block table ends at block %d of %d", i, h.Blocks)
		}
		t.off[i], t.length[i], t.count[i], t.sum[i] = le.Uint64(b), le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint64(b[16:])
		plen := int(le.Uint16(b[24:]))
		b = b[tableRecordMin:]
		if plen > len(b) {
			return nil, sideErr("block table ends inside block %d's first path", i)
		}
		first := string(b[:plen])
		b = b[plen:]
		switch {
		case t.off[i] != next:
			return nil, sideErr("block %d starts at %d, want %d", i, t.off[i], next)
		case t.count[i] == 0 || t.count[i] > maxBlockEnts || t.length[i] > maxBlockBytes:
			return nil, sideErr("block %d: implausible %d entries in %d bytes", i, t.count[i], t.length[i])
		case i > 0 && first <= prev:
			return nil, sideErr("block %d starts with %q after %q: not sorted", i, first, prev)
		}
		next += uint64(t.length[i])
		files += int64(t.count[i])
		t.firsts = append(t.firsts, first...)
		t.firstEnd[i] = uint32(len(t.firsts))
		prev = first
	}
	switch {
	case len(b) != 0:
		return nil, sideErr("%d bytes after the block table", len(b))
	case next != uint64(h.DataLen):
		return nil, sideErr("blocks cover %d bytes, the header says %d", next, h.DataLen)
	case files != h.Files:
		return nil, sideErr("blocks hold %d entries, the header says %d", files, h.Files)
	}
	return t, nil
}

// ReadAtFunc reads len(dst) bytes at off of the side index into dst.
type ReadAtFunc func(dst []byte, off int64) error

// SideIndex is an opened side index: header and block table in memory,
// blocks read on demand. A copy opened with OpenSideCopy reads its table
// at first use (Block, CheckBlocks); BlockLen, FirstPath, BlockOf, Find
// and EntryAt need one opened with OpenSideIndex.
type SideIndex struct {
	Header      SideHeader
	Raw         []byte       // the header's bytes, identical in every copy of one index
	MemberSizes []int64      // each member file's size: no payload may end past it
	Copies      []*SideIndex // the same index in other members, tried when a block is damaged
	t           *blockTable
	read        ReadAtFunc
	tableOnce   sync.Once // reads t of a copy opened without it
	tableErr    error
}

// OpenSideIndex reads and checks the header and block table of a side
// index of size bytes. memberSizes has one entry per member of the set.
func OpenSideIndex(read ReadAtFunc, size int64, memberSizes []int64) (*SideIndex, error) {
	x, err := OpenSideCopy(read, size, memberSizes)
	if err != nil {
		return nil, err
	}
	if _, err := x.table(); err != nil {
		return nil, err
	}
	return x, nil
}

// OpenSideCopy reads and checks only the header of a side index: its block
// table is read and checked when a block is first asked of it (a copy kept
// for when the first one's blocks are damaged, which a reader that finds
// its entries in the first never reads).
func OpenSideCopy(read ReadAtFunc, size int64, memberSizes []int64) (*SideIndex, error) {
	hb := make([]byte, SideHeaderLen)
	if size < SideHeaderLen {
		return nil, sideErr("%d bytes, shorter than its header", size)
	}
	if err := read(hb, 0); err != nil {
		return nil, err
	}
	h, err := ParseSideHeader(hb, size)
	if err != nil {
		return nil, err
	}
	if h.Members != len(memberSizes) {
		return nil, sideErr("written for a set of %d members, this set has %d", h.Members, len(memberSizes))
	}
	return &SideIndex{Header: h, Raw: hb, MemberSizes: memberSizes, read: read}, nil
}

// table reads and checks the block table, once.
func (x *SideIndex) table() (*blockTable, error) {
	x.tableOnce.Do(func() {
		tb := make([]byte, x.Header.TableLen)
		if len(tb) > 0 {
			if x.tableErr = x.read(tb, SideHeaderLen); x.tableErr != nil {
				return
			}
		}
		x.t, x.tableErr = parseTable(&x.Header, tb)
	})
	return x.t, x.tableErr
}

// Blocks is the number of blocks.
func (x *SideIndex) Blocks() int { return x.Header.Blocks }

// BlockLen is the number of entries in block i, from the table in memory.
func (x *SideIndex) BlockLen(i int) int { return int(x.t.count[i]) }

// FirstPath is the path of block i's first entry, from the table in memory.
func (x *SideIndex) FirstPath(i int) string { return x.t.first(i) }

// Block reads, checks and decodes block i, appending its entries to dst.
// A damaged block is read from the Copies instead; the error is the first
// copy's when every copy fails.
func (x *SideIndex) Block(i int, dst []Entry) ([]Entry, error) {
	es, err := x.block(i, dst)
	if err == nil || !errors.Is(err, ErrSideIndex) {
		return es, err
	}
	for _, c := range x.Copies {
		if es, cerr := c.block(i, dst); cerr == nil {
			return es, nil
		}
	}
	return dst, err
}

// CheckBlocks reads every block of this copy and checks its checksum.
func (x *SideIndex) CheckBlocks() error {
	if _, err := x.table(); err != nil {
		return err
	}
	for i := range x.Header.Blocks {
		if _, err := x.blockBytes(i); err != nil {
			return err
		}
	}
	return nil
}

// blockBytes reads block i of a copy whose table has been read.
func (x *SideIndex) blockBytes(i int) ([]byte, error) {
	buf := make([]byte, x.t.length[i])
	if err := x.read(buf, SideHeaderLen+x.Header.TableLen+int64(x.t.off[i])); err != nil {
		return nil, err
	}
	if xxh3.Hash(buf) != x.t.sum[i] {
		return nil, sideErr("block %d checksum mismatch", i)
	}
	return buf, nil
}

func (x *SideIndex) block(i int, dst []Entry) ([]Entry, error) {
	if i < 0 || i >= x.Header.Blocks {
		return dst, fmt.Errorf("side index: no block %d", i)
	}
	if _, err := x.table(); err != nil {
		return dst, err
	}
	buf, err := x.blockBytes(i)
	if err != nil {
		return dst, err
	}
	d := blockDecoder{x: x, b: buf, first: x.t.first(i)}
	for n := range int(x.t.count[i]) {
		e, err := d.entry(n == 0)
		if err != nil {
			return dst, sideErr("block %d, entry %d: %v", i, n, err)
		}
		dst = append(dst, e)
	}
	if len(d.b) != 0 {
		return dst, sideErr("block %d: %d bytes after its last entry", i, len(d.b))
	}
	return dst, nil
}

// BlockOf is the one block that can hold path: the last whose first path
// is <= path; -1 when path sorts before every entry.
func (x *SideIndex) BlockOf(path string) int {
	return sort.Search(x.Header.Blocks, func(i int) bool { return x.t.first(i) > path }) - 1
}

// Find returns the entry of path, reading only the one block that can hold it.
func (x *SideIndex) Find(path string) (Entry, bool, error) {
	i := x.BlockOf(path)
	if i < 0 {
		return Entry{}, false, nil
	}
	es, err := x.Block(i, nil)
	if err != nil {
		return Entry{}, false, err
	}
	k := sort.Search(len(es), func(k int) bool { return es[k].Path >= path })
	if k < len(es) && es[k].Path == path {
		return es[k], true, nil
	}
	return Entry{}, false, nil
}

// Each decodes every block in order and hands each entry to fn, checking
// that paths ascend across blocks too (a path that is also a directory of
// the next one is refused, as ParseIndex does).
func (x *SideIndex) Each(fn func(*Entry) error) error {
	var es []Entry
	order := PathOrder{Side: true}
	for i := range x.Header.Blocks {
		var err error
		if es, err = x.Block(i, es[:0]); err != nil {
			return err
		}
		for k := range es {
			if err := order.Next(es[k].Path); err != nil {
				return err
			}
			if err := fn(&es[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// PathOrder checks paths handed to it in ascending order: each sorts
// strictly after the one before, and none is a file and also a directory
// of another path, even with paths between them ("a", "a.txt", "a/b").
// It holds only the chain of earlier paths that are prefixes of the last.
type PathOrder struct {
	Side     bool     // the paths come from a side index: errors wrap ErrSideIndex
	prefixes []string // each a string prefix of the next; the last path on top
}

func (o *PathOrder) err(format string, a ...any) error {
	if o.Side {
		return sideErr(format, a...)
	}
	return fmt.Errorf(format, a...)
}

// Next checks path after the paths given so far.
func (o *PathOrder) Next(path string) error {
	if n := len(o.prefixes); n > 0 && path <= o.prefixes[n-1] {
		return o.err("%q after %q: not sorted", path, o.prefixes[n-1])
	}
	for n := len(o.prefixes); n > 0; n-- {
		q := o.prefixes[n-1]
		if strings.HasPrefix(path, q) {
			// The paths below q are prefixes of q, checked against it
			// already: only q can be a directory of path.
			if path[len(q)] == '/' {
				return o.err("%q is both a file and a directory", q)
			}
			break
		}
		o.prefixes = o.prefixes[:n-1]
	}
	o.prefixes = append(o.prefixes, path)
	return nil
}

// blockDecoder decodes the entries of one block, checking each field.
type blockDecoder struct {
	x     *SideIndex
	b     []byte
	prev  string
	first string
}

func (d *blockDecoder) uvarint(what string, max uint64) (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, fmt.Errorf("%s: truncated or malformed varint", what)
	}
	if v > max {
		return 0, fmt.Errorf("%s %d exceeds %d", what, v, max)
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *blockDecoder) entry(first bool) (Entry, error) {
	var e Entry
	if err := d.path(&e, first); err != nil {
		return e, err
	}
	size, err := d.uvarint("size", 1<<62)
	if err != nil {
		return e, err
	}
	e.Size = int64(size)
	mt, n := binary.Varint(d.b)
	if n <= 0 {
		return e, errors.New("mtime: truncated or malformed varint")
	}
	e.MtimeNs, d.b = mt, d.b[n:]
	mode, err := d.uvarint("mode", 0o7777)
	if err != nil {
		return e, err
	}
	e.Mode = uint32(mode)
	if len(d.b) < 16 {
		return e, errors.New("checksum: truncated")
	}
	copy(e.Checksum[:], d.b)
	d.b = d.b[16:]
	return e, d.parts(&e)
}

func (d *blockDecoder) path(e *Entry, first bool) error {
	shared, err := d.uvarint("shared prefix", uint64(len(d.prev)))
	if err != nil {
		return err
	}
	suffix, err := d.uvarint("path length", maxPathLen)
	if err != nil {
		return err
	}
	if suffix > uint64(len(d.b)) {
		return errors.New("path: truncated")
	}
	switch {
	case first && shared != 0:
		return errors.New("the block's first path shares a prefix")
	case first:
		e.Path = string(d.b[:suffix])
	default:
		e.Path = d.prev[:shared] + string(d.b[:suffix])
	}
	d.b = d.b[suffix:]
	switch {
	case first && e.Path != d.first:
		return fmt.Errorf("first path %q, the block table says %q", e.Path, d.first)
	case !first && e.Path <= d.prev:
		return fmt.Errorf("%q after %q: not sorted", e.Path, d.prev)
	}
	if err := CleanRel(e.Path); err != nil {
		return err
	}
	d.prev = e.Path
	return nil
}

// parts decodes and checks a file's parts: as many as its size needs at
// the set's split size, each within its member file and the split size,
// adding up to the file's size.
func (d *blockDecoder) parts(e *Entry) error {
	h := &d.x.Header
	want := NumParts(e.Size, h.ChunkSize)
	n, err := d.uvarint("part count", uint64(len(d.b)/5))
	if err != nil {
		return err
	}
	if n != uint64(want) {
		return fmt.Errorf("%q: %d parts, a file of %d bytes has %d", e.Path, n, e.Size, want)
	}
	e.Parts = make([]SidePart, n)
	var sum int64
	for k := range e.Parts {
		if err := d.part(e, &e.Parts[k]); err != nil {
			return fmt.Errorf("%q part %d: %v", e.Path, k, err)
		}
		sum += e.Parts[k].Raw
	}
	if sum != e.Size {
		return fmt.Errorf("%q: parts hold %d bytes, the file has %d", e.Path, sum, e.Size)
	}
	return nil
}

func (d *blockDecoder) part(e *Entry, p *SidePart) error {
	h := &d.x.Header
	a, err := d.uvarint("archive number", uint64(h.Members-1))
	if err != nil {
		return err
	}
	size := d.x.MemberSizes[a]
	off, err := d.uvarint("offset", uint64(size))
	if err != nil {
		return err
	}
	stored, err := d.uvarint("stored size", MaxPayload)
	if err != nil {
		return err
	}
	raw, err := d.uvarint("size", uint64(h.ChunkSize))
	if err != nil {
		return err
	}
	if len(d.b) < 1 || d.b[0] > 1 {
		return errors.New("compressed flag: truncated or not 0/1")
	}
	p.Archive, p.Offset, p.Stored, p.Raw, p.Compressed = int(a), int64(off)-1, int64(stored), int64(raw), d.b[0] == 1
	d.b = d.b[1:]
	switch {
	case p.Stored > 0 && p.Offset < 0:
		return fmt.Errorf("%d stored bytes without an offset", p.Stored)
	case p.Offset+p.Stored > size:
		return fmt.Errorf("bytes %d..%d lie past the end of member %d (%d bytes)", p.Offset, p.Offset+p.Stored, p.Archive, size)
	case !p.Compressed && p.Stored != p.Raw:
		return fmt.Errorf("raw payload of %d bytes holding %d", p.Stored, p.Raw)
	}
	return nil
}

// Dataset is the name of part k of e in our sets.
func (e *Entry) Dataset(k int) string {
	return DatasetName(e.Path, k, len(e.Parts), e.Parts[k].Compressed)
}

// Span is a byte range of a member file claimed by a payload or, with
// Entry -1, by the side index itself.
type Span struct {
	Off, End int64
	Archive  int32
	Entry    int32 // the claiming entry's number in path order
}

// Overlap is two claims on the same bytes of a member file.
type Overlap struct{ A, B Span }

func (o *Overlap) Error() string {
	return fmt.Sprintf("%v: entries %d and %d claim the same bytes of member %d (%d..%d and %d..%d)",
		ErrSideIndex, o.A.Entry, o.B.Entry, o.A.Archive, o.A.Off, o.A.End, o.B.Off, o.B.End)
}

func (o *Overlap) Unwrap() error { return ErrSideIndex }

// CheckOverlaps returns the first two spans that share bytes, nil if none.
// Empty spans claim nothing. It sorts spans.
func CheckOverlaps(spans []Span) *Overlap {
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].Archive != spans[j].Archive {
			return spans[i].Archive < spans[j].Archive
		}
		return spans[i].Off < spans[j].Off
	})
	last := -1
	for i := range spans {
		s := &spans[i]
		if s.End <= s.Off {
			continue
		}
		if last >= 0 && spans[last].Archive == s.Archive && s.Off < spans[last].End {
			return &Overlap{A: spans[last], B: *s}
		}
		last = i
	}
	return nil
}

// EntryAt returns entry n in path order, reading only its block.
func (x *SideIndex) EntryAt(n int) (Entry, error) {
	for i := range x.Header.Blocks {
		c := int(x.t.count[i])
		if n < c {
			es, err := x.Block(i, nil)
			if err != nil {
				return Entry{}, err
			}
			return es[n], nil
		}
		n -= c
	}
	return Entry{}, fmt.Errorf("side index: no entry %d", n)
}

// SameSideIndex reports whether two copies carry the same header (and so,
// through its checksums, the same table and blocks).
func SameSideIndex(a, b *SideIndex) bool { return bytes.Equal(a.Raw, b.Raw) }
