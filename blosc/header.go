package blosc

// Parsing and validation of the C-Blosc/C-Blosc2 chunk header
// (README_CHUNK_FORMAT.rst in c-blosc2).

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Header sizes and limits from C-Blosc2.
const (
	minHeaderLen      = 16
	extendedHeaderLen = 32

	// MaxHeaderLen is the longest chunk header (the extended one): reading
	// this many bytes of a chunk is enough for ParseHeader.
	MaxHeaderLen     = extendedHeaderLen
	maxBlockSize     = 536866816 // BLOSC2_MAXBLOCKSIZE
	maxDictSize      = 128 * 1024
	maxFormatVersion = 5 // newest chunk format this package reads
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
	b2flagDict = 0x01
	b2flagLazy = 0x08
)

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
)

// Header is a parsed chunk header.
type Header struct {
	Version, VersionLZ, Flags, TypeSize int
	NBytes, BlockSize, CBytes           int
	Codec                               Codec
	Shuffle                             Shuffle
	Memcpyed, Split                     bool

	Extended    bool    // 32-byte header (C-Blosc2); false for C-Blosc 1.x chunks
	Blosc2Flags int     // byte 31 of the extended header; 0 otherwise
	Special     Special // special-value chunk kind
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
var ErrShortHeader = errors.New("blosc: chunk shorter than its header")

// ParseHeader parses and validates the fixed header of chunk: 16 bytes for
// C-Blosc 1.x chunks, 32 for C-Blosc2 (extended) ones. It does not look past
// the header, so it is cheap and safe on untrusted data.
func ParseHeader(chunk []byte) (Header, error) {
	var h Header
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

	if h.Version == 0 || h.Version > maxFormatVersion {
		return h, fmt.Errorf("blosc: unsupported chunk format version %d (this reader handles 1-%d; "+
			"version 6 variable-length-block chunks are not supported)", h.Version, maxFormatVersion)
	}
	if h.TypeSize == 0 {
		return h, errors.New("blosc: typesize 0 in chunk header")
	}
	if nbytes < 0 || cbytes < 0 || blocksize < 0 {
		return h, fmt.Errorf("blosc: negative size in chunk header (nbytes %d, blocksize %d, cbytes %d)", nbytes, blocksize, cbytes)
	}
	h.Extended = h.Flags&flagShuffle != 0 && h.Flags&flagBitShuffle != 0
	if h.CBytes < h.HeaderLen() {
		return h, fmt.Errorf("blosc: cbytes %d smaller than the %d-byte header", h.CBytes, h.HeaderLen())
	}
	if h.Extended && len(chunk) < extendedHeaderLen {
		return h, ErrShortHeader
	}
	if h.NBytes > 0 && (h.BlockSize == 0 || h.BlockSize > h.NBytes) {
		return h, fmt.Errorf("blosc: blocksize %d invalid for nbytes %d", h.BlockSize, h.NBytes)
	}
	if h.BlockSize > maxBlockSize {
		return h, fmt.Errorf("blosc: blocksize %d exceeds the C-Blosc2 maximum %d", h.BlockSize, maxBlockSize)
	}
	h.Memcpyed = h.Flags&flagMemcpyed != 0
	h.Split = h.Flags&flagDontSplit == 0

	if h.Extended {
		return h, parseExtended(&h, chunk)
	}
	if h.Flags&flagDelta != 0 && !h.Memcpyed {
		return h, errors.New("blosc: delta filter is not supported")
	}
	switch {
	case h.Flags&flagBitShuffle != 0:
		h.Shuffle = BitShuffle
	case h.Flags&flagShuffle != 0 && h.TypeSize > 1:
		h.Shuffle = ByteShuffle
	}
	return h, setCodec(&h, -1)
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
	if h.Version == 3 { // the alpha format did not clear the last slot
		h.Filters[5], h.FilterMeta[5] = 0, 0
	}
	h.Special = Special(h.Blosc2Flags >> 4 & 0x07)
	h.UseDict = h.Blosc2Flags&b2flagDict != 0
	if h.Blosc2Flags&b2flagLazy != 0 && h.Special == SpecialNone {
		return errors.New("blosc: lazy chunk (data kept in a frame on disk) cannot be decoded on its own")
	}
	if h.Special > SpecialUninit {
		return fmt.Errorf("blosc: unknown special-value kind %d", h.Special)
	}
	if h.Special != SpecialNone {
		if h.NBytes%h.TypeSize != 0 {
			return fmt.Errorf("blosc: special chunk nbytes %d not a multiple of typesize %d", h.NBytes, h.TypeSize)
		}
		if h.Special == SpecialValue && h.CBytes < extendedHeaderLen+h.TypeSize {
			return fmt.Errorf("blosc: repeated-value chunk cbytes %d too small for its %d-byte value", h.CBytes, h.TypeSize)
		}
		if h.Special == SpecialNaN && h.TypeSize != 4 && h.TypeSize != 8 {
			return fmt.Errorf("blosc: NaN chunk with typesize %d (want 4 or 8)", h.TypeSize)
		}
	}
	for i, f := range h.Filters {
		switch f {
		case filterNone, filterTruncPrec: // trunc-prec needs no inverse
		case filterShuffle:
			h.Shuffle = ByteShuffle
		case filterBitShuffle:
			h.Shuffle = BitShuffle
		default:
			if h.Memcpyed || h.Special != SpecialNone {
				continue // stored as is: the pipeline is not applied
			}
			if f == filterDelta {
				return errors.New("blosc: delta filter is not supported")
			}
			return fmt.Errorf("blosc: unsupported filter %d in pipeline slot %d", f, i)
		}
	}
	return setCodec(h, int(chunk[22]))
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
	case 6:
		return 0, fmt.Errorf("blosc: user-defined codec %d is not supported", udcode)
	}
	return 0, fmt.Errorf("blosc: unknown compressor format %d in chunk header", format)
}
