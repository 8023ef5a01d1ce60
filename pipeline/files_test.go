package pipeline

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/hdf5vault/hdf5vault/walker"
)

// TestFileListBytesPerFile: what create keeps per file until the index is
// built is what grows with a million files. A record of a one-part file
// with a 23-byte path (the 10^6-file test tree's) must take at most 160
// bytes of heap, its part and path included (128 now). Main before took 209
// here (a record of 128 bytes, its parts slice and the path string, each
// its own allocation), and in a run the walker's full path besides, which
// at 10^6 files came to twice that in RSS with the collector's headroom.
func TestFileListBytesPerFile(t *testing.T) {
	const n = 100_000
	var l fileList
	before := heapAfterGC()
	for i := range n {
		// A fresh string per file, as the walker gives: keeping it would count.
		e := walker.Entry{Rel: fmt.Sprintf("small/d%04d/s%06d.dat", i/250, i), Path: "unused", Size: 1024}
		f := l.add(e, 1<<30)
		f.parts[0] = storedPart{archive: 1, offset: int64(i) << 10, stored: 900, comp: true}
		f.hashed = true
	}
	per := float64(heapAfterGC()-before) / n
	runtime.KeepAlive(&l)
	t.Logf("%.0f bytes of heap per file", per)
	if per > 160 {
		t.Errorf("%.0f bytes of heap per file kept until the index is built, want at most 160", per)
	}
	var res Result
	recs, err := l.stored(&res)
	if err != nil || len(recs) != n || res.Files != n || res.Parts != n || res.StoredBytes != 900*n {
		t.Fatalf("stored: %d records, %+v, %v", len(recs), res, err)
	}
	for i, f := range recs {
		if want := fmt.Sprintf("small/d%04d/s%06d.dat", i/250, i); f.Rel != want || f.parts[0].offset != int64(i)<<10 {
			t.Fatalf("record %d: %q at %d, want %q at %d", i, f.Rel, f.parts[0].offset, want, i<<10)
		}
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
