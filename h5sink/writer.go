package h5sink

// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Writer writes one HDF5 archive file. One goroutine owns it; several
// Writers may run at once (libhdf5 serialises their library calls).
type Writer struct {
	path   string
	opts   Options
	file   C.hid_t
	ctx    C.hv_wctx
	fd     *os.File           // second descriptor: payload pwrites and the final fsync
	groups map[string]C.hid_t // open group handles by path ("a", "a/b")
	dirty  int64              // payload bytes written since write-back was last started
	batch  batchArgs
	vec    [][]byte // writeRun's scratch: the payloads of one run
	done   bool
}

// libMu serialises the Writers' dataset creation. libhdf5 serialises every
// call anyway, but a thread waiting on its lock blocks inside C holding its
// Go P until sysmon takes the P back, so with two writers a core sat idle
// while compressors waited; waiting here parks only the goroutine.
var libMu sync.Mutex

// writebackEvery is how many payload bytes may sit dirty in the page cache
// before the writer starts their write-back (see startWriteback).
const writebackEvery = 16 << 20

var _ archive.BatchWriter = (*Writer)(nil)

// Create creates a new HDF5 archive file at path; it fails if path exists.
func Create(path string, o Options) (*Writer, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("h5sink: create %s: %w", path, fs.ErrExist)
	}
	cpath, free := cstr(path)
	defer free()
	fo := o.fileOptions()
	var e errBuf
	id := C.hv_fcreate(cpath, &fo, e.ptr())
	if id < 0 {
		return nil, fmt.Errorf("h5sink: create %s: %w", path, e.errAbout(path))
	}
	w := &Writer{path: path, opts: o, file: id, groups: make(map[string]C.hid_t)}
	if C.hv_wctx_init(&w.ctx, e.ptr()) < 0 {
		err := e.errAbout(w.path)
		w.Abort()
		return nil, fmt.Errorf("h5sink: create %s: %w", path, err)
	}
	fd, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("h5sink: create %s: %w", path, err)
	}
	w.fd = fd
	return w, nil
}

// Put stores payload as the 1-D int8 dataset named dataset and returns the
// payload's byte offset in the file (-1 for an empty payload).
func (w *Writer) Put(dataset string, payload []byte, a archive.DatasetAttrs) (int64, error) {
	if w.done {
		return -1, fmt.Errorf("h5sink: %s: put %q after Finish or Abort", w.path, dataset)
	}
	off, err := w.put(dataset, payload, a)
	if err != nil {
		return -1, &archive.PutError{File: w.path, Dataset: dataset, Err: err}
	}
	return off, nil
}

func (w *Writer) put(dataset string, payload []byte, a archive.DatasetAttrs) (int64, error) {
	loc, base, err := w.place(dataset, a)
	if err != nil {
		return -1, err
	}
	cname, free := cstr(base)
	defer free()
	ccomp, freeComp := cstr(a.Compression)
	defer freeComp()

	var data unsafe.Pointer
	if w.opts.H5Dwrite && len(payload) > 0 {
		data = unsafe.Pointer(&payload[0])
	}
	early := C.int(0)
	if !w.opts.H5Dwrite {
		early = 1
	}
	var off C.int64_t
	var e errBuf
	libMu.Lock()
	rc := C.hv_put(&w.ctx, loc, cname, data, C.int64_t(len(payload)), early, ccomp,
		C.int64_t(a.Chunk), C.int64_t(a.NumChunks), &off, e.ptr())
	libMu.Unlock()
	if rc < 0 {
		return -1, e.errAbout(w.path)
	}
	if !w.opts.H5Dwrite {
		if err := w.writePayload(payload, int64(off)); err != nil {
			return -1, err
		}
	}
	if w.opts.FlushEach {
		if C.hv_fflush(w.file, e.ptr()) < 0 {
			return -1, e.errAbout(w.path)
		}
	}
	return int64(off), nil
}

// place checks a dataset's name and attributes and returns the group it
// goes in (created on first use) and its name there.
func (w *Writer) place(dataset string, a archive.DatasetAttrs) (C.hid_t, string, error) {
	if err := archive.CleanDataset(dataset); err != nil {
		return -1, "", err
	}
	if a.Compression == "" {
		return -1, "", errors.New("no compression attribute")
	}
	if strings.IndexByte(a.Compression, 0) >= 0 {
		return -1, "", errors.New("compression attribute contains a NUL byte")
	}
	dir, base := "", dataset
	if i := strings.LastIndexByte(dataset, '/'); i >= 0 {
		dir, base = dataset[:i], dataset[i+1:]
	}
	loc, err := w.group(dir)
	return loc, base, err
}

// writePayload writes an early-allocated payload at its offset, outside the
// library lock: the space is allocated and HDF5 never writes raw data of a
// dataset with fill time "never".
func (w *Writer) writePayload(payload []byte, off int64) error {
	if len(payload) == 0 {
		return nil
	}
	if off < 0 {
		return errors.New("early allocation gave no file offset")
	}
	if _, err := w.fd.WriteAt(payload, off); err != nil {
		return err
	}
	w.wrote(int64(len(payload)))
	return nil
}

// wrote counts n more dirty payload bytes and starts their write-back
// every writebackEvery bytes.
func (w *Writer) wrote(n int64) {
	if w.dirty += n; w.dirty >= writebackEvery {
		startWriteback(w.fd)
		w.dirty = 0
	}
}

// PutBatch stores the payloads of batch with one library call for all their
// datasets, then writes the payloads. Creating a dataset touches libhdf5
// structures spread over megabytes; one call per dataset, between which the
// compressors run on the same cores, found them out of the CPU caches and
// took about twice as long per dataset (see BenchmarkPutBatch).
func (w *Writer) PutBatch(batch []archive.Put) (int, error) {
	if w.done {
		return 0, fmt.Errorf("h5sink: %s: put after Finish or Abort", w.path)
	}
	if w.opts.H5Dwrite || w.opts.FlushEach {
		for i := range batch {
			p := &batch[i]
			off, err := w.Put(p.Dataset, p.Payload, p.Attrs)
			if err != nil {
				return i, err
			}
			p.Offset = off
		}
		return 0, nil
	}
	if i, err := w.createBatch(batch); err != nil {
		return i, &archive.PutError{File: w.path, Dataset: batch[i].Dataset, Err: err}
	}
	for i := 0; i < len(batch); {
		j := contiguous(batch, i)
		if k, err := w.writeRun(batch[i:j]); err != nil {
			return i + k, &archive.PutError{File: w.path, Dataset: batch[i+k].Dataset, Err: err}
		}
		i = j
	}
	return 0, nil
}

// contiguous returns the end of the run of payloads from batch[i] on that
// lie back to back in the file. Early allocation places the payloads of a
// batch one after the other (metadata goes to its own blocks), so a batch
// of small files is mostly one run: one system call instead of one a file.
func contiguous(batch []archive.Put, i int) int {
	j := i + 1
	for j < len(batch) && len(batch[j].Payload) > 0 && len(batch[j-1].Payload) > 0 &&
		batch[j].Offset == batch[j-1].Offset+int64(len(batch[j-1].Payload)) {
		j++
	}
	return j
}

// writeRun writes a run of contiguous payloads; on failure it returns
// the index of the first payload not fully written.
func (w *Writer) writeRun(run []archive.Put) (int, error) {
	if len(run) == 1 {
		return 0, w.writePayload(run[0].Payload, run[0].Offset)
	}
	w.vec = w.vec[:0]
	for _, p := range run {
		w.vec = append(w.vec, p.Payload)
	}
	n, err := writeVec(w.fd, w.vec, run[0].Offset)
	clear(w.vec) // no payload references kept until the next batch
	if err != nil {
		k := 0
		for k < len(run)-1 && n >= int64(len(run[k].Payload)) {
			n -= int64(len(run[k].Payload))
			k++
		}
		return k, err
	}
	w.wrote(n)
	return 0, nil
}

// batchArgs is PutBatch's scratch space, kept between batches: the arrays
// hv_put_batch reads (Go memory without pointers, as cgo allows).
type batchArgs struct {
	locs                         []C.hid_t
	sizes, chunks, nchunks, offs []C.int64_t
	strs                         []byte
}

// createBatch creates the datasets of batch and sets their offsets.
func (w *Writer) createBatch(batch []archive.Put) (int, error) {
	b := &w.batch
	b.locs, b.strs = b.locs[:0], b.strs[:0]
	b.sizes, b.chunks, b.nchunks = b.sizes[:0], b.chunks[:0], b.nchunks[:0]
	for i, p := range batch {
		loc, base, err := w.place(p.Dataset, p.Attrs)
		if err != nil {
			return i, err
		}
		b.locs = append(b.locs, loc)
		b.strs = append(append(append(append(b.strs, base...), 0), p.Attrs.Compression...), 0)
		b.sizes = append(b.sizes, C.int64_t(len(p.Payload)))
		b.chunks = append(b.chunks, C.int64_t(p.Attrs.Chunk))
		b.nchunks = append(b.nchunks, C.int64_t(p.Attrs.NumChunks))
	}
	if len(batch) == 0 {
		return 0, nil
	}
	b.offs = append(b.offs[:0], make([]C.int64_t, len(batch))...)
	var failed C.int
	var e errBuf
	libMu.Lock()
	rc := C.hv_put_batch(&w.ctx, C.int(len(batch)), &b.locs[0], (*C.char)(unsafe.Pointer(&b.strs[0])),
		&b.sizes[0], &b.chunks[0], &b.nchunks[0], &b.offs[0], &failed, e.ptr())
	libMu.Unlock()
	if rc < 0 {
		return int(failed), e.errAbout(w.path)
	}
	for i := range batch {
		batch[i].Offset = int64(b.offs[i])
	}
	return 0, nil
}

// group returns the open handle of group dir ("" is the root), creating it
// and its parents on first use. The file is new, so the cache is the truth.
func (w *Writer) group(dir string) (C.hid_t, error) {
	if dir == "" {
		return w.file, nil
	}
	if g, ok := w.groups[dir]; ok {
		return g, nil
	}
	parent, base := "", dir
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		parent, base = dir[:i], dir[i+1:]
	}
	loc, err := w.group(parent)
	if err != nil {
		return -1, err
	}
	cname, free := cstr(base)
	defer free()
	var e errBuf
	g := C.hv_gcreate(loc, cname, e.ptr())
	if g < 0 {
		return -1, fmt.Errorf("group %q: %w", dir, e.errAbout(w.path))
	}
	w.groups[dir] = g
	return g, nil
}

// Finish writes the root attributes, closes every handle and fsyncs the file.
// On error the file is left for Abort to remove.
func (w *Writer) Finish(root archive.RootAttrs) error {
	if w.done {
		return fmt.Errorf("h5sink: %s: Finish after Finish or Abort", w.path)
	}
	if err := w.finishHDF5(root); err != nil {
		return err
	}
	err := w.fd.Sync()
	if cerr := w.fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("h5sink: %s: %w", w.path, err)
	}
	return nil
}

// finishHDF5 writes the root attributes and closes the file under libMu:
// the library would serialise these calls anyway, and one file at a time
// keeps a single C copy of the (possibly large) index in memory, not one
// per writer (100,000 files: a 27 MB index).
func (w *Writer) finishHDF5(root archive.RootAttrs) error {
	libMu.Lock()
	defer libMu.Unlock()
	if err := w.writeRoot(root); err != nil {
		return fmt.Errorf("h5sink: %s: root attributes: %w", w.path, err)
	}
	w.done = true
	if err := w.closeHDF5(); err != nil {
		w.fd.Close()
		return fmt.Errorf("h5sink: %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) writeRoot(r archive.RootAttrs) error {
	if err := writeAttrStr(w.file, archive.AttrDescription, r.Description, false); err != nil {
		return err
	}
	if err := writeAttrStr(w.file, archive.AttrVersion, r.Version, false); err != nil {
		return err
	}
	if err := writeAttrStr(w.file, archive.AttrInfo, r.Info, r.InfoNUL); err != nil {
		return err
	}
	if err := writeAttrInt(w.file, archive.AttrChunkSize, r.ChunkSize); err != nil {
		return err
	}
	if r.NumFiles > 1 {
		if err := writeAttrInt(w.file, archive.AttrFileNumber, int64(r.FileNumber)); err != nil {
			return err
		}
		if err := writeAttrInt(w.file, archive.AttrNumFiles, int64(r.NumFiles)); err != nil {
			return err
		}
	}
	return nil
}

// closeHDF5 closes the group handles, then the file (which writes the
// remaining metadata). Strong close degree makes a leaked handle an error.
func (w *Writer) closeHDF5() error {
	C.hv_wctx_free(&w.ctx)
	for k, g := range w.groups {
		closeID(g)
		delete(w.groups, k)
	}
	if w.file < 0 {
		return nil
	}
	var e errBuf
	rc := C.hv_fclose(w.file, e.ptr())
	w.file = -1
	if rc < 0 {
		return e.errAbout(w.path)
	}
	return nil
}

// Abort closes whatever is open and removes the file. Safe after any error,
// and after Finish failed.
func (w *Writer) Abort() error {
	w.done = true
	w.closeHDF5()
	if w.fd != nil {
		w.fd.Close()
	}
	if err := os.Remove(w.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("h5sink: abort %s: %w", w.path, err)
	}
	return nil
}

// Reopen opens an archive file a shard finished (create --shard) to add
// what only the whole set knows: the side index and the root attributes
// with the JSON index, through Put and Finish as for a new file. A side
// index an interrupted earlier Reopen left is removed first, so sealing
// again is safe.
func Reopen(path string) (*Writer, error) {
	cpath, free := cstr(path)
	defer free()
	var e errBuf
	libMu.Lock()
	id := C.hv_fopen_rw(cpath, e.ptr())
	libMu.Unlock()
	if id < 0 {
		return nil, fmt.Errorf("h5sink: reopen %s: %w", path, e.errAbout(path))
	}
	w := &Writer{path: path, file: id, groups: make(map[string]C.hid_t)}
	fail := func(err error) (*Writer, error) {
		w.done = true
		w.closeHDF5()
		if w.fd != nil {
			w.fd.Close()
		}
		return nil, fmt.Errorf("h5sink: reopen %s: %w", path, err)
	}
	if C.hv_wctx_init(&w.ctx, e.ptr()) < 0 {
		return fail(e.errAbout(w.path))
	}
	cname, freeName := cstr(archive.SideIndexName)
	defer freeName()
	if C.hv_unlink(id, cname, e.ptr()) < 0 {
		return fail(e.errAbout(w.path))
	}
	fd, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fail(err)
	}
	w.fd = fd
	return w, nil
}

// Close finishes a reopened file without removing it when it cannot be
// finished (Abort would remove a shard's work).
func (w *Writer) Close() {
	w.done = true
	w.closeHDF5()
	if w.fd != nil {
		w.fd.Close()
	}
}
