package blosc

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// chunkDictSize returns the size of the dictionary stored in chunk, or -1
// when the chunk carries none.
func chunkDictSize(t *testing.T, chunk []byte) int {
	t.Helper()
	h, err := ParseHeader(chunk)
	if err != nil {
		t.Fatal(err)
	}
	if !h.UseDict {
		return -1
	}
	off := h.HeaderLen() + 4*h.NBlocks()
	return int(int32(binary.LittleEndian.Uint32(chunk[off:])))
}

// TestDictWithinCBounds: every dictionary the encoder writes is one
// C-Blosc2 accepts (1..BLOSC2_MAXDICTSIZE bytes, header and tables
// included) and no larger than C's own budget (5% of the input), around
// the input size where the old trainer first went past 32,768 bytes
// (655,360) and well above it.
func TestDictWithinCBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{5000, 8192, 100000, 655000, 655360, 656000, 700000, 2 << 20} {
		for _, o := range []Options{DefaultOptions(), {Codec: Zstd, Level: 5, TypeSize: 2, Shuffle: BitShuffle, Threads: 2}} {
			o.UseDict = true
			src := testInput(r, "compressible", n)
			chunk := roundTrip(t, o, src, "compressible")
			size := chunkDictSize(t, chunk)
			budget := min(MaxDictSize, n/20)
			switch {
			case budget < MinUsefulDict && size != -1:
				t.Errorf("%d bytes: %d-byte dictionary where C writes none (budget %d)", n, size, budget)
			case n >= 100000 && size == -1:
				t.Errorf("%d bytes: no dictionary", n)
			case size != -1 && (size < MinUsefulDict || size > budget):
				t.Errorf("%d bytes, %+v: dictionary of %d bytes, C allows %d..%d", n, o, size, MinUsefulDict, budget)
			}
		}
	}
}

func TestFitDict(t *testing.T) {
	// Tables, repeat offsets 2, 700 and 8, then 1000 bytes of history.
	reps := []byte{2, 0, 0, 0, 0xBC, 2, 0, 0, 8, 0, 0, 0}
	d := cat(bytes.Repeat([]byte{'T'}, 88), reps, bytes.Repeat([]byte{'h'}, 1000))
	if got := fitDict(d, 1000, 2000); len(got) != len(d) {
		t.Errorf("a dictionary within budget changed: %d bytes", len(got))
	}
	got := fitDict(d, 1000, 600)
	wantReps := []byte{2, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0} // 700 no longer fits: zstd's default 4
	if len(got) != 600 || !bytes.Equal(got[:88], d[:88]) || !bytes.Equal(got[88:100], wantReps) ||
		!bytes.Equal(got[100:], d[600:]) {
		t.Errorf("trimmed dictionary: %d bytes % x, want the tables, fitting offsets and the newest 500 history bytes",
			len(got), got[88:100])
	}
	if got := fitDict(d, 1000, 105); got != nil {
		t.Errorf("no room for history: got %d bytes, want nil", len(got))
	}
}
