package blosc

// Chunk decoding: special-value, memcpy and compressed (blocked) chunks.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Decoder decodes C-Blosc/C-Blosc2 chunks. It keeps scratch buffers and codec
// state between calls, so one Decoder must be used by one goroutine at a
// time; make one per goroutine.
type Decoder struct {
	// MaxSize refuses chunks whose NBytes exceeds it; 0 means 2^31-1.
	MaxSize int
	// LegacyDicts accepts dictionaries of up to 128 KiB, which create -d
	// wrote before it kept to BLOSC2_MAXDICTSIZE, so that such archives can
	// still be restored (every read command sets it). C-Blosc2 refuses
	// them: leave it off, or use CheckCDict, to check that a chunk is one C
	// reads. Refusals say ErrDictSize.
	LegacyDicts bool
	// Threads is reserved: blocks are decoded on the caller's goroutine.
	Threads int

	tmp, tmp2 []byte // a block before (and between) the inverse filters
	planes    []byte // bit unshuffle's byte planes
	steps     []int  // inverse filter steps of the current chunk
	hdr       Header // the current chunk's header (kept here so it does not escape per call)
	codecs    codecState
}

// NewDecoder returns a Decoder with no size limit beyond the format's.
func NewDecoder() *Decoder { return &Decoder{} }

// Decoded sizes of a stream may not exceed ratio*csize+slack for its codec;
// the ratios are each codec's worst case (a small multiple of it for zstd).
const (
	lzMaxRatio   = 256   // blosclz, lz4: one 255 length byte per 255 output bytes
	zlibMaxRatio = 1032  // deflate's maximum
	zstdMaxRatio = 65536 // RLE blocks reach 128 KiB from 4 bytes
	ratioSlack   = 1024
)

// The largest dictionary create -d wrote before it kept to C's limit.
const legacyMaxDictSize = 128 * 1024

// Largest scratch buffer kept between calls; bigger ones are dropped so one
// odd chunk does not pin its memory.
const maxKeptScratch = 16 << 20

// DecodeAll appends the decoded content of chunk to dst and returns it. The
// chunk must be exactly one chunk: len(chunk) must equal the header's cbytes
// ("stored size disagrees with chunk header" otherwise), as each stored
// payload holds one chunk and trailing bytes mean damage. On error dst is
// returned unchanged.
func (d *Decoder) DecodeAll(chunk, dst []byte) ([]byte, error) {
	var err error
	if d.hdr, err = ParseHeader(chunk); err != nil {
		return dst, err
	}
	h := &d.hdr
	// blosc2_initialize_context_from_header refuses cbytes > srcsize;
	// python-blosc2 (blosc1_cbuffer_validate) wants them equal, and so do
	// we: a stored payload holds exactly one chunk.
	if len(chunk) != h.CBytes {
		return dst, corruptf("stored size %d disagrees with chunk header cbytes %d", len(chunk), h.CBytes)
	}
	maxSize := d.MaxSize
	if maxSize <= 0 {
		maxSize = math.MaxInt32
	}
	// Like C's nbytes > destsize (blosc_run_decompression_with_context):
	// no genuine chunk of the caller's exceeds its limit.
	if h.NBytes > maxSize {
		return dst, corruptf("chunk claims %d bytes, more than the limit %d", h.NBytes, maxSize)
	}
	maxDict := MaxDictSize
	if d.LegacyDicts {
		maxDict = legacyMaxDictSize
	}
	l, err := layoutChunk(h, chunk, maxDict)
	if err != nil {
		return dst, err
	}
	if l.dict != nil && h.Codec == Zstd {
		// initialize_context_decompression: ZSTD_createDDict must accept
		// the dictionary even when no stream uses it (stored, special and
		// empty chunks).
		if err := d.codecs.prepare(h, l.dict); err != nil {
			return dst, err
		}
	}
	start := len(dst)
	switch {
	case h.Special != SpecialNone:
		dst, err = decodeSpecial(h, chunk, dst)
	case h.Memcpyed:
		dst = append(dst, chunk[h.HeaderLen():]...) // ParseHeader checked cbytes = header + nbytes
	case h.NBytes == 0:
		// Only a header (C-Blosc2 stores empty input so).
	default:
		dst, err = d.decodeBlocks(&l, dst)
	}
	d.dropLargeScratch()
	if err != nil {
		return dst[:start], err
	}
	if len(dst)-start != h.NBytes {
		return dst[:start], corruptf("decoded %d bytes, header says %d", len(dst)-start, h.NBytes)
	}
	return dst, nil
}

// CheckCDict returns an error wrapping ErrDictSize when chunk's dictionary
// is outside C-Blosc2's bounds: the chunks create -d wrote before it kept
// to BLOSC2_MAXDICTSIZE, which LegacyDicts reads but C-Blosc2 refuses. It
// returns nil for every other chunk, damaged ones included (DecodeAll
// reports those).
func CheckCDict(chunk []byte) error {
	h, err := ParseHeader(chunk)
	if err != nil || !h.UseDict {
		return nil
	}
	if _, err := layoutChunk(&h, chunk, MaxDictSize); errors.Is(err, ErrDictSize) {
		return err
	}
	return nil
}

// decodeSpecial expands a special-value chunk: its size comes from the
// header alone (already bounded by MaxSize).
func decodeSpecial(h *Header, chunk, dst []byte) ([]byte, error) {
	n := h.NBytes
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	out := dst[start:]
	switch h.Special {
	case SpecialZero, SpecialUninit:
		// Uninitialized content is unspecified in C; zeros are as good as any.
		clear(out)
	case SpecialNaN:
		// The quiet NaNs C's nanf("") and nan("") give on x86-64 and ARM.
		var nan [8]byte
		if h.TypeSize == 4 {
			binary.LittleEndian.PutUint32(nan[:], 0x7fc00000)
		} else {
			binary.LittleEndian.PutUint64(nan[:], 0x7ff8000000000000)
		}
		fillPattern(out, nan[:h.TypeSize])
	case SpecialValue:
		fillPattern(out, chunk[extendedHeaderLen:extendedHeaderLen+h.ValueSize])
	}
	return dst, nil
}

// fillPattern fills out with copies of p (len(out) is a multiple of len(p)).
func fillPattern(out, p []byte) {
	if len(out) == 0 {
		return
	}
	n := copy(out, p)
	for n < len(out) {
		n += copy(out[n:], out[:n])
	}
}

// blockLayout is where a chunk's sections lie: what decodeBlocks needs to
// find a block's streams.
type blockLayout struct {
	h            *Header
	chunk        []byte
	nblocks      int
	streamsStart int    // first byte after bstarts and dictionary
	dict         []byte // nil without a dictionary
}

// block returns block i's decoded size, stream count and first byte.
func (l *blockLayout) block(i int) (bsize, nstreams, off int) {
	h := l.h
	bsize = h.BlockSize
	last := i == l.nblocks-1 && h.NBytes%h.BlockSize != 0
	if last {
		bsize = h.NBytes % h.BlockSize
	}
	nstreams = 1
	// Only whole blocks are split (C-Blosc2 3.x splits dictionary chunks
	// too when the flag says so).
	if h.Split && !last {
		nstreams = h.TypeSize
	}
	off = int(int32(binary.LittleEndian.Uint32(l.chunk[h.HeaderLen()+4*i:])))
	return bsize, nstreams, off
}

func (d *Decoder) decodeBlocks(l *blockLayout, dst []byte) ([]byte, error) {
	h := l.h
	// Check every block's streams before allocating anything sized by the
	// header: each must lie inside the chunk and be able to expand to its
	// share of the block.
	for i := 0; i < l.nblocks; i++ {
		if err := l.checkBlock(i); err != nil {
			return dst, err
		}
	}
	if err := d.codecs.prepare(h, l.dict); err != nil {
		return dst, err
	}
	d.steps = inverseFilters(h, d.steps[:0])
	start := len(dst)
	dst = slices.Grow(dst, h.NBytes)[:start+h.NBytes]
	out := dst[start:]
	for i := 0; i < l.nblocks; i++ {
		bsize, _, _ := l.block(i)
		if err := d.decodeBlock(l, i, out[i*h.BlockSize:i*h.BlockSize+bsize]); err != nil {
			return dst[:start], fmt.Errorf("%w (block %d of %d)", err, i, l.nblocks)
		}
	}
	return dst, nil
}

// layoutChunk finds the block-start table and the dictionary, as
// initialize_context_decompression does before any block is read.
func layoutChunk(h *Header, chunk []byte, maxDict int) (blockLayout, error) {
	l := blockLayout{h: h, chunk: chunk}
	bstartsEnd := h.HeaderLen()
	// Only compressed chunks have a bstarts table (an empty one has none).
	if h.Special == SpecialNone && !h.Memcpyed && h.NBytes > 0 {
		l.nblocks = h.NBlocks()
		bstartsEnd += 4 * l.nblocks
	}
	// initialize_context_decompression: srcsize < bstarts_end.
	if bstartsEnd > len(chunk) {
		return l, corruptf("block-start table for %d blocks does not fit in the %d-byte chunk", l.nblocks, len(chunk))
	}
	l.streamsStart = bstartsEnd
	if !h.UseDict || h.Special == SpecialNone && h.NBytes == 0 && h.CBytes == h.HeaderLen() {
		// initialize_context_decompression returns before the dictionary
		// for a header-only empty chunk.
		return l, nil
	}
	// initialize_context_decompression: the dictionary section (int32
	// size, then the bytes) follows bstarts in every chunk whose flags say
	// so, stored and special ones included; its size must be in
	// 1..BLOSC2_MAXDICTSIZE (error -9, BLOSC2_ERROR_CODEC_DICT) and fit.
	if bstartsEnd+4 > len(chunk) {
		return l, corruptf("chunk too short for its dictionary size")
	}
	dsize := int(int32(binary.LittleEndian.Uint32(chunk[bstartsEnd:])))
	if dsize <= 0 || dsize > maxDict {
		return l, corruptf("%w: %d bytes (C-Blosc2 accepts 1..%d)", ErrDictSize, dsize, MaxDictSize)
	}
	if dsize > len(chunk)-bstartsEnd-4 {
		return l, corruptf("%d-byte dictionary does not fit in the chunk", dsize)
	}
	l.dict = chunk[bstartsEnd+4 : bstartsEnd+4+dsize]
	l.streamsStart = bstartsEnd + 4 + dsize
	return l, nil
}

// Kinds of stream.
const (
	streamCodec = iota // csize > 0: compressed with the chunk's codec
	streamRaw          // csize == stream size: stored as is
	streamRun          // csize <= 0: every byte is the same value
)

type stream struct {
	kind  int
	data  []byte // streamCodec, streamRaw
	value byte   // streamRun
}

// nextStream reads the stream at chunk[pos:] of decoded size n and returns
// it with the position of the next one.
func nextStream(chunk []byte, pos, n int) (stream, int, error) {
	var field []byte
	if pos >= 0 && pos <= len(chunk) {
		field = chunk[pos:min(len(chunk), pos+streamFieldLen)]
	}
	s, csize, next, err := parseStream(field, pos, len(chunk))
	if err != nil || s.kind == streamRun {
		return s, next, err
	}
	s.data = chunk[pos+4 : pos+4+csize]
	if csize == n {
		s.kind = streamRaw
	}
	return s, next, nil
}

// streamFieldLen is how many bytes of a stream say its kind and size: the
// int32 csize and, for a run, the token byte.
const streamFieldLen = 5

// parseStream reads the size field of the stream at pos of a chunkLen-byte
// chunk; field holds the chunk's bytes from pos (streamFieldLen of them,
// fewer at its end). A codec stream's data is csize bytes after the field.
func parseStream(field []byte, pos, chunkLen int) (s stream, csize, next int, err error) {
	if pos < 0 || pos > chunkLen-4 || len(field) < 4 {
		return s, 0, 0, corruptf("stream size field outside the chunk")
	}
	csize = int(int32(binary.LittleEndian.Uint32(field)))
	pos += 4
	switch {
	case csize == 0:
		return stream{kind: streamRun}, 0, pos, nil
	case csize < 0:
		if pos >= chunkLen || len(field) < 5 {
			return s, 0, 0, corruptf("run-length token outside the chunk")
		}
		token := field[4]
		if token&1 == 0 || csize < -255 {
			return s, 0, 0, corruptf("invalid run-length stream (csize %d, token %#x)", csize, token)
		}
		return stream{kind: streamRun, value: byte(-csize)}, 0, pos + 1, nil
	}
	if csize > chunkLen-pos {
		return s, 0, 0, corruptf("%d-byte stream extends past the chunk", csize)
	}
	return stream{kind: streamCodec}, csize, pos + csize, nil
}

// checkBlock validates block i's streams without decoding them.
func (l *blockLayout) checkBlock(i int) error {
	bsize, nstreams, off := l.block(i)
	if off < l.streamsStart || off >= len(l.chunk) {
		return corruptf("block %d starts at %d, outside the streams section [%d, %d)", i, off, l.streamsStart, len(l.chunk))
	}
	if err := checkStreams(l.h, l.chunk, off, nstreams, bsize); err != nil {
		return fmt.Errorf("%w (block %d)", err, i)
	}
	return nil
}

// checkStreams validates the nstreams streams of a bsize-byte block starting
// at src[pos:]: each lies inside src and can expand to its share.
func checkStreams(h *Header, src []byte, pos, nstreams, bsize int) error {
	if bsize%nstreams != 0 {
		return corruptf("a block of %d bytes cannot be split into %d streams", bsize, nstreams)
	}
	n := bsize / nstreams
	for j := 0; j < nstreams; j++ {
		s, next, err := nextStream(src, pos, n)
		if err == nil && s.kind == streamCodec {
			err = checkExpansion(h, len(s.data), n)
		}
		if err != nil {
			return fmt.Errorf("%w (stream %d)", err, j)
		}
		pos = next
	}
	return nil
}

// checkExpansion refuses a csize-byte codec stream that cannot decode to n bytes.
func checkExpansion(h *Header, csize, n int) error {
	if n > maxRatio(h.Codec)*csize+ratioSlack {
		return corruptf("%d-byte %v stream cannot expand to %d bytes", csize, h.Codec, n)
	}
	return nil
}

func maxRatio(c Codec) int {
	switch c {
	case Zlib:
		return zlibMaxRatio
	case Zstd:
		return zstdMaxRatio
	}
	return lzMaxRatio
}

// decodeBlock decodes block i into out (len(out) is the block's size).
func (d *Decoder) decodeBlock(l *blockLayout, i int, out []byte) error {
	_, nstreams, off := l.block(i)
	return d.decodeStreams(l.h, l.dict, l.chunk, off, nstreams, out)
}

// decodeStreams decodes the nstreams streams starting at src[pos:] into out
// (one block, len(out) bytes) and undoes the filters.
func (d *Decoder) decodeStreams(h *Header, dict, src []byte, pos, nstreams int, out []byte) error {
	target := out
	if len(d.steps) > 0 {
		d.tmp = growScratch(d.tmp, len(out))
		target = d.tmp[:len(out)]
	}
	n := len(out) / nstreams
	for j := 0; j < nstreams; j++ {
		s, next, err := nextStream(src, pos, n)
		if err != nil {
			return err
		}
		part := target[j*n : (j+1)*n]
		switch s.kind {
		case streamRun:
			fillByte(part, s.value)
		case streamRaw:
			copy(part, s.data)
		default:
			if err := d.codecs.decode(h.Codec, part, s.data, dict); err != nil {
				return fmt.Errorf("%w (stream %d)", err, j)
			}
		}
		pos = next
	}
	if len(d.steps) > 0 {
		d.applyInverse(h, out)
	}
	return nil
}

func fillByte(b []byte, v byte) {
	if v == 0 {
		clear(b)
		return
	}
	for i := range b {
		b[i] = v
	}
}

// Inverse filter steps.
const (
	stepUnshuffle = iota
	stepBitUnshuffle
)

// inverseFilters lists the steps that undo the chunk's filter pipeline, in
// the order they must run (last forward filter first). A byte shuffle with
// meta m was applied m+1 times. The steps are appended to steps.
func inverseFilters(h *Header, steps []int) []int {
	if !h.Extended {
		switch h.Shuffle {
		case ByteShuffle:
			steps = append(steps, stepUnshuffle)
		case BitShuffle:
			steps = append(steps, stepBitUnshuffle)
		}
		return steps
	}
	for i := len(h.Filters) - 1; i >= 0; i-- {
		switch h.Filters[i] {
		case filterShuffle:
			for k := 0; k <= int(h.FilterMeta[i]); k++ {
				steps = append(steps, stepUnshuffle)
			}
		case filterBitShuffle:
			steps = append(steps, stepBitUnshuffle)
		}
	}
	return steps
}

// applyInverse runs the inverse filters on the block decoded into d.tmp and
// leaves the result in out.
func (d *Decoder) applyInverse(h *Header, out []byte) {
	n := len(out)
	if len(d.steps) > 1 {
		d.tmp2 = growScratch(d.tmp2, n)
	}
	scratch := [2][]byte{d.tmp[:n], d.tmp2[:min(n, cap(d.tmp2))]}
	src := scratch[0]
	for k, step := range d.steps {
		dst := out
		if k < len(d.steps)-1 {
			dst = scratch[(k+1)%2] // intermediate results ping-pong
		}
		switch step {
		case stepUnshuffle:
			unshuffleBytes(dst, src, h.TypeSize)
		case stepBitUnshuffle:
			d.bitUnshuffleBlock(dst, src, h.TypeSize, h.Version)
		}
		src = dst
	}
}

// bitUnshuffleBlock applies the bit unshuffle rules of the chunk's format
// version: C-Blosc 1.x (version 2) stored a block whose element count is
// not a multiple of 8 unshuffled.
func (d *Decoder) bitUnshuffleBlock(dst, src []byte, typesize, version int) {
	if version == 2 && (len(src)/typesize)%8 != 0 {
		copy(dst, src)
		return
	}
	d.planes = growScratch(d.planes, len(src))
	bitUnshuffleScratch(dst, src, d.planes, typesize)
}

func growScratch(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

func (d *Decoder) dropLargeScratch() {
	if cap(d.tmp) > maxKeptScratch {
		d.tmp = nil
	}
	if cap(d.tmp2) > maxKeptScratch {
		d.tmp2 = nil
	}
	if cap(d.planes) > maxKeptScratch {
		d.planes = nil
	}
}
