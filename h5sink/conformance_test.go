package h5sink

import (
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/archive/archivetest"
)

// modes are the writer's ways of storing payloads; each must give the
// same archive to a reader.
var modes = map[string]Options{
	"pwrite":          {},
	"h5dwrite":        {H5Dwrite: true},
	"flush-each":      {FlushEach: true},
	"format18":        {tuning: tuning{format18: true}},
	"pwrite+bigcache": {tuning: bigCache},
}

func TestConformance(t *testing.T) {
	for mode, o := range modes {
		t.Run(mode, func(t *testing.T) {
			archivetest.Run(t,
				func(path string) (archive.Writer, error) { return Create(path, o) },
				func(path string) (archive.Reader, error) { return Open(path) })
		})
	}
	// The same bytes through H5Dread instead of pread.
	t.Run("via-library", func(t *testing.T) {
		archivetest.Run(t,
			func(path string) (archive.Writer, error) { return Create(path, Options{}) },
			func(path string) (archive.Reader, error) {
				r, err := Open(path)
				if err == nil {
					r.viaLibrary = true
				}
				return r, err
			})
	})
}
