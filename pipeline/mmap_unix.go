//go:build unix

package pipeline

import (
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
	// MAP_POPULATE maps every cached page in one call instead of one fault
	// per 16 pages later.
	whole, err = unix.Mmap(int(f.Fd()), start, lead+n, unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, err
	}
	return whole[lead:], whole, nil
}

// unmap releases a mapping from mapPart.
func unmap(whole []byte) { _ = unix.Munmap(whole) }
