package blosc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

var (
	allCodecs    = []Codec{Zstd, LZ4, LZ4HC, Zlib}
	allShuffles  = []Shuffle{NoShuffle, ByteShuffle, BitShuffle}
	allSplits    = []SplitMode{AutoSplit, AlwaysSplit, NeverSplit, ForwardCompatSplit}
	typeSizes    = []int{1, 2, 3, 4, 7, 8, 16, 17, 255}
	threadCounts = []int{1, 2}
)

// testInput makes n bytes of one kind: random, compressible (small
// integers with structure, like image data), zeros or a constant byte.
func testInput(r *rand.Rand, kind string, n int) []byte {
	b := make([]byte, n)
	switch kind {
	case "random":
		for i := range b {
			b[i] = byte(r.Uint32())
		}
	case "compressible":
		v := 0
		for i := range b {
			if i%2 == 0 {
				v += r.IntN(7) - 3
			}
			b[i] = byte(v >> (8 * (i % 2)))
		}
	case "constant":
		for i := range b {
			b[i] = 0xA7
		}
	}
	return b
}

var inputKinds = []string{"random", "compressible", "zeros", "constant"}

// testLength draws a length, favouring the edges: 0, 1, below typesize,
// around C's 32-byte minimum, odd sizes, and block boundaries.
func testLength(r *rand.Rand, typesize int) int {
	switch r.IntN(8) {
	case 0:
		return r.IntN(2)
	case 1:
		return r.IntN(typesize + 1)
	case 2:
		return 31 + r.IntN(3)
	case 3:
		return 2*r.IntN(3000) + 1
	case 4:
		return (1+r.IntN(3))*(32<<10) + r.IntN(3) - 1
	case 5:
		return (64<<10)*typesize%(300<<10) + r.IntN(3) - 1
	}
	return r.IntN(100 << 10)
}

// TestRoundTripAllOptions encodes random inputs with every combination of
// codec, level, typesize sample, shuffle, split mode and thread count (an
// explicit block size half of the time, a dictionary for a third of the
// zstd ones) and decodes them back with the decoder that refuses what
// C-Blosc2 refuses, so each chunk is one C reads. With -short it runs a
// fixed random eighth of the combinations, inputs capped at 20 kB.
func TestRoundTripAllOptions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// -short's sample is drawn, not every k-th combination: the inner loops
	// (split × threads) hold 8, so a stride would test one of them only.
	pick := rand.New(rand.NewPCG(3, 4))
	combos := 0
	for _, codec := range allCodecs {
		for level := 0; level <= 9; level++ {
			for _, ts := range typeSizes {
				for _, sh := range allShuffles {
					for _, split := range allSplits {
						for _, threads := range threadCounts {
							o := Options{Codec: codec, Level: level, TypeSize: ts, Shuffle: sh, SplitMode: split, Threads: threads}
							if r.IntN(2) == 0 {
								o.BlockSize = 1 + r.IntN(40000)
							}
							o.UseDict = codec == Zstd && r.IntN(3) == 0
							kind := inputKinds[r.IntN(len(inputKinds))]
							n := testLength(r, ts)
							if testing.Short() && pick.IntN(8) != 0 {
								continue // nor is its input made: most of the cost
							}
							if testing.Short() && n > 20000 {
								n = 20000
							}
							roundTrip(t, o, testInput(r, kind, n), kind)
							combos++
						}
					}
				}
			}
		}
	}
	t.Logf("%d option combinations", combos)
}

func roundTrip(t *testing.T, o Options, src []byte, kind string) []byte {
	t.Helper()
	name := fmt.Sprintf("%+v/%s/%d bytes", o, kind, len(src))
	enc, err := NewEncoder(o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	prefix := []byte("prefix")
	out, err := enc.EncodeAll(src, bytes.Clone(prefix))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.HasPrefix(out, prefix) {
		t.Fatalf("%s: EncodeAll overwrote dst's existing bytes", name)
	}
	chunk := out[len(prefix):]
	if len(chunk) > MaxEncodedLen(len(src)) {
		t.Fatalf("%s: chunk of %d bytes exceeds MaxEncodedLen", name, len(chunk))
	}
	checkHeaderBasics(t, name, chunk, o, len(src))
	got, err := NewDecoder().DecodeAll(chunk, nil)
	if err != nil {
		t.Fatalf("%s: Decoder: %v", name, err)
	}
	if !bytes.Equal(got, src) {
		t.Fatalf("%s: Decoder output differs from the input", name)
	}
	if got, err := refDecode(chunk); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("%s: reference decoder: err %v, equal %v", name, err, bytes.Equal(got, src))
	}
	if o.Threads > 1 {
		o.Threads = 1
		serial, err := NewEncoder(o)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := serial.EncodeAll(src, nil)
		if !bytes.Equal(chunk, want) {
			t.Fatalf("%s: output differs from the single-threaded one", name)
		}
	}
	return chunk
}

// checkHeaderBasics checks the header facts that follow from the options
// and the input alone, whatever the codec produced.
func checkHeaderBasics(t *testing.T, name string, chunk []byte, o Options, n int) {
	t.Helper()
	le := binary.LittleEndian
	if chunk[0] != 5 || chunk[2]&0x05 != 0x05 || int(chunk[3]) != o.TypeSize ||
		int(le.Uint32(chunk[4:])) != n || int(le.Uint32(chunk[12:])) != len(chunk) ||
		chunk[21] != byte(o.Shuffle) || chunk[22] != byte(o.Codec) {
		t.Fatalf("%s: bad header % x", name, chunk[:32])
	}
	memcpy := chunk[2]&flagMemcpyed != 0
	if (o.Level == 0 || n < 32) && (!memcpy || chunk[2] != 0x07) {
		t.Fatalf("%s: level 0 or tiny input must give a plain memcpy chunk, flags %#x", name, chunk[2])
	}
	if memcpy && len(chunk) != n+32 {
		t.Fatalf("%s: memcpy chunk of %d bytes", name, len(chunk))
	}
}

// TestRoundTripKinds checks what each kind of data becomes at the
// original's settings: zeros the special zero chunk, random data a memcpy
// chunk, constant data a tiny chunk of runs.
func TestRoundTripKinds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, threads := range []int{1, 2} {
		for _, n := range []int{4096, 100000, 1 << 20, 3000001} {
			o := DefaultOptions()
			o.Threads = threads
			zero := roundTrip(t, o, testInput(r, "zeros", n), "zeros")
			special := len(zero) == 32 && zero[31] == byte(SpecialZero)<<4 && zero[2]&flagMemcpyed == 0
			if n%o.TypeSize == 0 && !special {
				t.Errorf("zeros, %d bytes: want the 32-byte special zero chunk, got % x", n, zero[:32])
			}
			if n%o.TypeSize != 0 && (zero[31] != 0 || len(zero) > 64*((n+(512<<10)-1)/(512<<10))) {
				// C's reader refuses special chunks with a partial element.
				t.Errorf("zeros, %d bytes (not whole elements): want zero runs, got % x", n, zero[:32])
			}
			random := roundTrip(t, o, testInput(r, "random", n), "random")
			if random[2] != 0x95|flagMemcpyed {
				t.Errorf("random, %d bytes: want C's memcpy fallback (flags 0x97), got %#x", n, random[2])
			}
			constant := roundTrip(t, o, testInput(r, "constant", n), "constant")
			if len(constant) > 32+64*((n+(512<<10)-1)/(512<<10)) {
				t.Errorf("constant, %d bytes: %d-byte chunk, want runs only", n, len(constant))
			}
			roundTrip(t, o, testInput(r, "compressible", n), "compressible")
		}
	}
}

// TestEncoderReuse: one Encoder encodes many inputs of varying sizes in a
// row, each one correctly (scratch buffers must not leak between calls).
func TestEncoderReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, threads := range []int{1, 2} {
		o := DefaultOptions()
		o.Threads = threads
		enc, err := NewEncoder(o)
		if err != nil {
			t.Fatal(err)
		}
		for range 40 {
			kind := inputKinds[r.IntN(len(inputKinds))]
			src := testInput(r, kind, r.IntN(1500<<10))
			chunk, err := enc.EncodeAll(src, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := NewDecoder().DecodeAll(chunk, nil); err != nil || !bytes.Equal(got, src) {
				t.Fatalf("threads %d, %s %d bytes: reused encoder's chunk does not decode (%v)", threads, kind, len(src), err)
			}
		}
	}
}
