//go:build linux

package pipeline

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hdf5vault/hdf5vault/internal/eintr"
	"github.com/hdf5vault/hdf5vault/walker"
)

// openLean opens a source file for reading with the system calls the reader
// needs and nothing else. os.Open costs a regular file about five more:
// fcntl to make it non-blocking, an epoll_ctl that fails (regular files
// cannot be polled), fcntl to make it blocking again, and more fcntl when
// its descriptor is asked for. On 10^5 small files those were a quarter of
// the read path's system calls. Unless the walk follows symlinks, a file
// that became a symlink since the walk, or lies under a directory that
// did, is not followed (walker.Root): it is refused as no longer a regular
// file.
func openLean(root *walker.Root, rel, path string) (File, error) {
	fd, err := openSource(root, rel, path)
	if err != nil {
		return nil, err
	}
	return &leanFile{fd: fd, path: path}, nil
}

// errSymlinkNow is a file the walk saw as a regular file that is a symlink,
// or under one, when it is opened.
var errSymlinkNow = errors.New("no longer a regular file (it or a directory above it is now a symlink)")

// openSource opens rel for reading through root; a symlink in the way is
// errSymlinkNow (the message around it names the file).
func openSource(root *walker.Root, rel, path string) (int, error) {
	fd, err := root.OpenFile(rel, path, syscall.O_RDONLY)
	if errors.Is(err, walker.ErrSymlinkNow) {
		return -1, errSymlinkNow
	}
	return fd, err
}

// openMappable opens a file whose parts will be mapped: mapPart needs an
// *os.File. It refuses a symlink like openLean.
func openMappable(root *walker.Root, rel, path string) (File, error) {
	fd, err := openSource(root, rel, path)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// leanFile is an open source file read with plain system calls (File).
type leanFile struct {
	fd   int
	path string
}

func (f *leanFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := eintr.Retry(func() (int, error) { return syscall.Read(f.fd, p) })
	switch {
	case err != nil:
		return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (f *leanFile) Stat() (fs.FileInfo, error) {
	var st syscall.Stat_t
	if _, err := eintr.Retry(func() (int, error) { return 0, syscall.Fstat(f.fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: f.path, Err: err}
	}
	return &statInfo{name: filepath.Base(f.path), st: st}, nil
}

// Close closes the descriptor once; a second Close is an error, as with
// os.File.
func (f *leanFile) Close() error {
	if f.fd < 0 {
		return &fs.PathError{Op: "close", Path: f.path, Err: os.ErrClosed}
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	if err != nil && err != syscall.EINTR { // the descriptor is gone after EINTR too
		return &fs.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}

// statInfo is an fstat as fs.FileInfo, with the same mode bits and Sys
// (*syscall.Stat_t) as os.File.Stat gives, so sameStamp reads both alike.
type statInfo struct {
	name string
	st   syscall.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if s.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// leanStamps: the stat Go gives has the inode change time and identity that
// sameStamp compares (sysStamp), so the walk's stat can stand for a fresh one.
const leanStamps = true
