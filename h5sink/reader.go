package h5sink

// #include "shim.h"
import "C"

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
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

	mu   sync.RWMutex // Close waits for reads in flight
	file C.hid_t      // -1 once closed

	viaLibrary bool // tests and benchmarks: read contiguous payloads with H5Dread too
}

var _ archive.Reader = (*Reader)(nil)

// Open opens an HDF5 archive file and reads its root attributes.
func Open(path string) (*Reader, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("h5sink: open %s: %w", path, err)
	}
	st, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("h5sink: open %s: %w", path, err)
	}
	cpath, free := cstr(path)
	defer free()
	var e errBuf
	id := C.hv_fopen(cpath, e.ptr())
	if id < 0 {
		fd.Close()
		return nil, fmt.Errorf("h5sink: open %s: not a readable HDF5 file (truncated or damaged?): %w", path, e.err())
	}
	r := &Reader{path: path, size: st.Size(), fd: fd, file: id}
	if r.root, err = readRoot(id); err != nil {
		r.Close()
		return nil, fmt.Errorf("h5sink: open %s: %w", path, err)
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

// Info reads the JSON index attribute, "" if there is none.
func (r *Reader) Info() (string, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.file < 0 {
		return "", fmt.Errorf("h5sink: %s: reader is closed", r.path)
	}
	v, _, err := readAttrStr(r.file, archive.AttrInfo)
	if err != nil {
		return "", fmt.Errorf("h5sink: %s: attribute %s: %w", r.path, archive.AttrInfo, err)
	}
	return v, nil
}

// InfoSum is the XXH3-64 of the JSON index attribute (of "" if there is
// none), computed without copying it out of libhdf5's buffer.
func (r *Reader) InfoSum() (uint64, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.file < 0 {
		return 0, fmt.Errorf("h5sink: %s: reader is closed", r.path)
	}
	sum, ok, err := readAttrSum(r.file, archive.AttrInfo)
	if err != nil {
		return 0, fmt.Errorf("h5sink: %s: attribute %s: %w", r.path, archive.AttrInfo, err)
	}
	if !ok {
		sum = xxh3.HashString("")
	}
	return sum, nil
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

// Stat describes a payload dataset.
func (r *Reader) Stat(dataset string) (archive.DatasetInfo, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	info, _, err := r.stat(dataset, true)
	return info, err
}

func (r *Reader) stat(dataset string, attrs bool) (archive.DatasetInfo, C.hv_dinfo, error) {
	var d C.hv_dinfo
	if r.file < 0 {
		return archive.DatasetInfo{}, d, fmt.Errorf("h5sink: %s: reader is closed", r.path)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("h5sink: %s: dataset %q: %s", r.path, dataset, fmt.Sprintf(format, a...))
	}
	if strings.IndexByte(dataset, 0) >= 0 {
		return archive.DatasetInfo{}, d, fail("name contains a NUL byte")
	}
	cname, free := cstr(dataset)
	defer free()
	var e errBuf
	withAttrs := C.int(0)
	if attrs {
		withAttrs = 1
	}
	if C.hv_stat(r.file, cname, withAttrs, &d, e.ptr()) < 0 {
		return archive.DatasetInfo{}, d, fail("%v", e.err())
	}
	switch {
	case d.rank != 1:
		return archive.DatasetInfo{}, d, fail("rank %d, want a 1-D payload", d.rank)
	case d.type_ok == 0:
		return archive.DatasetInfo{}, d, fail("element type is not an 8-bit integer")
	case d.nexternal != 0:
		return archive.DatasetInfo{}, d, fail("raw data in external files is refused")
	case d.layout != C.H5D_CONTIGUOUS && d.layout != C.H5D_CHUNKED && d.layout != C.H5D_COMPACT:
		return archive.DatasetInfo{}, d, fail("unsupported storage layout %d", d.layout)
	}
	info := archive.DatasetInfo{Size: int64(d.size), Offset: -1}
	if d.layout == C.H5D_CONTIGUOUS && d.nfilters == 0 && d.size > 0 {
		info.Offset = int64(d.offset)
	}
	if d.has_compression != 0 {
		info.Attrs.Compression = C.GoString(&d.compression[0])
	}
	if d.has_chunk != 0 {
		info.Attrs.Chunk = int(d.chunk)
	}
	if d.has_nchunks != 0 {
		info.Attrs.NumChunks = int(d.nchunks)
	}
	return info, d, nil
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
	n := len(dst)
	dst = slices.Grow(dst, int(info.Size))[:n+int(info.Size)]
	cname, free := cstr(dataset)
	defer free()
	var e errBuf
	if C.hv_dread(r.file, cname, unsafe.Pointer(&dst[n]), C.int64_t(info.Size), e.ptr()) < 0 {
		return dst[:n], fmt.Errorf("h5sink: %s: dataset %q: %w", r.path, dataset, e.err())
	}
	return dst, nil
}

// Close closes the file once reads in flight have finished.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.file < 0 {
		return nil
	}
	var e errBuf
	rc := C.hv_fclose(r.file, e.ptr())
	r.file = -1
	ferr := r.fd.Close()
	if rc < 0 {
		return fmt.Errorf("h5sink: close %s: %w", r.path, e.err())
	}
	return ferr
}
