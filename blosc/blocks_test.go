package blosc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// decodeByBlocks decodes chunk block by block the way a random-access
// reader does: growing prefix reads until ParseBlocks is satisfied, then
// each block from its span alone.
func decodeByBlocks(d *Decoder, chunk []byte) ([]byte, error) {
	need := MaxHeaderLen
	var b *Blocks
	for {
		var err error
		b, need, err = d.ParseBlocks(chunk[:min(need, len(chunk))])
		if err != nil {
			return nil, err
		}
		if b != nil {
			break
		}
		if need > len(chunk) {
			return nil, ErrShortHeader
		}
	}
	if len(chunk) != b.Header().CBytes {
		return nil, errors.New("stored size disagrees with cbytes") // the archive's layout check
	}
	var out []byte
	for i := range b.NBlocks() {
		from, to := b.Span(i)
		if to > len(chunk) {
			return nil, ErrShortHeader
		}
		var err error
		if out, err = d.DecodeBlock(b, i, chunk[from:to], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestDecodeBlocksVectors: every C-made chunk decodes block by block to the
// same bytes as DecodeAll.
func TestDecodeBlocksVectors(t *testing.T) {
	d := NewDecoder()
	for _, v := range loadDecVectors(t) {
		chunk := readDecVector(t, v.Chunk)
		want, err := NewDecoder().DecodeAll(chunk, nil)
		if err != nil {
			continue // refused chunks are DecodeAll's tests' business
		}
		got, err := decodeByBlocks(d, chunk)
		if err != nil {
			t.Errorf("%s: %v", v.Chunk, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: block-by-block decode differs from DecodeAll", v.Chunk)
		}
	}
}

// TestDecodeBlocksEncoded covers our own chunks: split and unsplit, with a
// dictionary, memcpy, a short last block, and a random block order in the
// streams section (C-Blosc2's threads store blocks as they finish).
func TestDecodeBlocksEncoded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 1<<20+12345)
	for i := range src {
		src[i] = byte(i / 64)
		if rng.IntN(32) == 0 {
			src[i] = byte(rng.IntN(256))
		}
	}
	cases := map[string]func(*Options){
		"default": func(*Options) {},
		"lz4":     func(o *Options) { o.Codec = LZ4; o.BlockSize = 32 << 10 },
		"dict":    func(o *Options) { o.UseDict = true; o.BlockSize = 64 << 10 },
		"memcpy":  func(o *Options) { o.Level = 0 },
		"bit":     func(o *Options) { o.Shuffle = BitShuffle; o.TypeSize = 2; o.BlockSize = 16 << 10 },
	}
	for name, set := range cases {
		chunk := encodeWith(t, src, set)
		got, err := decodeByBlocks(NewDecoder(), chunk)
		if err != nil || !bytes.Equal(got, src) {
			t.Errorf("%s: block-by-block decode differs (err %v)", name, err)
		}
		if name == "lz4" {
			shuffled := reverseBlocks(t, chunk)
			got, err := decodeByBlocks(NewDecoder(), shuffled)
			if err != nil || !bytes.Equal(got, src) {
				t.Errorf("blocks stored in reverse order: decode differs (err %v)", err)
			}
		}
	}
}

// encodeWith encodes src with the default options changed by set.
func encodeWith(t *testing.T, src []byte, set func(*Options)) []byte {
	t.Helper()
	o := DefaultOptions()
	set(&o)
	e, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := e.EncodeAll(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return chunk
}

// reverseBlocks rewrites a chunk (no dictionary) with its blocks' streams
// stored last block first, updating the block-start table.
func reverseBlocks(t *testing.T, chunk []byte) []byte {
	h, err := ParseHeader(chunk)
	if err != nil || h.UseDict || h.Memcpyed {
		t.Fatalf("reverseBlocks: %+v, %v", h, err)
	}
	n := h.NBlocks()
	table := h.HeaderLen()
	starts := make([]int, n+1)
	for i := range n {
		starts[i] = int(binary.LittleEndian.Uint32(chunk[table+4*i:]))
	}
	starts[n] = len(chunk)
	out := bytes.Clone(chunk[:table+4*n])
	for i := n - 1; i >= 0; i-- {
		binary.LittleEndian.PutUint32(out[table+4*i:], uint32(len(out)))
		out = append(out, chunk[starts[i]:starts[i+1]]...)
	}
	return out
}

// TestParseBlocksBounds: a header may not make the reader fetch or allocate
// more than the chunk holds, and a limit on nbytes holds.
func TestParseBlocksBounds(t *testing.T) {
	e, _ := NewEncoder(DefaultOptions())
	chunk, _ := e.EncodeAll(bytes.Repeat([]byte("abcdefgh"), 100000), nil)
	if _, _, err := (&Decoder{MaxSize: 1000}).ParseBlocks(chunk); err == nil {
		t.Error("a chunk over the size limit was accepted")
	}
	tiny := bytes.Clone(chunk[:64])
	binary.LittleEndian.PutUint32(tiny[8:], 1)   // blocksize 1: 800000 blocks
	binary.LittleEndian.PutUint32(tiny[12:], 64) // in a 64-byte chunk
	if b, need, err := NewDecoder().ParseBlocks(tiny); err == nil {
		t.Errorf("a block table larger than the chunk was accepted (need %d, blocks %v)", need, b != nil)
	}
	for _, n := range []int{0, 5, 16, 31} {
		if b, need, err := NewDecoder().ParseBlocks(chunk[:n]); err != nil || b != nil || need <= n {
			t.Errorf("prefix of %d bytes: need %d, err %v", n, need, err)
		}
	}
}

// FuzzDecodeBlocks: arbitrary chunks never panic the block reader; what it
// decodes equals DecodeAll's result, and whenever DecodeAll accepts a chunk
// whose blocks' streams stay clear of each other (as C-Blosc writes them),
// the blocks decode too.
func FuzzDecodeBlocks(f *testing.F) {
	addChunkSeeds(f)
	d := &Decoder{MaxSize: 64 << 20}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		got, err := decodeByBlocks(d, chunk)
		want, werr := (&Decoder{MaxSize: 64 << 20}).DecodeAll(chunk, nil)
		switch {
		case err == nil && werr != nil:
			t.Fatalf("blocks decode a chunk DecodeAll refuses (%v)", werr)
		case err == nil && !bytes.Equal(got, want):
			t.Fatal("blocks decode to other bytes than DecodeAll")
		case err != nil && werr == nil && !overlapping(chunk):
			t.Fatalf("DecodeAll accepts the chunk, blocks give err %v", err)
		}
	})
}

// fuzzVectors returns the C-made vector chunks, none without ../shared.
func fuzzVectors(f *testing.F) [][]byte {
	if _, err := os.Stat(filepath.Join(decVectorDir, "manifest.json")); err != nil {
		return nil
	}
	var out [][]byte
	for _, v := range loadDecVectors(f) {
		out = append(out, readDecVector(f, v.Chunk))
	}
	return out
}

// overlapping reports whether some block's streams, read from the whole
// chunk, run past the start of another block.
func overlapping(chunk []byte) bool {
	b, _, err := NewDecoder().ParseBlocks(chunk)
	if err != nil || b.starts == nil {
		return false
	}
	h := b.h
	for i := range b.NBlocks() {
		from, to := b.Span(i)
		nstreams := 1
		if h.Split && !(i == b.nblocks-1 && h.NBytes%h.BlockSize != 0) {
			nstreams = h.TypeSize
		}
		pos := from
		for range nstreams {
			_, next, err := nextStream(chunk, pos, b.size(i)/nstreams)
			if err != nil {
				break
			}
			pos = next
		}
		if pos > to {
			return true
		}
	}
	return false
}

// checkSparse is what a reader that has not read the whole chunk does:
// ParseBlocks from the prefix, then CheckStreams through small reads.
func checkSparse(d *Decoder, chunk []byte) error {
	need := MaxHeaderLen
	for {
		b, more, err := d.ParseBlocks(chunk[:min(need, len(chunk))])
		switch {
		case err != nil:
			return err
		case b == nil && more <= need:
			return errors.New("ParseBlocks asks for no more bytes")
		case b == nil:
			if need >= len(chunk) {
				return ErrShortHeader
			}
			need = more
			continue
		}
		if b.h.CBytes != len(chunk) {
			return corruptf("stored size %d, cbytes %d", len(chunk), b.h.CBytes)
		}
		return b.CheckStreams(func(off, n int) ([]byte, error) {
			if off < 0 || n < 0 || off+n > len(chunk) {
				return nil, fmt.Errorf("read of %d bytes at %d outside the %d-byte chunk", n, off, len(chunk))
			}
			return chunk[off : off+n], nil
		})
	}
}

// checkWhole is DecodeAll's checks before it decodes a block.
func checkWhole(d *Decoder, chunk []byte) error {
	h, err := ParseHeader(chunk)
	if err != nil {
		return err
	}
	if h.CBytes != len(chunk) {
		return corruptf("stored size %d, cbytes %d", len(chunk), h.CBytes)
	}
	if d.MaxSize > 0 && h.NBytes > d.MaxSize {
		return corruptf("over the limit")
	}
	l, err := layoutChunk(&h, chunk, MaxDictSize)
	if err == nil && l.dict != nil && h.Codec == Zstd {
		err = d.codecs.prepare(&h, l.dict)
	}
	if err != nil || h.Special != SpecialNone || h.Memcpyed || h.NBytes == 0 {
		return err
	}
	for i := range l.nblocks {
		if err := l.checkBlock(i); err != nil {
			return err
		}
	}
	return nil
}

// TestCheckStreams: the sparse check refuses exactly the chunks whose
// block table or stream sizes DecodeAll's checks refuse, on damaged copies
// of chunks of several kinds, and DecodeAll refuses everything it refuses.
func TestCheckStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	src := make([]byte, 300_000)
	for i := range src {
		src[i] = byte(i / 7 % 13 * rng.IntN(3))
	}
	opts := map[string]func(*Options){
		"default": func(*Options) {},
		"split":   func(o *Options) { o.TypeSize = 4; o.BlockSize = 16 << 10 },
		"lz4":     func(o *Options) { o.Codec = LZ4; o.BlockSize = 32 << 10 },
		"dict":    func(o *Options) { o.UseDict = true; o.BlockSize = 64 << 10 },
	}
	d := &Decoder{MaxSize: 1 << 20}
	refused := 0
	for name, set := range opts {
		chunk := encodeWith(t, src, set)
		if err := checkSparse(d, chunk); err != nil {
			t.Fatalf("%s: an intact chunk refused: %v", name, err)
		}
		h, _ := ParseHeader(chunk)
		table := h.HeaderLen() + 4*h.NBlocks()
		for k := range 400 {
			c := bytes.Clone(chunk)
			// Damage the block-start table, or a stream's size field.
			pos := h.HeaderLen() + rng.IntN(table-h.HeaderLen())
			if k%2 == 1 {
				i := rng.IntN(h.NBlocks())
				pos = int(binary.LittleEndian.Uint32(chunk[h.HeaderLen()+4*i:])) + rng.IntN(4)
			}
			c[pos] ^= byte(1 << rng.IntN(8))
			sparse, whole := checkSparse(d, c), checkWhole(d, c)
			if (sparse == nil) != (whole == nil) {
				t.Fatalf("%s, byte %d: sparse check %v, DecodeAll's checks %v", name, pos, sparse, whole)
			}
			if sparse != nil {
				refused++
				if _, err := d.DecodeAll(c, nil); err == nil {
					t.Fatalf("%s, byte %d: DecodeAll reads a chunk the sparse check refuses (%v)", name, pos, sparse)
				}
				if !errors.Is(sparse, ErrCorrupt) {
					t.Fatalf("%s: %v is not ErrCorrupt", name, sparse)
				}
			}
		}
	}
	if refused < 200 {
		t.Errorf("only %d of 1600 damaged chunks refused: the damage misses the table and fields", refused)
	}
}

// FuzzCheckStreams: on any input the sparse check never panics and agrees
// with DecodeAll's checks.
func FuzzCheckStreams(f *testing.F) {
	addChunkSeeds(f)
	d := &Decoder{MaxSize: 64 << 20}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		sparse, whole := checkSparse(d, chunk), checkWhole(d, chunk)
		if (sparse == nil) != (whole == nil) {
			t.Fatalf("sparse check %v, DecodeAll's checks %v", sparse, whole)
		}
		if sparse != nil {
			if _, err := d.DecodeAll(chunk, nil); err == nil {
				t.Fatalf("DecodeAll reads a chunk the sparse check refuses (%v)", sparse)
			}
		}
	})
}

// addChunkSeeds seeds a chunk fuzz target with the C-made vectors, their
// variations, and a zeroed header.
func addChunkSeeds(f *testing.F) {
	for _, v := range fuzzVectors(f) {
		for _, seed := range fuzzSeeds(v) {
			f.Add(seed)
		}
	}
	f.Add(make([]byte, 32))
}
