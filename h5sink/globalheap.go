package h5sink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hdf5vault/hdf5vault/archive"
)

// A variable-length string attribute holds a reference into a global heap
// collection (HDF5 file format spec, "Global Heap"): the string's length,
// the collection's address and the object's index. libhdf5 reads such a
// string by loading the whole collection and copying the object out; the
// JSON index is one, so a padded index of hundreds of MB cost gigabytes
// before anyone could look at its size. We read the reference instead
// (hv_read_attr_ref) and find the object's bytes ourselves, with preads
// bounded by the collection and the file, so its length is known before a
// byte of it is read and it can be streamed.
//
// Collection: "GCOL", version 1, 3 reserved bytes, the collection's size
// (8 bytes, header included). Then objects: index u16 (0: the free space
// that ends the list), reference count u16, 4 reserved bytes, size u64,
// and the data padded to a multiple of 8 bytes.

const (
	heapHeaderLen = 16 // the collection's header, and each object's
	heapMinSize   = 4096
)

// vlenRef is the reference a variable-length string attribute holds.
type vlenRef struct {
	Len  uint32 // bytes
	Addr uint64 // the global heap collection
	Idx  uint32 // the object in it
}

func parseVlenRef(b []byte) vlenRef {
	le := binary.LittleEndian
	return vlenRef{Len: le.Uint32(b), Addr: le.Uint64(b[4:]), Idx: le.Uint32(b[12:])}
}

// heapObject returns where ref's bytes lie in a file of size bytes read
// through r: the object's offset. Everything is checked against the file
// and the collection before it is believed; damage is an archive.ErrDamaged
// error, a failed read is returned as it is.
func heapObject(r io.ReaderAt, size int64, ref vlenRef) (int64, error) {
	bad := func(format string, a ...any) (int64, error) {
		return 0, archive.Damaged(fmt.Errorf("global heap collection at %d: %s", ref.Addr, fmt.Sprintf(format, a...)))
	}
	if size < heapHeaderLen || ref.Addr > uint64(size-heapHeaderLen) {
		return bad("lies past the end of the file (%d bytes)", size)
	}
	start := int64(ref.Addr)
	var h [heapHeaderLen]byte
	if err := readFull(r, h[:], start); err != nil {
		return 0, err
	}
	coll := binary.LittleEndian.Uint64(h[8:])
	switch {
	case string(h[:4]) != "GCOL":
		return bad("no collection there (magic %q)", h[:4])
	case h[4] != 1:
		return bad("version %d, not 1", h[4])
	case coll < heapHeaderLen || coll > uint64(size-start):
		return bad("claims %d bytes; the file has %d after it", coll, size-start)
	}
	end := start + int64(coll)
	// Object headers are read through a window of the collection, so that
	// the many small objects of a usual collection cost one read; the data
	// of objects before ours are skipped, not read.
	w := window{r: r, end: end}
	for pos := start + heapHeaderLen; end-pos >= heapHeaderLen; {
		oh, err := w.at(pos)
		if err != nil {
			return 0, err
		}
		idx, n := binary.LittleEndian.Uint16(oh), binary.LittleEndian.Uint64(oh[8:])
		data := pos + heapHeaderLen
		if idx == 0 { // free space: the last object
			break
		}
		if n > uint64(end-data) {
			return bad("object %d of %d bytes at %d runs past its end (%d)", idx, n, pos, end)
		}
		if uint32(idx) == ref.Idx {
			if n != uint64(ref.Len) {
				return bad("object %d holds %d bytes, the attribute says %d", idx, n, ref.Len)
			}
			return data, nil
		}
		pos = data + int64(n+7)&^7
	}
	return bad("no object %d", ref.Idx)
}

// window holds a few KiB of a collection read at once.
type window struct {
	r   io.ReaderAt
	end int64 // the collection's end
	off int64
	b   []byte
}

// at returns the heapHeaderLen bytes at pos, which lie before w.end.
func (w *window) at(pos int64) ([]byte, error) {
	if pos < w.off || pos+heapHeaderLen > w.off+int64(len(w.b)) {
		if w.b == nil {
			w.b = make([]byte, heapMinSize)
		}
		w.off, w.b = pos, w.b[:min(int64(cap(w.b)), w.end-pos)]
		if err := readFull(w.r, w.b, pos); err != nil {
			return nil, err
		}
	}
	return w.b[pos-w.off : pos-w.off+heapHeaderLen], nil
}

// readFull reads len(b) bytes at off; running out of file is damage.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	return readErr(err)
}

// readErr is a short read of the heap: damage when the file ended, the
// operating system's error otherwise.
func readErr(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return archive.Damaged(errors.New("global heap: the file ends inside it"))
	}
	return err
}
