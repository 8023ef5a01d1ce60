package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// discard is a writer that keeps nothing, so the benchmark measures the
// pipeline (read, hash, compress, route) and not a container.
type discard struct{}

func (discard) Put(string, []byte, archive.DatasetAttrs) (int64, error) { return 0, nil }
func (discard) Finish(archive.RootAttrs) error                          { return nil }
func (discard) Abort() error                                            { return nil }

func benchRun(b *testing.B, compress bool) {
	files := map[string][]byte{}
	var total int64
	for i := range 32 {
		files[fmt.Sprintf("d/f%02d.tif", i)] = pattern(1<<20, byte(i))
		total += 1 << 20
	}
	src := writeTree(b, files)
	cfg := baseConfig(src, []archive.Writer{discard{}, discard{}})
	cfg.ChunkSize = archive.DefaultChunkSize
	cfg.MaxMemory = 128 << 20
	cfg.Compress = compress
	cfg.Jobs = 0
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		if _, err := Run(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunRaw(b *testing.B)      { benchRun(b, false) }
func BenchmarkRunCompress(b *testing.B) { benchRun(b, true) }

// BenchmarkRunSmallFiles archives 2,000 files of 8 KiB of 16-bit noise
// into discarding writers and reports files/s: the per-file cost of walk,
// read, hash, compress and route without a container.
func BenchmarkRunSmallFiles(b *testing.B) {
	const n, size = 2000, 8 << 10
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("d%02d/s%05d.dat", i/250, i)] = noise16(size, uint32(i))
	}
	src := writeTree(b, files)
	cfg := baseConfig(src, []archive.Writer{discard{}, discard{}})
	cfg.ChunkSize = archive.DefaultChunkSize
	cfg.MaxMemory = 128 << 20
	cfg.Jobs = 0
	b.SetBytes(n * size)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := Run(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "files/s")
}

// noise16 is n bytes of little-endian 16-bit values around 128, like a
// camera's dark background: compressible, but not a pattern.
func noise16(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed*2654435761 + 1
	for i := 0; i+1 < n; i += 2 {
		x = x*1664525 + 1013904223
		b[i] = byte(112 + (x>>24)%32)
	}
	return b
}

// BenchmarkEncodeJSON measures one pass over the JSON index of 10^5 small
// files (create makes two: it measures, then writes), per entry.
func BenchmarkEncodeJSON(b *testing.B) {
	const n = 100000
	es := make([]archive.Entry, n)
	for i := range es {
		es[i] = archive.Entry{Path: fmt.Sprintf("Plate1/d%04d/f%07d.tif", i/250, i), Size: 1024,
			Parts: []archive.SidePart{{Archive: i % 2, Compressed: true}}}
	}
	entry := func(i int) *archive.Entry { return &es[i] }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := measureJSON(n, entry); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}
