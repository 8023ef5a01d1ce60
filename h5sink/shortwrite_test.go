//go:build linux

package h5sink

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestPutBatchShortWrite: when the one pwritev of a run of payloads writes
// only part of them (here the file size limit stops it 10 bytes into a
// payload that is not the run's first, and the retry of the rest fails
// with EFBIG), PutBatch names that payload, not the run's first.
// Not parallel: the limit is the process's, and Go ignores SIGXFSZ, so a
// write beyond it fails instead of killing the test.
func TestPutBatchShortWrite(t *testing.T) {
	none := archive.DatasetAttrs{Compression: "None"}
	names := []string{"d/a", "d/b", "d/c", "d/e", "d/f", "d/g", "d/h", "d/i"}
	batch := func() []archive.Put {
		b := make([]archive.Put, len(names))
		for i, n := range names {
			b[i] = archive.Put{Dataset: n, Payload: bytes.Repeat([]byte{byte('a' + i)}, 1000), Attrs: none}
		}
		return b
	}
	// The same calls on a fresh file place the payloads where a first
	// run shows them.
	put := func(path string) (*Writer, []archive.Put, int, error) {
		w, err := Create(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b := batch()
		i, err := w.PutBatch(b)
		return w, b, i, err
	}
	w, first, _, err := put(filepath.Join(t.TempDir(), "probe.h5"))
	w.Abort()
	if err != nil {
		t.Fatal(err)
	}
	// The first payload that follows the one before it back to back.
	cut := 1
	for cut < len(first) && first[cut].Offset != first[cut-1].Offset+int64(len(first[cut-1].Payload)) {
		cut++
	}
	if cut == len(first) {
		t.Fatalf("no two payloads back to back: %+v", first)
	}
	for _, p := range first[:cut] {
		if p.Offset+int64(len(p.Payload)) > first[cut].Offset {
			t.Fatalf("a payload before %s lies after it", names[cut])
		}
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limit := uint64(first[cut].Offset + 10)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Skipf("cannot lower the file size limit: %v", err)
	}
	w, _, i, err := put(filepath.Join(t.TempDir(), "short.h5"))
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	w.Abort()
	var pe *archive.PutError
	if i != cut || !errors.As(err, &pe) || pe.Dataset != names[cut] || !errors.Is(err, syscall.EFBIG) || !strings.Contains(err.Error(), names[cut]) {
		t.Fatalf("PutBatch failed at %d with %v; want %d, %s, EFBIG", i, err, cut, names[cut])
	}
}
