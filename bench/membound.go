package bench

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"golang.org/x/sync/errgroup"
)

// LoadTree reads every regular file under dir into memory.
func LoadTree(dir string) ([][]byte, error) {
	var files [][]byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		files = append(files, b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return files, nil
}

// CompressBound compresses every file (in parts of archive.DefaultChunkSize,
// as create splits them) with one encoder per goroutine on workers
// goroutines, with no I/O: the speed create could reach at best with opts.
func CompressBound(ctx context.Context, files [][]byte, opts blosc.Options, workers int) (Result, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	res := Result{Setting: Setting{opts.Codec.String(), opts.Level, workers, 0}, Op: OpMemory, Files: len(files)}
	var parts [][]byte
	for _, f := range files {
		res.Bytes += int64(len(f))
		for len(f) > archive.DefaultChunkSize {
			parts = append(parts, f[:archive.DefaultChunkSize])
			f = f[archive.DefaultChunkSize:]
		}
		parts = append(parts, f)
	}
	var next, stored atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	start := time.Now()
	for range workers {
		g.Go(func() error {
			enc, err := blosc.NewEncoder(opts)
			if err != nil {
				return err
			}
			var dst []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(parts) || ctx.Err() != nil {
					return ctx.Err()
				}
				dst, err = enc.EncodeAll(parts[i], dst[:0])
				if err != nil {
					return fmt.Errorf("bench: compress part %d: %w", i, err)
				}
				stored.Add(int64(len(dst)))
			}
		})
	}
	err := g.Wait()
	res.Wall = time.Since(start)
	res.Stored = stored.Load()
	return res, err
}
