//go:build unix

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// random is incompressible content.
func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mappedRun runs cfg with testHookMapped set to hook (counting its calls).
func mappedRun(t *testing.T, cfg Config, hook func(p *part)) (*Result, int64, error) {
	t.Helper()
	var calls atomic.Int64
	testHookMapped = func(p *part) {
		calls.Add(1)
		if hook != nil {
			hook(p)
		}
	}
	t.Cleanup(func() { testHookMapped = nil })
	res, err := Run(context.Background(), cfg)
	return res, calls.Load(), err
}

// TestRunMappedParts: large parts go through the mapping path (split at a
// size that is not a multiple of the page size, compressible or not) and
// are stored exactly, next to small files that are read.
func TestRunMappedParts(t *testing.T) {
	const chunk = mapMin + 100
	files := map[string][]byte{
		"one.bin":      pattern(mapMin, 1),         // one part, compressible
		"noise.bin":    random(mapMin+5000, 2),     // two parts, the first stored raw
		"split.bin":    pattern(3*chunk+77, 3),     // four parts at unaligned offsets
		"exact.bin":    pattern(2*chunk, 4),        // exactly two parts
		"small.txt":    []byte("read, not mapped"), // below mapMin
		"d/zeros.raw":  make([]byte, 2*mapMin),
		"d/empty.file": {},
	}
	src := writeTree(t, files)
	ws, fw := fakes(2)
	cfg := baseConfig(src, ws)
	cfg.ChunkSize = chunk
	cfg.MaxMemory = 8 * chunk // room for a few parts only: the budget is exercised
	res, calls, err := mappedRun(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 11 {
		t.Errorf("%d parts went through the mapping path, want 11", calls)
	}
	if res.HighWater > cfg.MaxMemory {
		t.Errorf("pool high water %d exceeds the budget %d", res.HighWater, cfg.MaxMemory)
	}
	checkStored(t, files, fw, res, chunk)
}

// TestRunMappedNotUsed: without compression, or when blocks are compressed
// by the encoder's own goroutines (-t 2), nothing is mapped.
func TestRunMappedNotUsed(t *testing.T) {
	files := map[string][]byte{"big.bin": pattern(2*mapMin, 1)}
	for _, tc := range []struct {
		name string
		set  func(*Config)
	}{
		{"-m none", func(c *Config) { c.Compress = false }},
		{"-t 2", func(c *Config) { c.Blosc.Threads = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, fw := fakes(1)
			cfg := baseConfig(writeTree(t, files), ws)
			cfg.ChunkSize, cfg.MaxMemory = 4*mapMin, 16*mapMin
			tc.set(&cfg)
			res, calls, err := mappedRun(t, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if calls != 0 {
				t.Errorf("%d parts mapped", calls)
			}
			checkStored(t, files, fw, res, cfg.ChunkSize)
		})
	}
}

// TestRunMappedFileTruncated: a file truncated after it was mapped makes
// the compressor fault on the missing pages; the run fails naming the file
// instead of crashing.
func TestRunMappedFileTruncated(t *testing.T) {
	src := writeTree(t, map[string][]byte{"cut.bin": pattern(4*mapMin, 1)})
	ws, fw := fakes(1)
	cfg := baseConfig(src, ws)
	cfg.ChunkSize, cfg.MaxMemory = 8*mapMin, 32*mapMin
	_, calls, err := mappedRun(t, cfg, func(p *part) {
		if err := os.Truncate(filepath.Join(src, p.file.Rel), 100); err != nil {
			t.Error(err)
		}
	})
	if calls != 1 || err == nil || !errors.Is(err, errShrank) || !containsAll(err.Error(), "cut.bin", "shrank") {
		t.Fatalf("calls %d, err = %v", calls, err)
	}
	if fw[0].finished || len(fw[0].dsets) != 0 {
		t.Fatal("a truncated file reached the archive")
	}
}

// TestRunMappedFileModified: a file rewritten in place (same size) after the
// reader hashed it but before the compressor read it fails the run: the
// stored bytes would not match the stored checksum. Putting its old mtime
// back does not hide the write.
func TestRunMappedFileModified(t *testing.T) {
	for _, restore := range []bool{false, true} {
		t.Run(fmt.Sprint("mtime restored=", restore), func(t *testing.T) {
			src := writeTree(t, map[string][]byte{"live.bin": pattern(2*mapMin, 1)})
			ws, fw := fakes(1)
			cfg := baseConfig(src, ws)
			cfg.ChunkSize, cfg.MaxMemory = 4*mapMin, 16*mapMin
			_, _, err := mappedRun(t, cfg, func(p *part) {
				fi, err := os.Stat(filepath.Join(src, p.file.Rel))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(src, p.file.Rel), pattern(2*mapMin, 9), 0o640); err != nil {
					t.Error(err)
				}
				// Coarse file-system clocks could leave the mtime as it was.
				at := time.Now().Add(time.Second)
				if restore {
					at = fi.ModTime()
				}
				if err := os.Chtimes(filepath.Join(src, p.file.Rel), at, at); err != nil {
					t.Error(err)
				}
			})
			if err == nil || !errors.Is(err, errModified) || !containsAll(err.Error(), "live.bin", "changed while being read") {
				t.Fatalf("err = %v", err)
			}
			if fw[0].finished || len(fw[0].dsets) != 0 {
				t.Fatal("a modified file reached the archive")
			}
		})
	}
}

// TestGuard: a fault on a mapping whose file was truncated is an error, and
// other panics still panic.
func TestGuard(t *testing.T) {
	p := t.TempDir() + "/f"
	if err := os.WriteFile(p, pattern(4*mapMin, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, whole, err := mapPart(f, mapMin+1, 2*mapMin)
	if err != nil {
		t.Fatal(err)
	}
	defer unmap(whole)
	if data[0] != pattern(4*mapMin, 1)[mapMin+1] {
		t.Fatal("mapping starts at the wrong byte")
	}
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	var sum byte
	err = guard(func() error {
		for _, b := range data {
			sum += b
		}
		return nil
	})
	if !errors.Is(err, errShrank) {
		t.Fatalf("reading a truncated mapping: err = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a panic that is not a fault was swallowed")
		}
	}()
	guard(func() error { panic("not a fault") })
}
