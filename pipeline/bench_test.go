package pipeline

import (
	"context"
	"fmt"
	"testing"

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
