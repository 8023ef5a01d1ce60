package blosc

// The chunk encoder: writes one C-Blosc2 chunk (format version 5, 32-byte
// extended header) as blosc2_compress_ctx does, so that C-Blosc2 and
// python-blosc2 read it back and its header matches what C would write.

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// MaxInputLen is the largest input one chunk may hold (C-Blosc2's limit as
// HDF5Vault uses it).
const MaxInputLen = 2147483600

// Chunk layout constants of the format-version-5 header.
const (
	chunkFormatVersion = 5
	codecFormatVersion = 1   // byte 1: the same for every codec we write
	minCompressLen     = 32  // C's BLOSC_MIN_BUFFERSIZE: smaller inputs are stored
	maxThreads         = 256 // more goroutines per chunk cannot help
)

// codecFormat is the codec's code in bits 5-7 of the flags byte.
func codecFormat(c Codec) byte {
	switch c {
	case LZ4, LZ4HC:
		return 1
	case Zlib:
		return 3
	case Zstd:
		return 4
	}
	return 0
}

// An Encoder writes C-Blosc2 chunks with fixed options. It keeps scratch
// buffers and codec contexts between calls, so it is NOT safe for
// concurrent use: use one Encoder per goroutine.
type Encoder struct {
	o       Options
	workers []*blockWorker // one per goroutine compressing blocks
	slots   []blockSlot    // finished blocks awaiting their turn (Threads > 1)
	jobs    chan int       // block numbers handed to workers (Threads > 1)
}

// NewEncoder validates o and builds the codec state it needs.
func NewEncoder(o Options) (*Encoder, error) {
	if err := validateOptions(&o); err != nil {
		return nil, err
	}
	o.Threads = min(max(o.Threads, 1), maxThreads)
	e := &Encoder{o: o}
	for range o.Threads {
		c, err := newStreamCoder(&o)
		if err != nil {
			return nil, err
		}
		e.workers = append(e.workers, &blockWorker{coder: c})
	}
	if o.Threads > 1 {
		e.slots = make([]blockSlot, 2*o.Threads)
		for i := range e.slots {
			e.slots[i].ready = make(chan struct{}, 1)
		}
		e.jobs = make(chan int, len(e.slots)+o.Threads)
	}
	return e, nil
}

func validateOptions(o *Options) error {
	switch o.Codec {
	case Zstd, LZ4, LZ4HC, Zlib:
	default:
		return fmt.Errorf("blosc: encoding with codec %v is not supported (want zstd, lz4, lz4hc or zlib)", o.Codec)
	}
	if o.Level < 0 || o.Level > 9 {
		return fmt.Errorf("blosc: compression level %d out of range 0-9", o.Level)
	}
	if o.TypeSize < 1 || o.TypeSize > 255 {
		return fmt.Errorf("blosc: typesize %d out of range 1-255", o.TypeSize)
	}
	if o.Shuffle > BitShuffle {
		return fmt.Errorf("blosc: unknown shuffle %d", o.Shuffle)
	}
	switch o.SplitMode {
	case AutoSplit, AlwaysSplit, NeverSplit, ForwardCompatSplit:
	default:
		return fmt.Errorf("blosc: unknown split mode %d", o.SplitMode)
	}
	if o.BlockSize < 0 || o.BlockSize > maxUserBlockSize {
		return fmt.Errorf("blosc: block size %d out of range 0-%d", o.BlockSize, maxUserBlockSize)
	}
	if o.UseDict && o.Codec != Zstd {
		return fmt.Errorf("blosc: dictionaries (UseDict) are supported with zstd only, not %v", o.Codec)
	}
	return nil
}

// EncodeAll appends one chunk holding src to dst and returns the extended
// slice. With cap(dst)-len(dst) >= MaxEncodedLen(len(src)) it allocates
// nothing (with Threads 1 and no UseDict; Threads > 1 costs a few small
// allocations per call for its goroutines, UseDict the training).
//
// Like python-blosc2's compress2, it gives C's algorithm an output budget
// of len(src)+MaxOverhead bytes: a chunk that would not fit becomes a
// memcpy chunk, so the result never exceeds MaxEncodedLen(len(src)).
func (e *Encoder) EncodeAll(src, dst []byte) ([]byte, error) {
	return e.encode(src, dst, MaxEncodedLen(len(src)))
}

// chunkPlan is the layout C chooses for one input.
type chunkPlan struct {
	nbytes, blocksize, nblocks int
	split                      bool
	flags                      byte
}

// encode writes the chunk given C's destsize budget (bytes of output
// allowed); tests use a larger budget to reproduce C called with a bigger
// buffer.
func (e *Encoder) encode(src, dst []byte, destsize int) ([]byte, error) {
	n := len(src)
	if err := checkInputLen(n); err != nil {
		return dst, err
	}
	base := len(dst)
	dst = slices.Grow(dst, destsize)
	p := e.plan(n)
	if e.o.Level == 0 || n < minCompressLen {
		// C stores these as they are, without codec or split bits.
		return e.appendMemcpy(dst, src, &p, flagShuffle|flagBitShuffle|flagMemcpyed), nil
	}
	dst = e.appendHeader(dst, &p, p.flags)
	var dict []byte
	if e.o.UseDict {
		dict = e.trainDict(src, dst[len(dst):cap(dst)], &p)
		if err := e.useDict(dict); err != nil {
			return dst[:base], err
		}
		if dict != nil {
			dst[base+31] |= b2flagUseDict
		}
	}
	out, zero, ok, err := e.compressBlocks(src, dst, base, base+destsize, &p, dict)
	if err != nil {
		return dst[:base], err
	}
	if !ok {
		// C's last resort: the same header with the memcpy bit set.
		return e.appendMemcpy(dst[:base], src, &p, p.flags|flagMemcpyed), nil
	}
	if zero && dict == nil && n%e.o.TypeSize == 0 {
		// Every stream was a run of zeros: C keeps only the header. C's
		// reader rejects special chunks whose nbytes is not a multiple of
		// the typesize, so those keep their (tiny) run-length streams.
		out = out[:base+extendedHeaderLen]
		out[base+31] |= byte(SpecialZero) << 4
	}
	binary.LittleEndian.PutUint32(out[base+12:], uint32(len(out)-base))
	return out, nil
}

func checkInputLen(n int) error {
	if n > MaxInputLen {
		return fmt.Errorf("blosc: input of %d bytes exceeds the chunk limit of %d bytes", n, MaxInputLen)
	}
	return nil
}

// plan computes block size, split and header flags for an n-byte input.
func (e *Encoder) plan(n int) chunkPlan {
	p := chunkPlan{nbytes: n, blocksize: computeBlockSize(&e.o, n)}
	p.nblocks = (n + p.blocksize - 1) / p.blocksize
	// A split block needs at least one byte per stream; C would write empty
	// streams (and lose the data) for AlwaysSplit with blocks < typesize.
	p.split = splitBlock(&e.o, p.blocksize) && p.blocksize >= e.o.TypeSize
	p.flags = flagShuffle | flagBitShuffle | codecFormat(e.o.Codec)<<5
	if !p.split {
		p.flags |= flagDontSplit
	}
	return p
}

// appendHeader appends the 32-byte header; cbytes is filled in later.
func (e *Encoder) appendHeader(dst []byte, p *chunkPlan, flags byte) []byte {
	var h [extendedHeaderLen]byte
	h[0] = chunkFormatVersion
	h[1] = codecFormatVersion
	h[2] = flags
	h[3] = byte(e.o.TypeSize)
	binary.LittleEndian.PutUint32(h[4:], uint32(p.nbytes))
	binary.LittleEndian.PutUint32(h[8:], uint32(p.blocksize))
	h[16+5] = byte(e.o.Shuffle) // filter pipeline: the shuffle is the last filter
	h[22] = byte(e.o.Codec)     // the codec's full code
	return append(dst, h[:]...)
}

// appendMemcpy appends a memcpy chunk: the header, then src as is.
func (e *Encoder) appendMemcpy(dst, src []byte, p *chunkPlan, flags byte) []byte {
	base := len(dst)
	dst = e.appendHeader(dst, p, flags)
	dst = append(dst, src...)
	binary.LittleEndian.PutUint32(dst[base+12:], uint32(len(dst)-base))
	return dst
}
