package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"runtime/debug"

	"golang.org/x/sync/errgroup"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/walker"
)

// Config is one archiving run.
type Config struct {
	Source    string
	Walk      walker.Options // Walk.SkipUnreadable is set from SkipUnreadable
	ChunkSize int64          // split size (archive.DefaultChunkSize if 0)
	Compress  bool           // false: -m none, every payload raw
	Blosc     blosc.Options
	Jobs      int   // compressor goroutines; 0: all CPUs
	Readers   int   // files read at once; 0: a default from Jobs
	MaxMemory int64 // bytes of part buffers in flight (see Pool)

	// Writers are the open archive files of the set, in archive-number order.
	// Run writes every payload and calls Finish on each; the caller renames
	// them on success and aborts them on error.
	Writers []archive.Writer
	Names   []string          // final names of Writers' files, for messages (optional)
	Root    archive.RootAttrs // Description, Version, ChunkSize; numbers and Info are filled in

	// A shard of a set written by several runs (create --shard): Select
	// keeps the walked files this run stores (nil: all), FirstArchive is the
	// set's number of Writers[0] and Members the set's size (0: len(Writers)).
	// With Deferred the writers are finished without either index, and
	// Result.Entries carries this run's part of it for whoever seals the set.
	Select       func(walker.Entry) bool
	FirstArchive int
	Members      int
	Deferred     bool

	SkipUnreadable bool
	Progress       Progress // nil: none
	// Open opens a source file; nil: the lean opener (openLean), which
	// also refuses a file that became a symlink since the walk unless the
	// walk follows them. Tests inject faults here.
	Open func(path string) (File, error)
}

// File is what the reader needs of an open source file (*os.File is one).
type File interface {
	Read(p []byte) (int, error)
	Stat() (fs.FileInfo, error)
	Close() error
}

// Result is what a run stored. A failed run's Result holds what was
// counted before the failure: the walk's findings and the files skipped.
type Result struct {
	Walk        *walker.Stats
	Files       int64
	Parts       int64
	RawBytes    int64
	StoredBytes int64
	Archives    []ArchiveStats
	Unreadable  []walker.Skip   // walk and read failures listed because of SkipUnreadable
	HighWater   int64           // the buffer pool's peak
	Entries     []archive.Entry // Deferred: the stored files in path order
}

// ArchiveStats is one archive file's share.
type ArchiveStats struct {
	Parts  int64
	Stored int64 // payload bytes
}

// Run archives cfg.Source into cfg.Writers: a walker streams files into a
// bounded channel, readers read and hash them part by part into pool
// buffers, a pool of compressors encodes the parts, and one goroutine per
// archive file stores them. The index is built when every payload is stored,
// then every writer is finished with the same index. The first error (or
// the context's end) stops every stage; the error names the file.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	if len(cfg.Writers) == 0 {
		return nil, errors.New("no archive writers")
	}
	r := newRun(cfg)
	err := r.store(ctx)
	r.pool.Close() // every part is released by now: only idle buffers are left
	if err != nil {
		return r.res, err // every stage has ended: the result is no longer written to
	}
	return r.finish(ctx)
}

func (c *Config) defaults() {
	if c.ChunkSize <= 0 {
		c.ChunkSize = archive.DefaultChunkSize
	}
	if c.Jobs <= 0 {
		c.Jobs = runtime.NumCPU()
	}
	if c.Readers <= 0 {
		c.Readers = min(max(c.Jobs/2, 2), 8)
	}
	if c.Progress == nil {
		c.Progress = NoProgress{}
	}
	if c.Members <= 0 {
		c.Members = len(c.Writers)
	}
	if c.Select == nil {
		c.Select = func(walker.Entry) bool { return true }
	}
	c.Walk.SkipUnreadable = c.SkipUnreadable
}

// run is the state shared by the stages of one Run.
type run struct {
	cfg    Config
	pool   *Pool
	router *router
	res    *Result
	files  *fileList
	root   *walker.Root // the readers open files through it (open_linux.go)
}

func newRun(cfg Config) *run {
	return &run{
		cfg:    cfg,
		pool:   NewPool(cfg.MaxMemory),
		router: newRouter(len(cfg.Writers), cfg.Source),
		res:    &Result{Archives: make([]ArchiveStats, len(cfg.Writers))},
		files:  &fileList{},
	}
}

// store runs every stage until each payload is written.
func (r *run) store(ctx context.Context) error {
	root, err := walker.OpenRoot(r.cfg.Source, r.cfg.Walk.FollowSymlinks)
	if err != nil {
		return fmt.Errorf("source %s: %w", r.cfg.Source, err)
	}
	defer root.Close() // after g.Wait: every reader is done with it
	r.root = root
	g, ctx := errgroup.WithContext(ctx)

	// entries: the walk runs ahead of the readers by at most this many small
	// structs, enough to hide a slow directory listing; never the whole tree.
	entries := make(chan walked, 1024)
	// parts: each item already holds reserved pool buffers, so the capacity
	// adds no memory beyond the budget; one per compressor keeps them busy.
	parts := make(chan *part, r.cfg.Jobs)
	// toWriter: at least a slot per compressor, so that no compressor waits
	// while a writer stores an earlier payload (with one slot they waited
	// about 1% of a run), and room for a writer's next batch (maxBatch);
	// the payloads are pool memory, so the capacity adds nothing beyond the
	// budget.
	toWriter := make([]chan *part, len(r.cfg.Writers))
	for i := range toWriter {
		toWriter[i] = make(chan *part, max(r.cfg.Jobs, maxBatch))
	}

	scanDone := r.startScan(ctx, g)
	g.Go(func() error {
		defer close(entries)
		defer scanDone()
		return r.walk(ctx, entries)
	})
	readers, rctx := errgroup.WithContext(ctx)
	for range r.cfg.Readers {
		readers.Go(func() error { return r.read(rctx, entries, parts) })
	}
	g.Go(func() error {
		defer close(parts)
		return readers.Wait()
	})
	compressors, cctx := errgroup.WithContext(ctx)
	for range r.cfg.Jobs {
		compressors.Go(func() error { return r.compress(cctx, parts, toWriter) })
	}
	g.Go(func() error {
		defer func() {
			for _, c := range toWriter {
				close(c)
			}
		}()
		return compressors.Wait()
	})
	for i, w := range r.cfg.Writers {
		g.Go(func() error { return r.write(ctx, i, w, toWriter[i]) })
	}
	err = g.Wait()
	if err != nil {
		r.drain(parts, toWriter)
	}
	return err
}

// drain returns the buffers of parts left in the channels after a failure,
// so a pool shared with a test sees everything come back.
func (r *run) drain(parts chan *part, toWriter []chan *part) {
	for p := range parts {
		r.release(p)
	}
	for _, c := range toWriter {
		for p := range c {
			r.release(p)
		}
	}
}

// walked is a file on its way from the walk to a reader: its record and
// what the walk's stat said of it (only while in flight: the records of a
// million files must stay small).
type walked struct {
	f    *fileRec
	seen fs.FileInfo
}

// walk streams the tree into entries, each file as one record.
func (r *run) walk(ctx context.Context, entries chan<- walked) error {
	st, err := walker.Walk(ctx, r.cfg.Source, r.cfg.Walk, func(e walker.Entry) error {
		if !r.cfg.Select(e) {
			return nil
		}
		f := r.files.add(e, r.cfg.ChunkSize)
		select {
		case entries <- walked{f, e.Info}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	r.res.Walk = st
	return err
}

// startScan counts the tree concurrently for the progress total (a scanner
// that only counts, so the total is honest early); its errors do not matter,
// the real walk reports them. The returned func stops it when the walk is done.
func (r *run) startScan(ctx context.Context, g *errgroup.Group) (stop func()) {
	if _, quiet := r.cfg.Progress.(NoProgress); quiet {
		return func() {} // nobody looks at the total: spare a second lstat per file
	}
	sctx, cancel := context.WithCancel(ctx)
	o := r.cfg.Walk
	o.Warn, o.Note, o.SkipUnreadable = nil, nil, true
	var files, bytes int64
	g.Go(func() error {
		walker.Walk(sctx, r.cfg.Source, o, func(e walker.Entry) error {
			if !r.cfg.Select(e) {
				return sctx.Err()
			}
			files++
			bytes += e.Size
			if files%1000 == 0 {
				r.cfg.Progress.Total(files, bytes, false)
			}
			return sctx.Err()
		})
		return nil
	})
	return func() {
		cancel()
		if st := r.res.Walk; st != nil {
			r.cfg.Progress.Total(st.Files, st.Bytes, true)
		}
	}
}

// bigIndex is the index size from which finish returns freed memory to the
// OS at once (a forced GC, a few ms per MB of index; about 8,000 files and up).
const bigIndex = 1 << 20

// finish builds the indexes and finishes every writer with them: the side
// index as one more payload, the JSON as the root attribute. They are made
// one after the other so that their peaks do not add up: the side index is
// stored in every member and dropped before the JSON is written out, and
// the records are dropped before libhdf5 copies the JSON (twice, into its
// global heap and that heap's file image, one member at a time).
func (r *run) finish(ctx context.Context) (*Result, error) {
	recs, err := r.files.stored(r.res)
	if err != nil {
		return nil, err
	}
	r.files = nil
	if r.cfg.Deferred {
		return r.finishDeferred(ctx, recs)
	}
	r.res.HighWater = r.pool.HighWater()
	info, err := r.indexes(ctx, recs)
	if err != nil {
		return nil, err
	}
	if len(info) >= bigIndex {
		// Hand the records, the index builder's garbage, the encoders'
		// garbage and the idle small buffers back to the OS before libhdf5
		// makes its copies of the index, so the peaks do not add up:
		// 100,000 files of 1 KiB peaked at 386 MB RSS without this, and
		// at 208 MiB when it was done only from 16 MB of index (their
		// index is 12 MB) against 168 MiB with it.
		debug.FreeOSMemory()
	}
	// One string shared by every writer (Indexes): the index of 100,000
	// files is 12-27 MB.
	g, _ := errgroup.WithContext(ctx)
	for i, w := range r.cfg.Writers {
		root := r.rootAttrs(i)
		root.Info, root.InfoNUL = info, true
		g.Go(func() error {
			if err := w.Finish(root); err != nil {
				return fmt.Errorf("archive file %d: %w", i, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return r.res, ctx.Err()
}

// indexes stores the side index in every member and returns the JSON
// index, built after the side index is dropped (Indexes builds both).
func (r *run) indexes(ctx context.Context, recs []*fileRec) (string, error) {
	defer collectSooner()()
	entry := entries(recs, r.cfg.ChunkSize)
	ix, err := measureJSON(len(recs), entry)
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	side, err := ix.side(len(recs), entry, r.cfg.Members, r.cfg.ChunkSize)
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	if err := r.putSide(ctx, side); err != nil {
		return "", err
	}
	if len(side) >= bigIndex {
		debug.FreeOSMemory() // the side index (dead from here) and the first pass's garbage
	}
	info, err := ix.json(len(recs), entry)
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	return info, nil
}

// putSide stores the side index in every member.
func (r *run) putSide(ctx context.Context, side []byte) error {
	g, _ := errgroup.WithContext(ctx)
	for i, w := range r.cfg.Writers {
		g.Go(func() error {
			if _, err := w.Put(archive.SideIndexName, side, archive.DatasetAttrs{Compression: archive.MethodNone}); err != nil {
				return fmt.Errorf("storing the side index in %s: %w", r.member(i, err), reason(err))
			}
			return nil
		})
	}
	return g.Wait()
}

func (r *run) rootAttrs(i int) archive.RootAttrs {
	root := r.cfg.Root
	root.NumFiles, root.FileNumber = r.cfg.Members, r.cfg.FirstArchive+i
	if root.ChunkSize == 0 {
		root.ChunkSize = r.cfg.ChunkSize
	}
	return root
}

// finishDeferred finishes the writers of a shard without the indexes,
// which are written when the set is sealed, and hands its entries back.
func (r *run) finishDeferred(ctx context.Context, recs []*fileRec) (*Result, error) {
	r.res.HighWater = r.pool.HighWater()
	r.res.Entries = make([]archive.Entry, len(recs))
	for i, f := range recs {
		r.res.Entries[i] = f.entry(r.cfg.ChunkSize, nil)
	}
	for i, w := range r.cfg.Writers {
		if err := w.Finish(r.rootAttrs(i)); err != nil {
			return nil, fmt.Errorf("archive file %d: %w", r.cfg.FirstArchive+i, err)
		}
	}
	return r.res, ctx.Err()
}
