//go:build !linux

package pipeline

import (
	"os"

	"github.com/hdf5vault/hdf5vault/walker"
)

// openLean is os.Open where the lean path (open_linux.go) is not built.
func openLean(_ *walker.Root, _, path string) (File, error) { return os.Open(path) }

// openMappable is os.Open: nothing is mapped on this platform.
func openMappable(_ *walker.Root, _, path string) (File, error) { return os.Open(path) }

// leanStamps is false: without the inode change time (sysStamp) the walk's
// stat cannot stand for a fresh one.
const leanStamps = false
