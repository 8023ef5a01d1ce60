package walker

import (
	"os"
	"slices"
	"strings"
)

// listFD lists the open directory fd (path for messages and for the
// entries' lstat), sorted by name as os.ReadDir sorts, and closes it.
func listFD(fd int, path string) ([]os.DirEntry, error) {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}
