package h5sink

// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
)

// maxNonContiguous bounds a payload that is not stored contiguously (and so
// cannot be checked against the file's size before reading): no part can be
// larger than the Blosc2 chunk limit plus a chunk header.
const maxNonContiguous = archive.MaxPayload

// Reader reads one HDF5 archive file. It is safe for concurrent use;
// contiguous payloads are read with pread, outside libhdf5's lock.
type Reader struct {
	path string
	size int64 // file size at Open
	fd   *os.File
	root archive.RootAttrs

	mu     sync.RWMutex // Close waits for reads in flight
	closed bool
	file   C.hid_t // libhdf5's handle; -1 when the probe child reads the metadata

	probe    *prober      // nil: per-dataset libhdf5 calls run in this process
	singles  atomic.Int64 // Stats asked of the child one at a time (statsBeforeScan)
	scanOnce sync.Once    // the scan child runs once singles are used up
	scan     *scan
	scanErr  error

	viaLibrary bool // tests and benchmarks: read contiguous payloads with H5Dread too
}

var _ archive.Reader = (*Reader)(nil)

// Open opens an HDF5 archive file and reads its root attributes. After
// UseProbe, the probe child makes every libhdf5 call on the file and this
// process makes none (probe.go).
func Open(path string) (*Reader, error) {
	p := probe.Load()
	if p == nil {
		return openDirect(path)
	}
	fd, size, err := openFD(path)
	if err != nil {
		return nil, err
	}
	root, err := p.open(path)
	if err != nil {
		fd.Close()
		return nil, err
	}
	return &Reader{path: path, size: size, fd: fd, root: root, file: -1, probe: p}, nil
}

// openFD opens path for the payload reads and returns its size.
func openFD(path string) (*os.File, int64, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("h5sink: open %s: %w", path, pathless(err))
	}
	st, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, 0, fmt.Errorf("h5sink: open %s: %w", path, pathless(err))
	}
	return fd, st.Size(), nil
}

// pathless is err without the path an *fs.PathError repeats: the message
// around it names the file once.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openDirect opens path with libhdf5 in this process.
func openDirect(path string) (*Reader, error) {
	fd, size, err := openFD(path)
	if err != nil {
		return nil, err
	}
	cpath, free := cstr(path)
	defer free()
	var e errBuf
	id := C.hv_fopen(cpath, e.ptr())
	if id < 0 {
		fd.Close()
		if err := e.errAbout(path); archive.IsFailure(err) {
			return nil, fmt.Errorf("h5sink: open %s: %w", path, err)
		}
		return nil, fmt.Errorf("h5sink: open %s: not a readable HDF5 file (truncated or damaged?): %w", path, archive.Damaged(e.errAbout(path)))
	}
	r := &Reader{path: path, size: size, fd: fd, file: id}
	if r.root, err = readRoot(id); err != nil {
		r.Close()
		return nil, fmt.Errorf("h5sink: open %s: %w", path, classify(err))
	}
	return r, nil
}

// readRoot reads the root attributes but the JSON index (see Info).
// Absent ones stay zero, except NumFiles, which reads as 1 (a
// single-file archive does not store it).
func readRoot(id C.hid_t) (archive.RootAttrs, error) {
	var r archive.RootAttrs
	strs := []struct {
		name string
		dst  *string
	}{
		{archive.AttrDescription, &r.Description},
		{archive.AttrVersion, &r.Version},
	}
	for _, s := range strs {
		v, _, err := readAttrStr(id, s.name)
		if err != nil {
			return r, fmt.Errorf("attribute %s: %w", s.name, err)
		}
		*s.dst = v
	}
	var err error
	if r.ChunkSize, _, err = readAttrInt(id, archive.AttrChunkSize); err != nil {
		return r, fmt.Errorf("attribute %s: %w", archive.AttrChunkSize, err)
	}
	n, ok, err := readAttrInt(id, archive.AttrNumFiles)
	if err != nil {
		return r, fmt.Errorf("attribute %s: %w", archive.AttrNumFiles, err)
	}
	r.NumFiles = 1
	if ok {
		if n < 1 || n > 1<<20 {
			return r, fmt.Errorf("attribute %s: implausible value %d", archive.AttrNumFiles, n)
		}
		r.NumFiles = int(n)
	}
	k, _, err := readAttrInt(id, archive.AttrFileNumber)
	if err != nil {
		return r, fmt.Errorf("attribute %s: %w", archive.AttrFileNumber, err)
	}
	if k < 0 || k >= int64(r.NumFiles) {
		return r, fmt.Errorf("attribute %s: %d outside the set of %d", archive.AttrFileNumber, k, r.NumFiles)
	}
	r.FileNumber = int(k)
	return r, nil
}

// Root returns the root attributes read at Open.
func (r *Reader) Root() archive.RootAttrs { return r.root }

// Info reads the JSON index attribute, "" if there is none: a
// variable-length string (every writer's) straight from the file with one
// copy, never through libhdf5's reading of its heap (InfoReader).
func (r *Reader) Info() (string, error) {
	rd, n, err := r.InfoReader()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(int(n))
	if _, err := io.CopyN(&b, rd, n); err != nil {
		return "", r.infoErr(readErr(err))
	}
	return b.String(), nil
}

// InfoSum is the XXH3-64 of the JSON index attribute (of "" if there is
// none), streamed: no copy of a possibly huge attribute is held.
func (r *Reader) InfoSum() (uint64, error) {
	rd, _, err := r.InfoReader()
	if err != nil {
		return 0, err
	}
	h := xxh3.New()
	if _, err := io.CopyBuffer(h, rd, make([]byte, 1<<20)); err != nil {
		return 0, r.infoErr(err)
	}
	return h.Sum64(), nil
}

// InfoReader returns the JSON index attribute's bytes as a stream of n
// bytes, n known before any is read: a variable-length string is found in
// its global heap collection (globalheap.go) and read from the file with
// pread, so neither libhdf5 nor the probe child copies it. Only a
// fixed-length string, or a reference of an unusual size, is read through
// libhdf5, after its size is checked against the file's. It reads nothing
// more after Close.
func (r *Reader) InfoReader() (io.Reader, int64, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return nil, 0, fmt.Errorf("h5sink: %s: reader is closed", r.path)
	}
	var p strPlace
	var err error
	if r.probe != nil {
		p, err = r.probe.infoPlace(r.path)
	} else {
		p, err = readAttrPlace(r.file, archive.AttrInfo)
		err = classifyIf(err)
	}
	if err != nil {
		return nil, 0, r.infoErr(err)
	}
	switch {
	case p.absent || p.kind == C.HV_STR_VLEN && p.ref.Len == 0:
		return strings.NewReader(""), 0, nil
	case p.kind == C.HV_STR_VLEN:
		off, err := heapObject(r.fd, r.size, p.ref)
		if err != nil {
			return nil, 0, r.infoErr(err)
		}
		n := int64(p.ref.Len)
		return io.NewSectionReader(r.fd, off, n), n, nil
	case p.kind == C.HV_STR_FIXED && p.fixed > r.size:
		return nil, 0, r.infoErr(archive.Damaged(fmt.Errorf("a string of %d bytes in a file of %d", p.fixed, r.size)))
	}
	info, err := r.infoLibrary()
	if err != nil {
		return nil, 0, err
	}
	return strings.NewReader(info), int64(len(info)), nil
}

// infoLibrary reads the JSON index attribute through libhdf5.
func (r *Reader) infoLibrary() (string, error) {
	if r.probe != nil {
		return r.probe.info(r.path) // read by the probe child, only when asked
	}
	v, _, err := readAttrStr(r.file, archive.AttrInfo)
	if err != nil {
		return "", r.infoErr(classify(err))
	}
	return v, nil
}

func (r *Reader) infoErr(err error) error {
	return fmt.Errorf("h5sink: %s: attribute %s: %w", r.path, archive.AttrInfo, err)
}

// classifyIf is classify, keeping nil.
func classifyIf(err error) error {
	if err == nil {
		return nil
	}
	return classify(err)
}

// Size is the file's size at Open.
func (r *Reader) Size() int64 { return r.size }

// PayloadAt reads size bytes at off with pread, outside libhdf5.
func (r *Reader) PayloadAt(off, size int64, dst []byte) ([]byte, error) {
	dst, err := archive.ReadPayloadAt(r.fd, r.size, off, size, dst)
	if err != nil {
		return dst, fmt.Errorf("h5sink: %s: %w", r.path, err)
	}
	return dst, nil
}

// Stat describes a payload dataset: size, offset and storage. It does not
// read the dataset's attributes (Attrs is left empty): the index says what
// they say, and libhdf5 crashes on some damaged attribute messages.
func (r *Reader) Stat(dataset string) (archive.DatasetInfo, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	info, _, err := r.stat(dataset, false)
	return info, err
}

// Attrs reads a dataset's attributes, for tests and diagnostics; no read
// path needs them.
func (r *Reader) Attrs(dataset string) (archive.DatasetAttrs, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	info, _, err := r.stat(dataset, true)
	return info.Attrs, err
}

func (r *Reader) stat(dataset string, attrs bool) (archive.DatasetInfo, dsetInfo, error) {
	fail := func(err error) (archive.DatasetInfo, dsetInfo, error) {
		return archive.DatasetInfo{}, dsetInfo{}, fmt.Errorf("h5sink: %s: dataset %q: %w", r.path, dataset, err)
	}
	if r.closed {
		return archive.DatasetInfo{}, dsetInfo{}, fmt.Errorf("h5sink: %s: reader is closed", r.path)
	}
	if strings.IndexByte(dataset, 0) >= 0 {
		return fail(errors.New("name contains a NUL byte"))
	}
	var d dsetInfo
	var a archive.DatasetAttrs
	var err error
	switch {
	case r.probe == nil:
		d, a, err = r.statDirect(dataset, attrs)
	case attrs:
		err = errors.New("attributes are not read through the probe child")
	default:
		d, err = r.probed(dataset)
	}
	if err != nil {
		return fail(err)
	}
	if err := d.check(); err != nil {
		return fail(archive.Damaged(err))
	}
	info := archive.DatasetInfo{Size: d.size, Offset: -1, Attrs: a}
	if d.layout == C.H5D_CONTIGUOUS && d.nfilters == 0 && d.size > 0 {
		info.Offset = d.offset
	}
	return info, d, nil
}

// check refuses what is not a plain 1-D byte payload.
func (d *dsetInfo) check() error {
	switch {
	case d.rank != 1:
		return fmt.Errorf("rank %d, want a 1-D payload", d.rank)
	case !d.typeOK:
		return errors.New("element type is not an 8-bit integer")
	case d.nexternal != 0:
		return errors.New("raw data in external files is refused")
	case d.layout != C.H5D_CONTIGUOUS && d.layout != C.H5D_CHUNKED && d.layout != C.H5D_COMPACT:
		return fmt.Errorf("unsupported storage layout %d", d.layout)
	}
	return nil
}

// statDirect describes a dataset with libhdf5 calls in this process.
func (r *Reader) statDirect(dataset string, attrs bool) (dsetInfo, archive.DatasetAttrs, error) {
	cname, free := cstr(dataset)
	defer free()
	var d C.hv_dinfo
	var e errBuf
	withAttrs := C.int(0)
	if attrs {
		withAttrs = 1
	}
	if C.hv_stat(r.file, cname, withAttrs, &d, e.ptr()) < 0 {
		return dsetInfo{}, archive.DatasetAttrs{}, classify(e.errAbout(r.path))
	}
	var a archive.DatasetAttrs
	if d.has_compression != 0 {
		a.Compression = C.GoString(&d.compression[0])
	}
	if d.has_chunk != 0 {
		a.Chunk = int(d.chunk)
	}
	if d.has_nchunks != 0 {
		a.NumChunks = int(d.nchunks)
	}
	return fromC(&d), a, nil
}

// statsBeforeScan is how many datasets of a file the probe child describes
// one request each before one scan of the whole file answers the rest. A
// request costs a pipe round trip and an open of the file, the scan about
// 50-100 µs per dataset of the file: cat and unpack of a few files, and the
// side index, ask for a handful, the layout check of a whole set for all.
const statsBeforeScan = 32

// probed describes a dataset through the probe child: alone while few
// have been asked for and no scan has run, then from the scan.
func (r *Reader) probed(dataset string) (dsetInfo, error) {
	if dataset == archive.SideIndexName || r.singles.Add(1) <= statsBeforeScan {
		return r.probe.stat(r.path, dataset)
	}
	return r.scanned(dataset)
}

// scanned describes a dataset from the scan child's report, starting the
// child at the first call.
func (r *Reader) scanned(dataset string) (dsetInfo, error) {
	r.scanOnce.Do(func() { r.scan, r.scanErr = r.probe.scanFile(r.path) })
	if r.scanErr != nil {
		return dsetInfo{}, r.scanErr
	}
	return r.scan.lookup(dataset)
}

// ReadPayload appends the payload of dataset to dst.
func (r *Reader) ReadPayload(dataset string, dst []byte) ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	info, d, err := r.stat(dataset, false)
	if err != nil {
		return dst, err
	}
	if info.Size == 0 {
		return dst, nil
	}
	if info.Offset >= 0 && !r.viaLibrary {
		return r.readAt(dataset, info, dst)
	}
	return r.readLibrary(dataset, info, d.nfilters > 0, dst)
}

// readAt reads a contiguous payload with pread, after checking that the file
// really holds it.
func (r *Reader) readAt(dataset string, info archive.DatasetInfo, dst []byte) ([]byte, error) {
	dst, err := archive.ReadPayloadAt(r.fd, r.size, info.Offset, info.Size, dst)
	if err != nil {
		return dst, fmt.Errorf("h5sink: %s: dataset %q: %w", r.path, dataset, err)
	}
	return dst, nil
}

// readLibrary reads a chunked, compact or unallocated payload with H5Dread.
// Without filters the file must hold every byte, so a size beyond the
// file's is a lie (or fill values nobody wrote); with filters it can expand,
// but never past the largest payload.
func (r *Reader) readLibrary(dataset string, info archive.DatasetInfo, filtered bool, dst []byte) ([]byte, error) {
	limit := r.size
	if filtered {
		limit = maxNonContiguous
	}
	if info.Size > limit {
		return dst, fmt.Errorf("h5sink: %s: dataset %q: %d bytes is more than the file can hold", r.path, dataset, info.Size)
	}
	if r.probe != nil {
		dst, err := r.probe.read(r.path, dataset, info.Size, dst)
		if err != nil {
			return dst, fmt.Errorf("h5sink: %s: dataset %q: %w", r.path, dataset, err)
		}
		return dst, nil
	}
	n := len(dst)
	dst = slices.Grow(dst, int(info.Size))[:n+int(info.Size)]
	cname, free := cstr(dataset)
	defer free()
	var e errBuf
	if C.hv_dread(r.file, cname, unsafe.Pointer(&dst[n]), C.int64_t(info.Size), e.ptr()) < 0 {
		return dst[:n], fmt.Errorf("h5sink: %s: dataset %q: %w", r.path, dataset, e.errAbout(r.path))
	}
	return dst, nil
}

// Close closes the file once reads in flight have finished.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	ferr := r.fd.Close()
	if r.file < 0 {
		return ferr
	}
	var e errBuf
	rc := C.hv_fclose(r.file, e.ptr())
	r.file = -1
	if rc < 0 {
		return fmt.Errorf("h5sink: close %s: %w", r.path, e.errAbout(r.path))
	}
	return ferr
}
