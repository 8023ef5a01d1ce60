//go:build linux

package walker

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/hdf5vault/hdf5vault/internal/eintr"
)

// Root is a source directory held open, so that what a run lists and opens
// below it is below it. Unless symlinks are followed, every path is
// resolved from the held directory with openat2's RESOLVE_NO_SYMLINKS: a
// directory replaced by a symlink after the walk saw it (to somewhere
// outside the tree) is refused, not followed, so no bytes from outside the
// source are stored under a name inside it. Kernels before 5.6 (no
// openat2) get plain opens by path, refusing only a final symlink.
type Root struct {
	follow bool
	fd     int // -1 when following symlinks or without openat2
}

// noOpenat2 is set once openat2 is found missing (ENOSYS): from then on
// every open is by path.
var noOpenat2 atomic.Bool

// OpenRoot holds path open (following it: the user named it). Its error
// is the system's, without the path.
func OpenRoot(path string, follow bool) (*Root, error) {
	r := &Root{follow: follow, fd: -1}
	if follow || noOpenat2.Load() {
		return r, nil
	}
	fd, err := eintr.Retry(func() (int, error) {
		return unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, err // the caller names the source
	}
	r.fd = fd
	return r, nil
}

// Close releases the held directory.
func (r *Root) Close() error {
	if r.fd < 0 {
		return nil
	}
	fd := r.fd
	r.fd = -1
	return unix.Close(fd)
}

// ErrSymlinkNow is a path the walk saw without symlinks that has one now:
// the file itself or a directory above it was replaced since.
var ErrSymlinkNow = errors.New("now a symlink, or under one (replaced since the walk)")

// OpenFile opens rel (slash-separated, below the root) with flags and
// returns its descriptor; full is its path for messages and for the
// fallback. A symlink in the way, when not following, is ErrSymlinkNow.
func (r *Root) OpenFile(rel, full string, flags int) (int, error) {
	flags |= unix.O_CLOEXEC
	if r.fd >= 0 && !noOpenat2.Load() {
		// RESOLVE_NO_SYMLINKS covers the last component too, and says
		// ELOOP where O_NOFOLLOW with O_DIRECTORY would say ENOTDIR.
		how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH}
		fd, err := eintr.Retry(func() (int, error) { return unix.Openat2(r.fd, rel, &how) })
		switch {
		case err == nil:
			return fd, nil
		case err == unix.ELOOP:
			return -1, &fs.PathError{Op: "open", Path: full, Err: ErrSymlinkNow}
		case err == unix.ENOSYS:
			noOpenat2.Store(true)
		default:
			return -1, &fs.PathError{Op: "open", Path: full, Err: err}
		}
	}
	if !r.follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := eintr.Retry(func() (int, error) { return unix.Open(full, flags, 0) })
	switch {
	case err == unix.ELOOP && !r.follow:
		return -1, &fs.PathError{Op: "open", Path: full, Err: ErrSymlinkNow}
	case err != nil:
		return -1, &fs.PathError{Op: "open", Path: full, Err: err}
	}
	return fd, nil
}

// readDir lists the directory rel (path for messages), sorted by name.
func (r *Root) readDir(rel, path string) ([]os.DirEntry, error) {
	if r.fd < 0 || noOpenat2.Load() {
		return os.ReadDir(path)
	}
	if rel == "" {
		rel = "."
	}
	fd, err := r.OpenFile(rel, path, unix.O_RDONLY|unix.O_DIRECTORY)
	if pe, ok := err.(*fs.PathError); ok {
		return nil, pe.Err // the walk names the directory
	}
	if err != nil {
		return nil, err
	}
	return listFD(fd, path)
}

// listFD lists the open directory fd (path for messages and for the
// entries' lstat), sorted by name as os.ReadDir sorts, and closes it.
func listFD(fd int, path string) ([]os.DirEntry, error) {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}
