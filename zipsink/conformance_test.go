package zipsink

import (
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/archive/archivetest"
)

func TestConformance(t *testing.T) {
	archivetest.Run(t,
		func(path string) (archive.Writer, error) { return Create(path) },
		func(path string) (archive.Reader, error) { return Open(path) })
}
