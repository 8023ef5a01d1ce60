package h5sink

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestWriteVec: buffers land back to back at the offset, and advance keeps
// the unwritten rest of a partly written buffer.
func TestWriteVec(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "v"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := writeVec(f, [][]byte{[]byte("ab"), nil, []byte("cde"), []byte("f")}, 3)
	if err != nil || n != 6 {
		t.Fatalf("writeVec: %d, %v", n, err)
	}
	b, _ := os.ReadFile(f.Name())
	if !bytes.Equal(b, []byte("\x00\x00\x00abcdef")) {
		t.Errorf("file holds %q", b)
	}
	rest := advance([][]byte{[]byte("ab"), []byte("cde"), []byte("f")}, 3)
	if len(rest) != 2 || string(rest[0]) != "de" || string(rest[1]) != "f" {
		t.Errorf("advance by 3: %q", rest)
	}
	if rest := advance([][]byte{[]byte("ab")}, 2); len(rest) != 0 {
		t.Errorf("advance by all: %q", rest)
	}
}

// TestContiguous: runs end at a gap and at an empty payload.
func TestContiguous(t *testing.T) {
	p := func(off int64, n int) archive.Put { return archive.Put{Offset: off, Payload: make([]byte, n)} }
	batch := []archive.Put{p(10, 5), p(15, 2), p(17, 1), p(30, 4), p(-1, 0), p(34, 1), p(35, 1)}
	var ends []int
	for i := 0; i < len(batch); i = contiguous(batch, i) {
		ends = append(ends, contiguous(batch, i))
	}
	if want := []int{3, 4, 5, 7}; !slices.Equal(ends, want) {
		t.Errorf("runs end at %v, want %v", ends, want)
	}
}
