package archiveset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/hdf5vault/hdf5vault/pipeline"
)

// eioReader fails every read of its member's bytes in [from, to) with EIO,
// as a disk that cannot read those sectors would.
type eioReader struct {
	archive.Reader
	from, to int64
}

func (r *eioReader) PayloadAt(off, size int64, dst []byte) ([]byte, error) {
	if off < r.to && off+size > r.from {
		return dst, &os.PathError{Op: "read", Path: "member", Err: syscall.EIO}
	}
	return r.Reader.PayloadAt(off, size, dst)
}

// writeSideSet archives two small files as one HDF5 member with both
// indexes, as create does, and returns its path.
func writeSideSet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	for i := range 2 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%d", i)), []byte(fmt.Sprintf("field %d", i)), 0o644)
	}
	path := filepath.Join(dir, "s.h5")
	w, err := h5sink.Create(path, h5sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Run(context.Background(), pipeline.Config{Source: src, Compress: true, Blosc: blosc.DefaultOptions(),
		Writers: []archive.Writer{w}, Root: archive.RootAttrs{Description: archive.Description, Version: archive.Version}})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSideIndexIOError: an I/O error reading the side index is a failure
// (exit 1), never taken for a damaged copy: neither when the set is opened
// (which would fall back to the JSON index and have verify report the copy
// as damage) nor when verify checks its blocks.
func TestSideIndexIOError(t *testing.T) {
	path := writeSideSet(t)
	r, err := h5sink.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.Stat(archive.SideIndexName)
	r.Close()
	if err != nil || info.Offset < 0 {
		t.Fatalf("side index: %+v, %v", info, err)
	}
	for name, span := range map[string][2]int64{
		"header": {info.Offset, info.Offset + 1},
		"blocks": {info.Offset + info.Size - 1, info.Offset + info.Size},
	} {
		open := func(p string) (archive.Reader, error) {
			r, err := h5sink.Open(p)
			if err != nil {
				return nil, err
			}
			return &eioReader{Reader: r, from: span[0], to: span[1]}, nil
		}
		s, err := Open(context.Background(), []string{path}, open)
		if err == nil {
			var res VerifyResult
			res, err = s.Verify(context.Background(), 1)
			s.Close()
			if len(res.Damaged) > 0 {
				t.Errorf("%s: EIO reported as damage: %q", name, res.Damaged)
			}
		}
		if !archive.IsFailure(err) || !errors.Is(err, syscall.EIO) {
			t.Errorf("%s: %v, want the EIO as a failure", name, err)
		}
	}
}
