package blosc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// Chunks C-Blosc2's decoder refuses in initialize_context_decompression
// (the dictionary section, bstarts) are refused here too, as ErrCorrupt.
func TestDecodeRefusesWhatCRefuses(t *testing.T) {
	zlibHdr := craftHeader{version: 5, flags: extFlags | flagDontSplit | 3<<5, typesize: 1, nbytes: 64,
		blocksize: 64, extended: true, udcode: byte(Zlib), blosc2Flag: b2flagDict}
	withDictSize := func(size int32, room int) []byte {
		c := craftChunk(zlibHdr, make([]byte, room), zeroRunStream())
		binary.LittleEndian.PutUint32(c[36:], uint32(size))
		return c
	}
	zeros := craftChunk(craftHeader{version: 5, flags: extFlags, typesize: 8, nbytes: 64, blocksize: 64,
		extended: true, blosc2Flag: byte(SpecialZero)<<4 | b2flagDict}, nil)
	memcpyDict := craftChunk(craftHeader{version: 5, flags: extFlags | flagMemcpyed, typesize: 1, nbytes: 8,
		blocksize: 8, extended: true, blosc2Flag: b2flagDict}, nil)
	memcpyDict = append(memcpyDict[:32], 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4)
	binary.LittleEndian.PutUint32(memcpyDict[12:], 40)
	// A zstd dictionary (magic, ID) whose entropy tables are garbage.
	badZstdDict := cat([]byte{0x37, 0xa4, 0x30, 0xec, 1, 0, 1, 0}, bytes.Repeat([]byte{0xFF}, 64))
	zstdHdr := zlibHdr
	zstdHdr.flags, zstdHdr.udcode = extFlags|flagDontSplit|4<<5, byte(Zstd)
	// C's own -d chunk with its dictionary size patched past the maximum.
	cDict := bytes.Clone(readDecVector(t, filepath.Join("chunks", "micro3m__zstd_c8_t8_shuffle_auto_dict.b2")))
	h, err := ParseHeader(cDict)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(cDict[h.HeaderLen()+4*h.NBlocks():], MaxDictSize+1)

	cases := []struct {
		name, want string
		chunk      []byte
	}{
		{"dictionary size 0", "bounds: 0 bytes", withDictSize(0, 8)},
		{"dictionary size -1", "bounds: -1 bytes", withDictSize(-1, 8)},
		{"dictionary over BLOSC2_MAXDICTSIZE", "bounds: 32769 bytes", withDictSize(MaxDictSize+1, MaxDictSize+1)},
		{"C chunk, dictionary over the maximum", "bounds: 32769 bytes", cDict},
		{"dictionary past the chunk", "does not fit", withDictSize(100, 8)},
		{"special zeros with a dictionary flag", "too short for its dictionary size", zeros},
		{"memcpy chunk with a dictionary flag", "bounds: 2147483647 bytes", memcpyDict},
		{"zstd dictionary with bad tables", "zstd dictionary", craftChunk(zstdHdr, badZstdDict, zeroRunStream())},
		{"empty chunk, zstd dictionary with bad tables", "zstd dictionary", craftChunk(craftHeader{version: 5,
			flags: extFlags | 4<<5, typesize: 8, blocksize: 1, extended: true, udcode: byte(Zstd), blosc2Flag: b2flagDict}, badZstdDict)},
		{"bstarts past the chunk", "block-start table", craftChunk(craftHeader{version: 5, flags: extFlags | 4<<5,
			typesize: 1, nbytes: 1 << 20, blocksize: 1024, extended: true, udcode: byte(Zstd)}, nil)},
	}
	for _, tc := range cases {
		_, err := NewDecoder().DecodeAll(tc.chunk, nil)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrCorrupt containing %q", tc.name, err, tc.want)
		}
	}
}

// Chunks C-Blosc2 decodes that an over-strict reader would refuse: each
// decodes here to what C produces.
func TestDecodeAcceptsWhatCAccepts(t *testing.T) {
	value := craftChunk(craftHeader{version: 5, flags: extFlags, typesize: 8, nbytes: 30000, blocksize: 30000,
		extended: true, blosc2Flag: byte(SpecialValue) << 4}, nil)
	value = append(value[:32], 0x34, 0x12)
	binary.LittleEndian.PutUint32(value[12:], 34)
	memcpyDict := craftChunk(craftHeader{version: 5, flags: extFlags | flagMemcpyed, typesize: 1, nbytes: 8,
		blocksize: 8, extended: true, blosc2Flag: b2flagDict}, nil)
	memcpyDict = append(memcpyDict[:32], 4, 0, 0, 0, 'a', 'b', 'c', 'd')
	binary.LittleEndian.PutUint32(memcpyDict[12:], 40)

	cases := []struct {
		name  string
		chunk []byte
		want  []byte
	}{
		// read_chunk_header clamps a block larger than the buffer.
		{"blocksize > nbytes", craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | 4<<5, typesize: 8,
			nbytes: 64, blocksize: 65, extended: true, udcode: byte(Zstd)}, nil, zeroRunStream()), make([]byte, 64)},
		// Zeros need not be whole elements (other special kinds must be).
		{"zeros of a partial element", craftChunk(craftHeader{version: 5, flags: extFlags, typesize: 8, nbytes: 100,
			blocksize: 100, extended: true, blosc2Flag: byte(SpecialZero) << 4}, nil), make([]byte, 100)},
		// A repeated value's size is cbytes - 32, not the typesize.
		{"2-byte value, typesize 8", value, bytes.Repeat([]byte{0x34, 0x12}, 15000)},
		// blosc_d gives dictionaries to zstd and lz4 only.
		{"zlib with a dictionary", craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | 3<<5, typesize: 1,
			nbytes: 64, blocksize: 64, extended: true, udcode: byte(Zlib), blosc2Flag: b2flagDict}, []byte{1, 2, 3, 4},
			byteRunStream(7)), bytes.Repeat([]byte{7}, 64)},
		// A stored chunk is copied whole, after C has read a dictionary
		// size from its first bytes.
		{"memcpy with a dictionary flag", memcpyDict, []byte{4, 0, 0, 0, 'a', 'b', 'c', 'd'}},
	}
	for _, tc := range cases {
		got, err := NewDecoder().DecodeAll(tc.chunk, nil)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: err %v, output equal %v", tc.name, err, bytes.Equal(got, tc.want))
		}
	}
}

// A -d chunk as create wrote it before keeping to C's limit (a dictionary
// over 32,768 bytes) is refused by default, naming ErrDictSize, and
// restored with LegacyDicts.
func TestLegacyDicts(t *testing.T) {
	src := testInput(rand.New(rand.NewPCG(13, 14)), "compressible", 4096)
	dict := bytes.Repeat(src[:1000], 40) // 40,000 bytes, as large as the old trainer's output could be
	old := craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | 4<<5, typesize: 8, nbytes: len(src),
		blocksize: len(src), extended: true, udcode: byte(Zstd), blosc2Flag: b2flagDict}, dict, csizeStream(src))
	if _, err := NewDecoder().DecodeAll(old, nil); !errors.Is(err, ErrDictSize) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("default decoder: got %v, want ErrDictSize and ErrCorrupt", err)
	}
	got, err := (&Decoder{LegacyDicts: true}).DecodeAll(old, nil)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("LegacyDicts: err %v, output equal %v", err, bytes.Equal(got, src))
	}
}
