package blosc

import "fmt"

// Codec is a C-Blosc compressor code, as stored in the chunk header.
type Codec uint8

const (
	BloscLZ Codec = 0
	LZ4     Codec = 1
	LZ4HC   Codec = 2
	Zlib    Codec = 4
	Zstd    Codec = 5
)

func (c Codec) String() string {
	switch c {
	case BloscLZ:
		return "blosclz"
	case LZ4:
		return "lz4"
	case LZ4HC:
		return "lz4hc"
	case Zlib:
		return "zlib"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// ParseCodec maps a codec name (as on the command line) to its code.
func ParseCodec(s string) (Codec, error) {
	for _, c := range []Codec{BloscLZ, LZ4, LZ4HC, Zlib, Zstd} {
		if c.String() == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown codec %q (want zstd, lz4, lz4hc or zlib)", s)
}

// Shuffle is the filter applied before compression.
type Shuffle uint8

const (
	NoShuffle   Shuffle = 0
	ByteShuffle Shuffle = 1
	BitShuffle  Shuffle = 2
)

// SplitMode says whether blocks are split into typesize streams (C's values).
type SplitMode uint8

const (
	AutoSplit          SplitMode = 0 // zero value: C-Blosc2's BLOSC_AUTO_SPLIT rules
	AlwaysSplit        SplitMode = 1
	NeverSplit         SplitMode = 2
	ForwardCompatSplit SplitMode = 4
)

// Options configure an Encoder. The zero value is not useful: start from DefaultOptions.
type Options struct {
	Codec     Codec
	Level     int // 0-9; 0 stores (memcpy chunk)
	TypeSize  int // 1-255
	Shuffle   Shuffle
	SplitMode SplitMode
	BlockSize int  // 0: C-Blosc2's automatic choice
	Threads   int  // goroutines compressing the blocks of one chunk; <= 1: the caller's
	UseDict   bool // zstd only: train a dictionary on the chunk's blocks and embed it (C-Blosc2's use_dict)
}

// DefaultOptions are the original HDF5Vault's settings: zstd, clevel 8,
// typesize 8, byte shuffle, automatic split and block size.
func DefaultOptions() Options {
	return Options{Codec: Zstd, Level: 8, TypeSize: 8, Shuffle: ByteShuffle, SplitMode: AutoSplit, Threads: 1}
}

// MaxOverhead is the largest number of bytes a chunk adds to its input
// (a memcpy chunk: the extended header).
const MaxOverhead = 32

// MaxEncodedLen bounds the chunk size for n input bytes.
func MaxEncodedLen(n int) int { return n + MaxOverhead }
