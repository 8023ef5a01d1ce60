package blosc

// Random access into one chunk: Blocks locates each block's streams from
// the chunk's prefix (header, block-start table, dictionary), and
// Decoder.DecodeBlock decodes one block from just its own bytes, so a
// reader of a small range reads and decodes only the blocks covering it.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// virtualBlock is the block size given to memcpy and special-value chunks,
// which have no blocks of their own: any size works for them.
const virtualBlock = 256 << 10

// Blocks is where the blocks of one chunk lie.
type Blocks struct {
	h         Header
	blockSize int     // decoded bytes per block (the last may be shorter)
	starts    []int32 // chunk offset of each block's streams
	ends      []int32 // where each block's streams must end
	dict      []byte  // copy of the chunk's dictionary, nil if none
	value     []byte  // the header (and value) of a special-value chunk
	nblocks   int
}

// ParseBlocks reads the block layout from prefix, the first bytes of a
// chunk, with the checks DecodeAll makes before it reads a block (MaxSize,
// LegacyDicts and the dictionary's loading apply). When prefix is too short
// it returns need > len(prefix) and no error: read need bytes and call
// again. need never exceeds the header's cbytes, so a caller that has
// checked cbytes against the stored size never reads past the chunk.
func (d *Decoder) ParseBlocks(prefix []byte) (b *Blocks, need int, err error) {
	h, err := ParseHeader(prefix)
	if errors.Is(err, ErrShortHeader) && len(prefix) < MaxHeaderLen {
		if len(prefix) < minHeaderLen {
			return nil, minHeaderLen, nil
		}
		return nil, MaxHeaderLen, nil
	}
	if err != nil {
		return nil, 0, err
	}
	maxSize := d.MaxSize
	if maxSize <= 0 {
		maxSize = math.MaxInt32
	}
	if h.NBytes > maxSize {
		return nil, 0, corruptf("chunk claims %d bytes, more than the limit %d", h.NBytes, maxSize)
	}
	if need = prefixLen(&h, prefix); need > h.CBytes {
		return nil, 0, corruptf("block-start table and dictionary (%d bytes) do not fit in the %d-byte chunk", need, h.CBytes)
	}
	if len(prefix) < need {
		return nil, need, nil
	}
	maxDict := MaxDictSize
	if d.LegacyDicts {
		maxDict = legacyMaxDictSize
	}
	l, err := layoutChunk(&h, prefix, maxDict)
	if err != nil {
		return nil, 0, err
	}
	if l.dict != nil && h.Codec == Zstd {
		// As DecodeAll: the dictionary must load even if no block needs it.
		if err := d.codecs.prepare(&h, l.dict); err != nil {
			return nil, 0, err
		}
	}
	b = &Blocks{h: h, dict: slices.Clone(l.dict)}
	switch {
	case h.Special != SpecialNone:
		vs := h.TypeSize
		if h.Special == SpecialValue {
			vs = h.ValueSize
		}
		b.value = slices.Clone(prefix[:need])
		b.blockSize = max(vs, virtualBlock/vs*vs) // whole values: the pattern stays aligned
	case h.Memcpyed:
		b.blockSize = virtualBlock
	case h.NBytes == 0:
		b.blockSize = 1
	default:
		return b, 0, b.table(prefix, l.streamsStart)
	}
	b.nblocks = (h.NBytes + b.blockSize - 1) / b.blockSize
	return b, 0, nil
}

// prefixLen is how many leading bytes of the chunk ParseBlocks needs: the
// header, the block-start table, the dictionary (its size is read from
// prefix when there), and a repeated value.
func prefixLen(h *Header, prefix []byte) int {
	need := h.HeaderLen()
	if h.Special == SpecialNone && !h.Memcpyed && h.NBytes > 0 {
		need += 4 * h.NBlocks()
	}
	headerOnly := h.Special == SpecialNone && h.NBytes == 0 && h.CBytes == h.HeaderLen()
	if h.UseDict && !headerOnly {
		need += 4
		if len(prefix) >= need {
			need += max(0, int(int32(binary.LittleEndian.Uint32(prefix[need-4:]))))
		}
	}
	if h.Special == SpecialValue {
		need = max(need, extendedHeaderLen+h.ValueSize)
	}
	return need
}

// table reads the block-start table and works out where each block's
// streams end: at the next block start above its own (C-Blosc2's threads
// may store blocks out of order), or at the end of the chunk.
func (b *Blocks) table(prefix []byte, streamsStart int) error {
	h := &b.h
	b.blockSize, b.nblocks = h.BlockSize, h.NBlocks()
	b.starts = make([]int32, b.nblocks)
	for i := range b.starts {
		off := int(int32(binary.LittleEndian.Uint32(prefix[h.HeaderLen()+4*i:])))
		if off < streamsStart || off >= h.CBytes {
			return corruptf("block %d starts at %d, outside the streams section [%d, %d)", i, off, streamsStart, h.CBytes)
		}
		b.starts[i] = int32(off)
	}
	sorted := slices.Clone(b.starts)
	slices.Sort(sorted)
	b.ends = make([]int32, b.nblocks)
	for i, s := range b.starts {
		j, _ := slices.BinarySearch(sorted, s+1)
		b.ends[i] = int32(h.CBytes)
		if j < len(sorted) {
			b.ends[i] = sorted[j]
		}
	}
	return nil
}

// Header is the chunk's header.
func (b *Blocks) Header() Header { return b.h }

// NBlocks is the number of blocks; decoded byte k lies in block k/BlockSize.
func (b *Blocks) NBlocks() int { return b.nblocks }

// BlockSize is the decoded size of every block but the last.
func (b *Blocks) BlockSize() int { return b.blockSize }

// Span is the byte range [from, to) of the chunk that DecodeBlock needs for
// block i (empty for special-value chunks).
func (b *Blocks) Span(i int) (from, to int) {
	switch {
	case b.value != nil:
		return 0, 0
	case b.h.Memcpyed:
		from = b.h.HeaderLen() + i*b.blockSize
		return from, from + b.size(i)
	case b.starts == nil:
		return 0, 0
	}
	return int(b.starts[i]), int(b.ends[i])
}

// size is block i's decoded size.
func (b *Blocks) size(i int) int {
	return min(b.blockSize, b.h.NBytes-i*b.blockSize)
}

// DecodeBlock appends the decoded block i to dst; span holds the chunk's
// bytes in the range Span(i) gives. On error dst is returned unchanged.
func (d *Decoder) DecodeBlock(b *Blocks, i int, span, dst []byte) ([]byte, error) {
	if i < 0 || i >= b.nblocks {
		return dst, corruptf("block %d outside the chunk's %d blocks", i, b.nblocks)
	}
	from, to := b.Span(i)
	if len(span) != to-from {
		return dst, corruptf("block %d: got %d bytes of the chunk, its span is %d", i, len(span), to-from)
	}
	n := b.size(i)
	switch {
	case b.value != nil:
		h := b.h
		h.NBytes = n
		return decodeSpecial(&h, b.value, dst)
	case b.h.Memcpyed:
		return append(dst, span...), nil
	}
	d.hdr = b.h
	h := &d.hdr
	nstreams := 1
	if h.Split && !(i == b.nblocks-1 && h.NBytes%h.BlockSize != 0) {
		nstreams = h.TypeSize
	}
	if err := checkStreams(h, span, 0, nstreams, n); err != nil {
		return dst, fmt.Errorf("%w (block %d)", err, i)
	}
	if err := d.codecs.prepare(h, b.dict); err != nil {
		return dst, err
	}
	d.steps = inverseFilters(h, d.steps[:0])
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	err := d.decodeStreams(h, b.dict, span, 0, nstreams, dst[start:])
	d.dropLargeScratch()
	if err != nil {
		return dst[:start], fmt.Errorf("%w (block %d of %d)", err, i, b.nblocks)
	}
	return dst, nil
}

// CheckStreams makes the checks DecodeAll makes on every block's streams
// before it decodes (each lies inside the chunk and can expand to its share
// of the block), reading only their size fields: read(off, n) returns n
// bytes of the chunk at off, fewer at its end. So a reader can refuse a
// damaged chunk from a few small reads, before it writes anything.
func (b *Blocks) CheckStreams(read func(off, n int) ([]byte, error)) error {
	if b.starts == nil {
		return nil // special-value, memcpy and empty chunks have no streams
	}
	h := &b.h
	for i, start := range b.starts {
		n := b.size(i)
		nstreams := 1
		if h.Split && !(i == b.nblocks-1 && h.NBytes%h.BlockSize != 0) {
			nstreams = h.TypeSize
		}
		if n%nstreams != 0 {
			return corruptf("a block of %d bytes cannot be split into %d streams (block %d)", n, nstreams, i)
		}
		pos := int(start)
		for j := range nstreams {
			field, err := read(pos, min(streamFieldLen, h.CBytes-pos))
			if err != nil {
				return err
			}
			s, csize, next, err := parseStream(field, pos, h.CBytes)
			if err == nil && s.kind == streamCodec && csize != n/nstreams {
				err = checkExpansion(h, csize, n/nstreams)
			}
			if err != nil {
				return fmt.Errorf("%w (stream %d) (block %d)", err, j, i)
			}
			pos = next
		}
	}
	return nil
}
