//go:build !linux

package walker

import (
	"errors"
	"os"
	"syscall"
)

// Root is the source directory; on this platform paths are opened by name
// (root_linux.go resolves them from the held directory).
type Root struct{}

// OpenRoot returns the root; nothing is held open here.
func OpenRoot(string, bool) (*Root, error) { return &Root{}, nil }

// Close does nothing here.
func (r *Root) Close() error { return nil }

// ErrSymlinkNow is a path the walk saw without symlinks that has one now.
var ErrSymlinkNow = errors.New("now a symlink, or under one (replaced since the walk)")

// OpenFile opens full by name.
func (r *Root) OpenFile(rel, full string, flags int) (int, error) {
	return syscall.Open(full, flags|syscall.O_CLOEXEC, 0)
}

func (r *Root) readDir(rel, path string) ([]os.DirEntry, error) { return os.ReadDir(path) }
