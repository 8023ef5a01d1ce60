package blosc

import (
	"bytes"
	"math/rand"
	"testing"
)

// refShuffle is the byte shuffle written straight from the definition.
func refShuffle(src []byte, ts int) []byte {
	out := append([]byte(nil), src...)
	if ts <= 1 {
		return out
	}
	n := len(src) / ts
	for i := 0; i < n; i++ {
		for j := 0; j < ts; j++ {
			out[j*n+i] = src[i*ts+j]
		}
	}
	return out
}

// refBitShuffle is the bit shuffle written bit by bit from the definition:
// output bit (row b*8+k, position i) = bit k of byte b of element i, over
// the first n-n%8 elements; the rest of the block is copied.
func refBitShuffle(src []byte, ts int) []byte {
	out := append([]byte(nil), src...)
	n8 := len(src) / ts / 8 * 8
	for i := 0; i < n8*ts; i++ {
		out[i] = 0
	}
	for i := 0; i < n8; i++ {
		for b := 0; b < ts; b++ {
			for k := 0; k < 8; k++ {
				bit := src[i*ts+b] >> k & 1
				pos := (b*8+k)*n8 + i
				out[pos/8] |= bit << (pos % 8)
			}
		}
	}
	return out
}

func shuffleLengths(ts int) []int {
	return []int{0, 1, ts - 1, ts, ts + 1, 7*ts + 3, 8 * ts, 8*ts + 5, 16*ts + ts/2, 8*ts*5 + 1, 64*ts + 7, 130*ts + 3, 1001}
}

func TestShuffleMatchesReferenceAndInverts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for ts := 1; ts <= 255; ts++ {
		for _, n := range shuffleLengths(ts) {
			if n < 0 {
				continue
			}
			src := make([]byte, n)
			rng.Read(src)
			got := make([]byte, n)
			back := make([]byte, n)

			shuffleBytes(got, src, ts)
			if want := refShuffle(src, ts); !bytes.Equal(got, want) {
				t.Fatalf("shuffleBytes ts=%d len=%d differs from the definition", ts, n)
			}
			unshuffleBytes(back, got, ts)
			if !bytes.Equal(back, src) {
				t.Fatalf("unshuffleBytes(shuffleBytes(x)) != x for ts=%d len=%d", ts, n)
			}

			bitShuffle(got, src, ts)
			if want := refBitShuffle(src, ts); !bytes.Equal(got, want) {
				t.Fatalf("bitShuffle ts=%d len=%d differs from the definition", ts, n)
			}
			clear(got)
			bitShuffleScratch(got, src, make([]byte, n), ts)
			if want := refBitShuffle(src, ts); !bytes.Equal(got, want) {
				t.Fatalf("bitShuffleScratch ts=%d len=%d differs from the definition", ts, n)
			}
			bitUnshuffle(back, got, ts)
			if !bytes.Equal(back, src) {
				t.Fatalf("bitUnshuffle(bitShuffle(x)) != x for ts=%d len=%d", ts, n)
			}
			clear(back)
			bitUnshuffleScratch(back, got, make([]byte, n), ts)
			if !bytes.Equal(back, src) {
				t.Fatalf("bitUnshuffleScratch(bitShuffle(x)) != x for ts=%d len=%d", ts, n)
			}
		}
	}
}

// A known small case worked by hand: 8 one-byte elements 0x01, 0x00...:
// bit 0 of element 0 set -> row 0, position 0 -> output byte 0 = 0x01;
// element 7 = 0x80 -> row 7 position 7 -> output byte 7 = 0x80.
func TestBitShuffleHandWorked(t *testing.T) {
	src := []byte{0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xAB}
	got := make([]byte, len(src))
	bitShuffle(got, src, 1)
	want := []byte{0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xAB}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x want % x", got, want)
	}
	src = []byte{0xFF, 0, 0, 0, 0, 0, 0, 0}
	bitShuffle(got[:8], src, 1)
	if !bytes.Equal(got[:8], []byte{1, 1, 1, 1, 1, 1, 1, 1}) {
		t.Fatalf("got % x", got[:8])
	}
}

func benchShuffle(b *testing.B, ts int, f func(dst, src []byte, ts int)) {
	src := make([]byte, 1<<20+3)
	rand.New(rand.NewSource(2)).Read(src)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	cpu0 := cpuTime()
	for b.Loop() {
		f(dst, src, ts)
	}
	reportCPURate(b, cpu0, len(src))
}

func BenchmarkUnshuffle8(b *testing.B)    { benchShuffle(b, 8, unshuffleBytes) }
func BenchmarkShuffle8(b *testing.B)      { benchShuffle(b, 8, shuffleBytes) }
func BenchmarkUnshuffle4(b *testing.B)    { benchShuffle(b, 4, unshuffleBytes) }
func BenchmarkUnshuffle3(b *testing.B)    { benchShuffle(b, 3, unshuffleBytes) }
func BenchmarkBitShuffle8(b *testing.B)   { benchShuffle(b, 8, bitShuffle) }
func BenchmarkBitUnshuffle8(b *testing.B) { benchShuffle(b, 8, bitUnshuffle) }
func BenchmarkBitShuffleScratch8(b *testing.B) {
	scratch := make([]byte, 1<<20+3)
	benchShuffle(b, 8, func(dst, src []byte, ts int) { bitShuffleScratch(dst, src, scratch, ts) })
}
func BenchmarkBitUnshuffleScratch8(b *testing.B) {
	scratch := make([]byte, 1<<20+3)
	benchShuffle(b, 8, func(dst, src []byte, ts int) { bitUnshuffleScratch(dst, src, scratch, ts) })
}
