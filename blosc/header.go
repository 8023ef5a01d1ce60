package blosc

// Parsing and validation of the C-Blosc/C-Blosc2 chunk header
// (README_CHUNK_FORMAT.rst in c-blosc2).

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Header sizes and limits from C-Blosc2 (include/blosc2.h).
const (
	minHeaderLen      = 16 // BLOSC_MIN_HEADER_LENGTH
	extendedHeaderLen = 32 // BLOSC_EXTENDED_HEADER_LENGTH

	// MaxHeaderLen is the longest chunk header (the extended one): reading
	// this many bytes of a chunk is enough for ParseHeader.
	MaxHeaderLen     = extendedHeaderLen
	maxBlockSize     = 536866816    // BLOSC2_MAXBLOCKSIZE
	maxTypeSize      = maxBlockSize // BLOSC2_MAXTYPESIZE (a repeated value's size)
	maxFormatVersion = 5            // newest chunk format this package reads
)

// Bits of the flags byte (offset 2).
const (
	flagShuffle    = 0x01
	flagMemcpyed   = 0x02
	flagBitShuffle = 0x04
	flagDelta      = 0x08
	flagDontSplit  = 0x10
)

// Bits of the blosc2 flags byte (offset 31 of the extended header).
const (
	b2flagDict  = 0x01 // BLOSC2_USEDICT
	b2flagLazy  = 0x08 // data kept in a frame on disk
	b2flagInstr = 0x80 // BLOSC2_INSTR_CODEC: streams hold timing records
)

// Bits of the second blosc2 flags byte (offset 30).
const b2flags2VLBlocks = 0x01 // BLOSC2_VL_BLOCKS

// Special is the kind of a special-value chunk (bits 4-6 of the blosc2
// flags): its content comes from the header alone.
type Special uint8

const (
	SpecialNone   Special = 0
	SpecialZero   Special = 1
	SpecialNaN    Special = 2
	SpecialValue  Special = 3 // a typesize-byte value follows the header
	SpecialUninit Special = 4
)

func (s Special) String() string {
	switch s {
	case SpecialNone:
		return "none"
	case SpecialZero:
		return "zeros"
	case SpecialNaN:
		return "nan"
	case SpecialValue:
		return "repeated value"
	case SpecialUninit:
		return "uninitialized"
	}
	return fmt.Sprintf("special(%d)", uint8(s))
}

// Filter codes of the extended header's filter pipeline.
const (
	filterNone       = 0
	filterShuffle    = 1
	filterBitShuffle = 2
	filterDelta      = 3
	filterTruncPrec  = 4
	// Codes up to 31 are reserved for C-Blosc2's own filters; 32 and up
	// are plugins (BLOSC2_DEFINED_FILTERS_STOP, _REGISTERED_FILTERS_START).
	filterDefinedStop = 31
)

// Header is a parsed chunk header.
type Header struct {
	Version, VersionLZ, Flags, TypeSize int
	NBytes, BlockSize, CBytes           int // BlockSize clamped to NBytes, as C does
	Codec                               Codec
	Shuffle                             Shuffle
	Memcpyed, Split                     bool

	Extended    bool    // 32-byte header (C-Blosc2); false for C-Blosc 1.x chunks
	Blosc2Flags int     // byte 31 of the extended header; 0 otherwise
	Special     Special // special-value chunk kind
	ValueSize   int     // SpecialValue: bytes of the repeated value (C takes it from cbytes, not typesize)
	UseDict     bool    // a dictionary follows the bstarts table
	Filters     [6]byte // filter pipeline (extended header), applied in index order
	FilterMeta  [6]byte
}

// HeaderLen is the size of the fixed header: 16 or 32 bytes.
func (h *Header) HeaderLen() int {
	if h.Extended {
		return extendedHeaderLen
	}
	return minHeaderLen
}

// NBlocks is the number of blocks, counting a final partial one.
func (h *Header) NBlocks() int {
	if h.NBytes == 0 {
		return 0
	}
	return (h.NBytes + h.BlockSize - 1) / h.BlockSize
}

// ErrShortHeader means the chunk is too short to hold its header.
var ErrShortHeader error = &chunkError{ErrCorrupt, errors.New("chunk shorter than its header")}

// ParseHeader parses and validates the fixed header of chunk: 16 bytes for
// C-Blosc 1.x chunks, 32 for C-Blosc2 (extended) ones. It does not look past
// the header, so it is cheap and safe on untrusted data.
//
// It refuses every header C-Blosc2 3.3's decoder refuses (each check names
// the C function that makes it, in blosc/blosc2.c), plus a few C accepts
// but never writes (marked "ours"). Errors wrap ErrCorrupt or
// ErrUnsupported.
func ParseHeader(chunk []byte) (Header, error) {
	var h Header
	// read_chunk_header: srcsize < BLOSC_MIN_HEADER_LENGTH.
	if len(chunk) < minHeaderLen {
		return h, ErrShortHeader
	}
	h.Version = int(chunk[0])
	h.VersionLZ = int(chunk[1])
	h.Flags = int(chunk[2])
	h.TypeSize = int(chunk[3])
	nbytes := int32(binary.LittleEndian.Uint32(chunk[4:]))
	blocksize := int32(binary.LittleEndian.Uint32(chunk[8:]))
	cbytes := int32(binary.LittleEndian.Uint32(chunk[12:]))
	h.NBytes, h.BlockSize, h.CBytes = int(nbytes), int(blocksize), int(cbytes)
	h.Extended = h.Flags&flagShuffle != 0 && h.Flags&flagBitShuffle != 0
	h.Memcpyed = h.Flags&flagMemcpyed != 0
	h.Split = h.Flags&flagDontSplit == 0
	if err := checkFixed(&h); err != nil {
		return h, err
	}
	if h.Extended {
		// read_chunk_header: srcsize < BLOSC_EXTENDED_HEADER_LENGTH.
		if len(chunk) < extendedHeaderLen {
			return h, ErrShortHeader
		}
		return h, parseExtended(&h, chunk)
	}
	// read_chunk_header (flags_to_filters): the 16-byte header's delta bit
	// is the delta filter, which blosc_d applies unless the chunk is stored.
	if h.Flags&flagDelta != 0 && !h.Memcpyed {
		return h, unsupportedf("delta filter is not supported")
	}
	switch {
	case h.Flags&flagBitShuffle != 0:
		h.Shuffle = BitShuffle
	case h.Flags&flagShuffle != 0 && h.TypeSize > 1:
		h.Shuffle = ByteShuffle
	}
	return h, setCodec(&h, -1)
}

// checkFixed checks the fields of the first 16 bytes.
func checkFixed(h *Header) error {
	// Ours: C reads any version byte, but 0 was never written and 6 means
	// variable-length blocks (BLOSC2_VERSION_FORMAT_VL_BLOCKS).
	if h.Version == 0 {
		return corruptf("chunk format version 0")
	}
	if h.Version > maxFormatVersion {
		return unsupportedf("chunk format version %d (this reader handles 1-%d; "+
			"version 6 variable-length-block chunks are not supported)", h.Version, maxFormatVersion)
	}
	// read_chunk_header: cbytes < BLOSC_MIN_HEADER_LENGTH (which also
	// refuses a negative cbytes); for the extended header, cbytes <
	// BLOSC_EXTENDED_HEADER_LENGTH.
	if h.CBytes < h.HeaderLen() {
		return corruptf("cbytes %d smaller than the %d-byte header", h.CBytes, h.HeaderLen())
	}
	// read_chunk_header: blocksize <= 0, even for an empty chunk (C writes
	// blocksize 1 there).
	if h.BlockSize <= 0 {
		return corruptf("blocksize %d invalid (must be positive)", h.BlockSize)
	}
	// read_chunk_header: blocksize > BLOSC2_MAXBLOCKSIZE.
	if h.BlockSize > maxBlockSize {
		return corruptf("blocksize %d exceeds the C-Blosc2 maximum %d", h.BlockSize, maxBlockSize)
	}
	// read_chunk_header: typesize == 0.
	if h.TypeSize == 0 {
		return corruptf("typesize 0 in chunk header")
	}
	// Ours: C treats a negative nbytes as an empty buffer; it never writes one.
	if h.NBytes < 0 {
		return corruptf("negative nbytes %d in chunk header", h.NBytes)
	}
	// read_chunk_header: a block larger than the buffer is the whole buffer.
	if h.NBytes > 0 && h.BlockSize > h.NBytes {
		h.BlockSize = h.NBytes
	}
	// initialize_context_decompression: a memcpyed chunk (special or not)
	// must be exactly header + nbytes.
	if h.Memcpyed && h.CBytes != h.NBytes+h.HeaderLen() {
		return corruptf("memcpy chunk cbytes %d should be nbytes %d + header %d", h.CBytes, h.NBytes, h.HeaderLen())
	}
	return nil
}

// setCodec fills h.Codec. An unknown codec only matters when there are
// compressed streams to decode: memcpy and special-value chunks carry none.
func setCodec(h *Header, udcode int) error {
	c, err := codecFromFormat(h.Flags>>5, udcode)
	if err != nil && !h.Memcpyed && h.Special == SpecialNone {
		return err
	}
	h.Codec = c
	return nil
}

func parseExtended(h *Header, chunk []byte) error {
	copy(h.Filters[:], chunk[16:22])
	copy(h.FilterMeta[:], chunk[24:30])
	h.Blosc2Flags = int(chunk[31])
	// read_chunk_header: the alpha format did not clear the last slot.
	if h.Version == 3 {
		h.Filters[5], h.FilterMeta[5] = 0, 0
	}
	h.Special = Special(h.Blosc2Flags >> 4 & 0x07)
	h.UseDict = h.Blosc2Flags&b2flagDict != 0
	// read_chunk_header, initialize_context_decompression: BLOSC2_VL_BLOCKS
	// changes the meaning of blocksize and bstarts, whatever the version.
	if chunk[30]&b2flags2VLBlocks != 0 {
		return unsupportedf("variable-length blocks are not supported")
	}
	// blosc_d: an instrumented codec's streams are timing records, which C
	// returns instead of the data.
	if h.Blosc2Flags&b2flagInstr != 0 {
		return unsupportedf("instrumented-codec chunk (BLOSC2_INSTR_CODEC) holds no data")
	}
	// blosc_d: a lazy chunk's blocks live in a frame on disk; without its
	// super-chunk C refuses it. Special-value chunks are never lazy.
	if h.Blosc2Flags&b2flagLazy != 0 && (h.Special == SpecialNone || h.UseDict) {
		return unsupportedf("lazy chunk (data kept in a frame on disk) cannot be decoded on its own")
	}
	if err := checkSpecial(h); err != nil {
		return err
	}
	if err := checkFilters(h); err != nil {
		return err
	}
	return setCodec(h, int(chunk[22]))
}

// checkSpecial checks a special-value chunk's sizes, whose content comes
// from the header alone.
func checkSpecial(h *Header) error {
	switch h.Special {
	case SpecialNone:
		return nil
	case SpecialValue:
		// read_chunk_header: the value's size is cbytes minus the header;
		// it must be positive, at most BLOSC2_MAXTYPESIZE and nbytes, and
		// divide nbytes.
		h.ValueSize = h.CBytes - extendedHeaderLen
		if h.ValueSize <= 0 || h.ValueSize > maxTypeSize || h.ValueSize > h.NBytes || h.NBytes%h.ValueSize != 0 {
			return corruptf("repeated-value chunk: a %d-byte value (cbytes %d) cannot fill nbytes %d",
				h.ValueSize, h.CBytes, h.NBytes)
		}
		// blosc_d (set_values): each block is whole values.
		if h.BlockSize%h.ValueSize != 0 {
			return corruptf("repeated-value chunk: blocksize %d is not whole %d-byte values", h.BlockSize, h.ValueSize)
		}
	case SpecialNaN, SpecialUninit:
		// read_chunk_header: nbytes must be whole elements (zeros need not).
		if h.NBytes%h.TypeSize != 0 {
			return corruptf("special chunk nbytes %d not a multiple of typesize %d", h.NBytes, h.TypeSize)
		}
		// blosc_d (set_nans): NaNs are float32 or float64, a whole number
		// per block.
		if h.Special == SpecialNaN && h.NBytes > 0 {
			if h.TypeSize != 4 && h.TypeSize != 8 {
				return corruptf("NaN chunk with typesize %d (want 4 or 8)", h.TypeSize)
			}
			if h.BlockSize%h.TypeSize != 0 {
				return corruptf("NaN chunk: blocksize %d is not whole %d-byte elements", h.BlockSize, h.TypeSize)
			}
		}
	case SpecialZero:
	default:
		// initialize_context_decompression: special_type > BLOSC2_SPECIAL_LASTID.
		return corruptf("unknown special-value kind %d", h.Special)
	}
	return nil
}

// checkFilters mirrors pipeline_backward, which blosc_d runs on every
// block of a chunk that is neither stored (memcpy) nor special.
func checkFilters(h *Header) error {
	if h.Memcpyed || h.Special != SpecialNone {
		return nil // stored as is: the pipeline is not applied
	}
	for i, f := range h.Filters {
		switch {
		case f == filterNone, f == filterTruncPrec: // trunc-prec needs no inverse
		case f == filterShuffle:
			// C 3.x unshuffles meta-byte groups, 2.0-2.1x repeated the
			// shuffle meta+1 times, 2.2x ignored it: no single reading.
			if h.FilterMeta[i] != 0 {
				return unsupportedf("byte shuffle with filter meta %d in pipeline slot %d", h.FilterMeta[i], i)
			}
			h.Shuffle = ByteShuffle
		case f == filterBitShuffle:
			h.Shuffle = BitShuffle
		case f == filterDelta:
			return unsupportedf("delta filter is not supported")
		case f <= filterDefinedStop:
			// pipeline_backward: "Filter %d not handled during decompression".
			return corruptf("unknown filter %d in pipeline slot %d", f, i)
		default:
			// pipeline_backward: a plugin filter (C loads it if registered).
			return unsupportedf("plugin filter %d in pipeline slot %d is not supported", f, i)
		}
	}
	return nil
}

// codecFromFormat maps the 3-bit compressor format of the flags byte to a
// codec. udcode is the extended header's compcode byte (-1 without one):
// C-Blosc2 stores the exact codec there, which tells lz4hc from lz4.
func codecFromFormat(format, udcode int) (Codec, error) {
	switch format {
	case 0:
		return BloscLZ, nil
	case 1:
		if udcode == int(LZ4HC) {
			return LZ4HC, nil
		}
		return LZ4, nil
	case 3:
		return Zlib, nil
	case 4:
		return Zstd, nil
	case 2:
		// blosc_d: BLOSC_SNAPPY_FORMAT, dropped from C-Blosc2.
		return 0, unsupportedf("snappy codec is not supported")
	case 6:
		// blosc_d: BLOSC_UDCODEC_FORMAT, a plugin codec.
		return 0, unsupportedf("user-defined codec %d is not supported", udcode)
	}
	// blosc_d: formats 5 and 7 do not exist ("not compiled with support").
	return 0, corruptf("unknown compressor format %d in chunk header", format)
}
