package blosc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary chunks to the decoder: it must never panic or
// hang, must leave dst untouched on error (a typed one), and on success must append
// exactly the header's nbytes, the same as a fresh decoder does.
//
// Seeds: every C-made vector chunk, plus for each a truncation (with cbytes
// patched so decoding goes past the size check) and bit flips in the header
// and the first block's stream table.
func FuzzDecode(f *testing.F) {
	manifest := filepath.Join(decVectorDir, "manifest.json")
	if _, err := os.Stat(manifest); err == nil {
		for _, v := range loadDecVectors(f) {
			chunk := readDecVector(f, v.Chunk)
			for _, seed := range fuzzSeeds(chunk) {
				f.Add(seed)
			}
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, 32))

	reused := &Decoder{MaxSize: 64 << 20}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		prefix := []byte("pre")
		out, err := reused.DecodeAll(chunk, bytes.Clone(prefix))
		if !bytes.HasPrefix(out, prefix) {
			t.Fatalf("dst prefix lost")
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrUnsupported", err)
			}
			if len(out) != len(prefix) {
				t.Fatalf("error %v but dst grew to %d bytes", err, len(out))
			}
			return
		}
		h, herr := ParseHeader(chunk)
		if herr != nil {
			t.Fatalf("decoded a chunk whose header does not parse: %v", herr)
		}
		if len(out)-len(prefix) != h.NBytes {
			t.Fatalf("decoded %d bytes, header says %d", len(out)-len(prefix), h.NBytes)
		}
		fresh, err := (&Decoder{MaxSize: 64 << 20}).DecodeAll(chunk, nil)
		if err != nil || !bytes.Equal(fresh, out[len(prefix):]) {
			t.Fatalf("a fresh decoder disagrees with a reused one (err %v)", err)
		}
	})
}

// fuzzSeeds derives damaged variants of a valid chunk.
func fuzzSeeds(chunk []byte) [][]byte {
	seeds := [][]byte{chunk}
	if len(chunk) >= 32 {
		cut := bytes.Clone(chunk[:len(chunk)/2+1])
		binary.LittleEndian.PutUint32(cut[12:], uint32(len(cut)))
		seeds = append(seeds, cut, chunk[:len(chunk)-1])
	}
	// Flip one bit in each of a few interesting bytes: flags, sizes, the
	// extended header's flags, the first block start and stream size.
	for _, pos := range []int{2, 3, 5, 9, 31, 33, 40, 48} {
		if pos < len(chunk) {
			c := bytes.Clone(chunk)
			c[pos] ^= 1 << (pos % 8)
			seeds = append(seeds, c)
		}
	}
	return seeds
}
