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
	return fanOut(ctx, s, "", max(1, min(workers, n)), n, func(ctx context.Context, send func(int) error) error {
		for i := range n {
			if err := send(i); err != nil {
				return err
			}
		}
		return nil
	}, func(ctx context.Context, r *fileReader, i int) error {
		defer progress.Add(1, 0)
		return job(ctx, r, i)
	})
}

// parallelFiles runs job for every file of the set, in path order as the
// walk hands them out, on workers goroutines, each with its own
// fileReader. The walk streams: files are not collected first. It returns
// the first error of a job or of the walk (the rest is then cancelled).
func (s *Set) parallelFiles(ctx context.Context, workers int, job func(ctx context.Context, r *fileReader, f *File) error) error {
	return s.fanFiles(ctx, "", workers, job, nil)
}

// batchFiles is how many files, neighbours in path order, a worker is
// handed at once: one hand-off per batch instead of per file, and the
// small payloads of neighbours, written close together, are read in one
// window (fileReader.window).
const batchFiles = 256

// fanFiles is parallelFiles reporting as the given stage. walked, if not
// nil, sees every file in path order as the walk hands it out, on the
// walk's goroutine.
func (s *Set) fanFiles(ctx context.Context, stage string, workers int, job func(ctx context.Context, r *fileReader, f *File) error, walked func(*File)) error {
	progress := progressOf(ctx)
	return fanOut(ctx, s, stage, max(1, workers), int(s.Len()), func(ctx context.Context, send func([]*File) error) error {
		batch := make([]*File, 0, batchFiles)
		err := s.Walk(ctx, func(f *File) error {
			if walked != nil {
				walked(f)
			}
			if batch = append(batch, f); len(batch) < batchFiles {
				return nil
			}
			err := send(batch)
			batch = make([]*File, 0, batchFiles) // the worker owns the one sent
			return err
		})
		if err == nil && len(batch) > 0 {
			err = send(batch)
		}
		return err
	}, func(ctx context.Context, r *fileReader, batch []*File) error {
		defer func() { r.next = nil }()
		for i, f := range batch {
			r.next = batch[i:]
			if err := job(ctx, r, f); err != nil {
				return err
			}
			progress.Add(1, 0)
		}
		return nil
	})
}

// fanOut runs job on workers goroutines for every item feed sends (n
// files in all, for the progress report). The first error of a job or of
// feed cancels the rest and is returned (a job's first); otherwise the
// context's error.
func fanOut[T any](ctx context.Context, s *Set, stage string, workers, n int, feed func(ctx context.Context, send func(T) error) error,
	job func(ctx context.Context, r *fileReader, item T) error) error {
	progress := progressOf(ctx)
	progress.Begin(stage, n, s.bytes())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	work := make(chan T, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.newFileReader()
			r.report = progress
			for item := range work {
				if err := job(ctx, r, item); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	ferr := feed(ctx, func(item T) error {
		select {
		case work <- item:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	switch {
	case first != nil:
		return first
	case ferr != nil:
		return ferr
	}
	return ctx.Err()
}

// bytes is what the set's files hold, decoded; 0 (not known up front) for
// a set read through its side index, which is not walked twice for it.
func (s *Set) bytes() int64 {
	var n int64
	for i := range s.Files {
		if !s.sel.Match(s.Files[i].Path) {
			continue
		}
		n += s.Files[i].Size
	}
	return n
}
