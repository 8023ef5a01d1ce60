package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"runtime/debug"
	"sync/atomic"
)

// Large parts are mapped rather than read: the compressor then reads the
// page cache directly, which spares create a kernel copy of every byte (about
// 4% of its CPU on 2 MiB files). Below mapMin a read costs less than setting
// up and tearing down a mapping.
const mapMin = 1 << 20

// How a source file can change under the reader. errShrank is also what a
// fault on a mapped part means: the file was truncated after it was mapped.
var (
	errShrank   = errors.New("file shrank while being read")
	errGrew     = errors.New("file grew while being read")
	errModified = errors.New("file changed while being read")
)

// testHookMapped, when set by a test, runs before a mapped part is encoded.
var testHookMapped func(p *part)

// srcFile is a source file kept open while mapped parts of it are in flight,
// so that the compressor can check, after it has read a part, that the file
// was not modified meanwhile. The last reference closes it.
type srcFile struct {
	f      *os.File
	before fs.FileInfo
	refs   atomic.Int32
}

func newSrcFile(f *os.File, before fs.FileInfo) *srcFile {
	s := &srcFile{f: f, before: before}
	s.refs.Store(1) // the reader's
	return s
}

func (s *srcFile) ref() { s.refs.Add(1) }

func (s *srcFile) unref() {
	if s.refs.Add(-1) == 0 {
		s.f.Close()
	}
}

// unchanged checks that the file still has the stamp it had when it was
// opened: nobody wrote to it while it was mapped.
func (s *srcFile) unchanged() error {
	after, err := s.f.Stat()
	if err != nil {
		return err
	}
	return sameStamp(s.before, after)
}

// sameStamp compares two stats of one source file, taken before and after
// reading it. Size and modification time are not enough: a file written in
// place and given its old mtime back (touch -d) keeps both, but not its
// inode change time.
func sameStamp(before, after fs.FileInfo) error {
	switch {
	case after.Size() < before.Size():
		return errShrank
	case after.Size() > before.Size():
		return errGrew
	case !after.ModTime().Equal(before.ModTime()):
		return errModified
	}
	d0, i0, c0 := sysStamp(before)
	d1, i1, c1 := sysStamp(after)
	if d0 != d1 || i0 != i1 || c0 != c1 {
		return errModified
	}
	return nil
}

// guard runs fn, which reads mapped memory, and turns the fault a truncated
// file causes into errShrank instead of a crash. Only faults on fn's own
// goroutine are caught, so fn must not hand the memory to other goroutines.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if x := recover(); x != nil {
			if _, ok := x.(interface{ Addr() uintptr }); ok {
				err = errShrank
				return
			}
			panic(x)
		}
	}()
	return fn()
}
