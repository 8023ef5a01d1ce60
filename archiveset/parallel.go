package archiveset

import (
	"context"
	"runtime"
	"sync"
)

// Workers is the default number of parallel readers.
func Workers() int { return runtime.GOMAXPROCS(0) }

// parallel runs job for i in [0, n) on workers goroutines, each with its own
// fileReader, and returns the first error a job returns (the others are
// then cancelled) or the context's error. It reports the command's stage
// to the context's Progress: n files and the set's bytes.
func (s *Set) parallel(ctx context.Context, n, workers int, job func(ctx context.Context, r *fileReader, i int) error) error {
	progress := progressOf(ctx)
	progress.Begin("", n, s.bytes())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	work := make(chan int)
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.newFileReader()
			r.report = progress
			for i := range work {
				if err := job(ctx, r, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
				progress.Add(1, 0)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// bytes is what the set's files hold, decoded.
func (s *Set) bytes() int64 {
	var n int64
	for i := range s.Files {
		n += s.Files[i].Size
	}
	return n
}
