//go:build unix

package pipeline

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// canMap is whether this platform maps source files.
const canMap = true

// mapPart maps bytes [off, off+n) of f read-only. data is the part, whole
// the mapping to pass to unmap (mappings start on a page boundary, parts
// need not).
func mapPart(f *os.File, off int64, n int) (data, whole []byte, err error) {
	start := off &^ int64(os.Getpagesize()-1)
	lead := int(off - start)
	whole, err = unix.Mmap(int(f.Fd()), start, lead+n, unix.PROT_READ, unix.MAP_SHARED|mapPopulate)
	if err != nil {
		return nil, nil, err
	}
	return whole[lead:], whole, nil
}

// unmap releases a mapping from mapPart.
func unmap(whole []byte) { _ = unix.Munmap(whole) }

// mapAnon returns n bytes of zeroed memory straight from the OS; its pages
// become resident only when written, and unmapAnon gives them back at once.
// Like make, it does not return when memory is exhausted.
func mapAnon(n int) []byte {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		panic(fmt.Sprintf("hdf5vault: cannot map a %d-byte buffer: %v", n, err))
	}
	return b
}

// unmapAnon releases memory from mapAnon.
func unmapAnon(b []byte) { _ = unix.Munmap(b) }
