package blosc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// craftHeader describes a chunk header for crafted test chunks.
type craftHeader struct {
	version            int
	flags              byte
	typesize           int
	nbytes, blocksize  int
	extended           bool
	filters            [6]byte
	udcode, blosc2Flag byte
}

// craftChunk lays out a chunk from the format description: header, bstarts,
// optional dictionary (size + bytes), then each block's encoded streams.
// cbytes is set to the final length.
func craftChunk(h craftHeader, dict []byte, blocks ...[]byte) []byte {
	hl := 16
	if h.extended {
		hl = 32
	}
	c := make([]byte, hl, 1024)
	c[0], c[1], c[2], c[3] = byte(h.version), 1, h.flags, byte(h.typesize)
	binary.LittleEndian.PutUint32(c[4:], uint32(h.nbytes))
	binary.LittleEndian.PutUint32(c[8:], uint32(h.blocksize))
	if h.extended {
		copy(c[16:22], h.filters[:])
		c[22] = h.udcode
		c[31] = h.blosc2Flag
	}
	c = append(c, make([]byte, 4*len(blocks))...)
	if dict != nil {
		c = binary.LittleEndian.AppendUint32(c, uint32(len(dict)))
		c = append(c, dict...)
	}
	for i, b := range blocks {
		binary.LittleEndian.PutUint32(c[hl+4*i:], uint32(len(c)))
		c = append(c, b...)
	}
	binary.LittleEndian.PutUint32(c[12:], uint32(len(c)))
	return c
}

// Stream encodings from README_CHUNK_FORMAT.rst.
func csizeStream(data []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(data))), data...)
}
func zeroRunStream() []byte { return binary.LittleEndian.AppendUint32(nil, 0) }
func byteRunStream(v byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(-int32(v))), 1)
}
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// extended header flags: both shuffle bits mark the 32-byte header.
const extFlags = flagShuffle | flagBitShuffle

func TestParseHeaderRejects(t *testing.T) {
	good := craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | 4<<5, typesize: 8,
		nbytes: 64, blocksize: 64, extended: true, udcode: byte(Zstd)}, nil, zeroRunStream())
	if _, err := ParseHeader(good); err != nil {
		t.Fatalf("baseline header rejected: %v", err)
	}
	mod := func(f func(c []byte)) []byte {
		c := bytes.Clone(good)
		f(c)
		return c
	}
	put := func(off int, v uint32) func(c []byte) {
		return func(c []byte) { binary.LittleEndian.PutUint32(c[off:], v) }
	}
	cases := []struct {
		name, want string
		kind       error
		chunk      []byte
	}{
		{"short", "shorter than its header", ErrCorrupt, good[:15]},
		{"short extended", "shorter than its header", ErrCorrupt, good[:31]},
		{"version 0", "format version 0", ErrCorrupt, mod(func(c []byte) { c[0] = 0 })},
		{"version 6", "version 6", ErrUnsupported, mod(func(c []byte) { c[0] = 6 })},
		{"typesize 0", "typesize 0", ErrCorrupt, mod(func(c []byte) { c[3] = 0 })},
		{"negative nbytes", "negative", ErrCorrupt, mod(put(4, 0x80000000))},
		{"cbytes below header", "smaller than the 32-byte header", ErrCorrupt, mod(put(12, 20))},
		{"blocksize 0", "blocksize 0 invalid", ErrCorrupt, mod(put(8, 0))},
		{"blocksize 0, empty", "blocksize 0 invalid", ErrCorrupt, mod(func(c []byte) { put(8, 0)(c); put(4, 0)(c) })},
		{"negative blocksize", "blocksize -1 invalid", ErrCorrupt, mod(put(8, 0xFFFFFFFF))},
		{"blocksize > C max", "exceeds the C-Blosc2 maximum", ErrCorrupt, mod(func(c []byte) {
			binary.LittleEndian.PutUint32(c[4:], 1<<30)
			binary.LittleEndian.PutUint32(c[8:], 1<<30)
		})},
		{"memcpy cbytes", "memcpy chunk cbytes", ErrCorrupt, mod(func(c []byte) { c[2] |= flagMemcpyed })},
		{"lazy", "lazy chunk", ErrUnsupported, mod(func(c []byte) { c[31] = b2flagLazy })},
		{"lazy special with dict", "lazy chunk", ErrUnsupported, mod(func(c []byte) { c[31] = 1<<4 | b2flagLazy | b2flagDict })},
		{"vl blocks", "variable-length blocks", ErrUnsupported, mod(func(c []byte) { c[30] = b2flags2VLBlocks })},
		{"instrumented codec", "INSTR_CODEC", ErrUnsupported, mod(func(c []byte) { c[31] = b2flagInstr })},
		{"special 5", "unknown special", ErrCorrupt, mod(func(c []byte) { c[31] = 5 << 4 })},
		{"nan typesize 2", "NaN chunk with typesize 2", ErrCorrupt, mod(func(c []byte) { c[31] = 2 << 4; c[3] = 2 })},
		{"nan blocksize", "NaN chunk: blocksize 62", ErrCorrupt, mod(func(c []byte) { c[31] = 2 << 4; c[3] = 4; put(8, 62)(c) })},
		{"nan nbytes % typesize", "not a multiple of typesize", ErrCorrupt, mod(func(c []byte) { c[31] = 2 << 4; c[3] = 3 })},
		{"uninit nbytes % typesize", "not a multiple of typesize", ErrCorrupt, mod(func(c []byte) { c[31] = 4 << 4; c[3] = 3 })},
		{"value without value", "a 0-byte value", ErrCorrupt, mod(func(c []byte) { c[31] = 3 << 4; c[12] = 32 })},
		{"value not dividing nbytes", "a 7-byte value", ErrCorrupt, mod(func(c []byte) { c[31] = 3 << 4; c[12] = 39 })},
		{"value larger than nbytes", "a 68-byte value", ErrCorrupt, mod(func(c []byte) { c[31] = 3 << 4; c[12] = 100 })},
		{"value blocksize", "blocksize 48 is not whole 32-byte values", ErrCorrupt, mod(func(c []byte) {
			c[31] = 3 << 4
			c[12] = 64
			put(8, 48)(c)
		})},
		{"shuffle meta", "filter meta 1", ErrUnsupported, mod(func(c []byte) { c[21] = filterShuffle; c[29] = 1 })},
		{"delta filter", "delta filter", ErrUnsupported, mod(func(c []byte) { c[16] = filterDelta })},
		{"undefined filter", "unknown filter 9", ErrCorrupt, mod(func(c []byte) { c[16] = 9 })},
		{"plugin filter", "plugin filter 35", ErrUnsupported, mod(func(c []byte) { c[16] = 35 })},
		{"user codec", "user-defined codec", ErrUnsupported, mod(func(c []byte) { c[2] = extFlags | 6<<5 })},
		{"snappy", "snappy", ErrUnsupported, mod(func(c []byte) { c[2] = extFlags | 2<<5 })},
		{"codec format 5", "unknown compressor format 5", ErrCorrupt, mod(func(c []byte) { c[2] = extFlags | 5<<5 })},
	}
	for _, tc := range cases {
		_, err := ParseHeader(tc.chunk)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.kind) {
			t.Errorf("%s: got error %v, want a %v containing %q", tc.name, err, tc.kind, tc.want)
		}
		// DecodeAll must refuse the same chunk without panicking.
		if _, err := NewDecoder().DecodeAll(tc.chunk, nil); !errors.Is(err, tc.kind) {
			t.Errorf("%s: DecodeAll: got %v, want a %v", tc.name, err, tc.kind)
		}
	}
}

func TestParseHeaderFields(t *testing.T) {
	c := craftChunk(craftHeader{version: 5, flags: extFlags | 1<<5, typesize: 4, nbytes: 100, blocksize: 64,
		extended: true, filters: [6]byte{0, 0, 0, 0, 0, filterBitShuffle}, udcode: byte(LZ4HC)}, nil)
	h, err := ParseHeader(c)
	if err != nil {
		t.Fatal(err)
	}
	if h.Codec != LZ4HC || h.Shuffle != BitShuffle || !h.Split || h.Memcpyed || !h.Extended ||
		h.NBlocks() != 2 || h.HeaderLen() != 32 || h.TypeSize != 4 || h.Version != 5 {
		t.Errorf("unexpected header %+v", h)
	}
	// C-Blosc 1.x: 16-byte header; byte shuffle at typesize 1 is no shuffle.
	c = craftChunk(craftHeader{version: 2, flags: flagShuffle | flagDontSplit | 3<<5, typesize: 1, nbytes: 10, blocksize: 10}, nil)
	if h, err = ParseHeader(c); err != nil {
		t.Fatal(err)
	}
	if h.Codec != Zlib || h.Shuffle != NoShuffle || h.Split || h.Extended || h.HeaderLen() != 16 {
		t.Errorf("unexpected blosc1 header %+v", h)
	}
}

func TestVersion6Refused(t *testing.T) {
	chunk := bytes.Clone(readDecVector(t, "chunks/micro300k__lz4_c5_t8_shuffle_always.b2"))
	chunk[0] = 6
	_, err := NewDecoder().DecodeAll(chunk, nil)
	if err == nil || !strings.Contains(err.Error(), "version 6") {
		t.Fatalf("version 6 chunk: got %v, want a clear refusal", err)
	}
}

func TestStoredSizeMustMatchCBytes(t *testing.T) {
	chunk := readDecVector(t, "chunks/micro300k__lz4_c5_t8_shuffle_always.b2")
	d := NewDecoder()
	for _, c := range [][]byte{append(bytes.Clone(chunk), 0), chunk[:len(chunk)-1]} {
		out, err := d.DecodeAll(c, []byte("x"))
		if err == nil || !strings.Contains(err.Error(), "disagrees with chunk header") {
			t.Errorf("len %d: got %v", len(c), err)
		}
		if string(out) != "x" {
			t.Errorf("dst changed on error: %q", out)
		}
	}
}

// Streams of every kind in one chunk, unsplit and split, laid out by hand.
func TestStreamKinds(t *testing.T) {
	plain := bytes.Repeat([]byte("abcdefgh"), 8) // 64 bytes
	lz := make([]byte, lz4.CompressBlockBound(len(plain)))
	n, err := lz4.CompressBlock(plain, lz, nil)
	if err != nil || n == 0 {
		t.Fatalf("lz4 compress: %d %v", n, err)
	}
	lz = lz[:n]
	// Four unsplit 64-byte blocks plus a 10-byte leftover: zeros, a run of
	// 0xAB, raw (csize == block size), lz4, and a raw leftover.
	left := []byte("0123456789")
	c := craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | 1<<5, typesize: 1,
		nbytes: 4*64 + 10, blocksize: 64, extended: true, udcode: byte(LZ4)}, nil,
		zeroRunStream(), byteRunStream(0xAB), csizeStream(plain), csizeStream(lz), csizeStream(left))
	want := cat(make([]byte, 64), bytes.Repeat([]byte{0xAB}, 64), plain, plain, left)
	got, err := NewDecoder().DecodeAll(c, nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("unsplit: err %v, got %q", err, got)
	}

	// Split, typesize 4, byte shuffle: one 16-byte block = 4 streams of 4.
	// Stream j holds byte j of each element (the shuffled layout).
	c = craftChunk(craftHeader{version: 5, flags: extFlags | 1<<5, typesize: 4, nbytes: 16, blocksize: 16,
		extended: true, filters: [6]byte{0, 0, 0, 0, 0, filterShuffle}, udcode: byte(LZ4)}, nil,
		cat(byteRunStream(1), zeroRunStream(), csizeStream([]byte{2, 3, 4, 5}), byteRunStream(9)))
	want = []byte{1, 0, 2, 9, 1, 0, 3, 9, 1, 0, 4, 9, 1, 0, 5, 9}
	if got, err = NewDecoder().DecodeAll(c, nil); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("split: err %v, got %v want %v", err, got, want)
	}
}

func TestBadStreamsRejected(t *testing.T) {
	hdr := craftHeader{version: 5, flags: extFlags | flagDontSplit | 1<<5, typesize: 1, nbytes: 64, blocksize: 64,
		extended: true, udcode: byte(LZ4)}
	neg := func(v int32, token byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, uint32(v)), token)
	}
	cases := map[string][]byte{
		"token without run bit": neg(-5, 0),
		"run value > 255":       neg(-256, 1),
		"run token missing":     binary.LittleEndian.AppendUint32(nil, uint32(0xFFFFFFFB)),
		"csize past chunk":      binary.LittleEndian.AppendUint32(nil, 1000),
		"csize field cut":       {1, 2},
		"garbage lz4":           csizeStream([]byte{0xF0, 1, 2, 3}),
		"short lz4":             csizeStream([]byte{0x30, 'a', 'b', 'c'}),
	}
	for name, s := range cases {
		c := craftChunk(hdr, nil, s)
		if _, err := NewDecoder().DecodeAll(c, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A block start pointing into the header or past the end.
	c := craftChunk(hdr, nil, zeroRunStream())
	for _, off := range []uint32{0, 20, uint32(len(c)), 0xFFFFFFF0} {
		binary.LittleEndian.PutUint32(c[32:], off)
		if _, err := NewDecoder().DecodeAll(c, nil); err == nil {
			t.Errorf("bstart %d accepted", off)
		}
	}
}

// allocated reports the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// Claimed sizes that the chunk's streams cannot produce are refused before
// anything of that size is allocated.
func TestHostileSizesAllocateNothing(t *testing.T) {
	const big = maxBlockSize // the largest block C allows (~512 MiB)
	cases := map[string][]byte{
		// 2 GiB claimed by a 40-byte compressed chunk: the block-start table
		// alone would need 16 bytes for the 4+ blocks.
		"2GiB in 40 bytes": func() []byte {
			c := craftChunk(craftHeader{version: 5, flags: extFlags | 4<<5, typesize: 8, nbytes: 1<<31 - 1,
				blocksize: big, extended: true, udcode: byte(Zstd)}, nil)
			return append(c, make([]byte, 8)...)
		}(),
	}
	for _, codec := range []Codec{BloscLZ, LZ4, Zlib, Zstd} {
		format := map[Codec]byte{BloscLZ: 0, LZ4: 1, Zlib: 3, Zstd: 4}[codec]
		// One block of ~512 MiB from a 16-byte stream of that codec.
		cases["big block "+codec.String()] = craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | format<<5,
			typesize: 1, nbytes: big, blocksize: big, extended: true, udcode: byte(codec)}, nil, csizeStream(make([]byte, 16)))
		// The same claim split over 8 streams of 16 bytes.
		cases["split "+codec.String()] = craftChunk(craftHeader{version: 5, flags: extFlags | format<<5,
			typesize: 8, nbytes: big / 8 * 8, blocksize: big / 8 * 8, extended: true, udcode: byte(codec)}, nil,
			bytes.Repeat(csizeStream(make([]byte, 16)), 8))
	}
	d := NewDecoder()
	for name, c := range cases {
		var err error
		n := allocated(func() { _, err = d.DecodeAll(c, nil) })
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if n > 1<<20 {
			t.Errorf("%s: allocated %d bytes before failing (%v)", name, n, err)
		}
	}
}

// Special-value chunks take their size from the header: MaxSize bounds it.
func TestMaxSize(t *testing.T) {
	zeros := craftChunk(craftHeader{version: 5, flags: extFlags, typesize: 8, nbytes: 1<<31 - 8,
		blocksize: 1 << 20, extended: true, blosc2Flag: byte(SpecialZero) << 4}, nil)
	d := &Decoder{MaxSize: 1 << 20}
	var err error
	n := allocated(func() { _, err = d.DecodeAll(zeros, nil) })
	if err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("got %v, want a limit error", err)
	}
	if n > 1<<16 {
		t.Errorf("allocated %d bytes before refusing", n)
	}
	small := craftChunk(craftHeader{version: 5, flags: extFlags, typesize: 8, nbytes: 1 << 20,
		blocksize: 1 << 20, extended: true, blosc2Flag: byte(SpecialZero) << 4}, nil)
	out, err := d.DecodeAll(small, nil)
	if err != nil || len(out) != 1<<20 || bytes.ContainsFunc(out, func(r rune) bool { return r != 0 }) {
		t.Fatalf("1 MiB zeros at the limit: err %v, len %d", err, len(out))
	}
}

// C-Blosc 1.x (format 2) left a bit-shuffled block unshuffled when its
// element count is not a multiple of 8; later formats transpose the whole
// multiple of 8 and copy the rest.
func TestBitShuffleVersionRules(t *testing.T) {
	raw := []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	v2 := craftChunk(craftHeader{version: 2, flags: flagBitShuffle | flagDontSplit | 1<<5, typesize: 1,
		nbytes: 12, blocksize: 12}, nil, csizeStream(raw))
	got, err := NewDecoder().DecodeAll(v2, nil)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("version 2: err %v, got %v", err, got)
	}
	v5 := craftChunk(craftHeader{version: 5, flags: extFlags | flagDontSplit | 1<<5, typesize: 1, nbytes: 12,
		blocksize: 12, extended: true, filters: [6]byte{0, 0, 0, 0, 0, filterBitShuffle}, udcode: byte(LZ4)}, nil, csizeStream(raw))
	// Row 0 (bit 0 of each element) is 0xFF: all 8 elements have bit 0 set.
	want := []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4}
	if got, err = NewDecoder().DecodeAll(v5, nil); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("version 5: err %v, got %v want %v", err, got, want)
	}
}

// One decoder alternating between dictionary and plain chunks of each codec
// must not carry a dictionary over.
func TestDecoderReuseAcrossDictionaries(t *testing.T) {
	names := []string{
		"micro3m__zstd_c8_t8_shuffle_auto_dict.b2", "micro3m__zstd_c8_t8_shuffle_auto.b2",
		"text400k__zstd_c5_t8_shuffle_auto_dict.b2", "micro3m__zstd_c8_t8_shuffle_auto_dict.b2",
		"text400k__lz4_c5_t8_shuffle_auto_dict.b2", "text400k__zstd_c5_t8_shuffle_forward.b2",
		"text400k__zstd_c5_t8_shuffle_auto_dict.b2", "micro300k__zlib_c5_t8_shuffle_always.b2",
	}
	inputs := map[string]string{"micro3m": "inputs/micro3m.bin", "text400k": "inputs/text400k.bin", "micro300k": "inputs/micro300k.bin"}
	d := NewDecoder()
	var out []byte
	for _, name := range names {
		chunk := readDecVector(t, filepath.Join("chunks", name))
		var err error
		if out, err = d.DecodeAll(chunk, out[:0]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := readDecVector(t, inputs[strings.Split(name, "__")[0]])
		if !bytes.Equal(out, want) {
			t.Fatalf("%s: wrong output after decoder reuse", name)
		}
	}
}

// Steady-state decoding allocates nothing once dst has room.
func TestDecodeAllocsNothing(t *testing.T) {
	for _, name := range []string{
		"micro3m__zstd_c8_t8_shuffle_auto.b2", "micro3m__zstd_c8_t8_shuffle_auto_dict.b2",
		"micro300k__lz4_c5_t8_bitshuffle_always.b2", "micro300k__blosclz_c5_t8_shuffle_always.b2",
		"micro300k__zlib_c5_t8_shuffle_never.b2", "micro300k__blosc1_lz4_c5_t2_bitshuffle.b2",
		"special_repeat_u64.b2", "micro300k__zstd_c0_t8_shuffle_auto.b2",
	} {
		chunk := readDecVector(t, filepath.Join("chunks", name))
		d := NewDecoder()
		out, err := d.DecodeAll(chunk, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		allocs := testing.AllocsPerRun(5, func() {
			if out, err = d.DecodeAll(chunk, out[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.0f allocations per decode", name, allocs)
		}
	}
}

// BloscLZ streams assembled by hand from the instruction format.
func TestBloscLZ(t *testing.T) {
	cases := []struct {
		name string
		src  []byte
		want []byte
	}{
		// Literal of 3 ("abc"), then match len 3+(2-1)=4? ctrl 0x40: len
		// field 2 -> length (2-1)+3 = 4, distance 0+2+1 = 3: "abca".
		{"literal+match", []byte{2, 'a', 'b', 'c', 0x40, 2}, []byte("abcabca")},
		// A run: distance 1 repeats the last byte; ctrl 0xE0 with an
		// extension byte 10: length 6+10+3 = 19.
		{"run", []byte{0, 'z', 0xE0, 10, 0}, bytes.Repeat([]byte("z"), 20)},
		// Trailing literal after a match.
		{"match+literal", []byte{1, 'x', 'y', 0x20, 1, 1, '!', '?'}, []byte("xyxyx!?")},
	}
	for _, tc := range cases {
		out := make([]byte, len(tc.want))
		n, err := blosclzDecode(out, tc.src)
		if err != nil || n != len(tc.want) || !bytes.Equal(out, tc.want) {
			t.Errorf("%s: n %d err %v got %q want %q", tc.name, n, err, out[:n], tc.want)
		}
	}
	// Far match: 8192 literal-ish bytes then a far reference.
	var src []byte
	var want []byte
	for i := 0; i < 8300; i += 32 {
		lit := make([]byte, 32)
		for j := range lit {
			lit[j] = byte(i/32 + j*7)
		}
		src = append(append(src, 31), lit...)
		want = append(want, lit...)
	}
	// Match length 3 at distance 8300 = 8191 + 1 + 108: ctrl 0x3F (len 0,
	// ofs 31<<8), code 255, then 108 big endian.
	src = append(src, 0x3F, 255, 0, 108)
	p := len(want) - 8300
	want = append(want, want[p:p+3]...)
	out := make([]byte, len(want))
	if n, err := blosclzDecode(out, src); err != nil || !bytes.Equal(out[:n], want) {
		t.Errorf("far match: n %d err %v", n, err)
	}

	bad := map[string][]byte{
		"empty":                {},
		"literal past input":   {5, 'a'},
		"match before start":   {0, 'a', 0x40, 5},
		"match missing code":   {0, 'a', 0x40},
		"far missing distance": {0, 'a', 0x3F, 255, 0},
		"extension cut":        {0, 'a', 0xE0, 255},
	}
	for name, s := range bad {
		if _, err := blosclzDecode(make([]byte, 64), s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := blosclzDecode(make([]byte, 4), []byte{0, 'z', 0xE0, 10, 0}); err == nil {
		t.Errorf("output overflow accepted")
	}
}
