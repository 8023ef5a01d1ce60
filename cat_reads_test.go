package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/archiveset"
)

// byteCounter counts the bytes read from a member with positioned reads.
type byteCounter struct {
	archive.Reader
	n *int64
}

func (r byteCounter) PayloadAt(off, size int64, dst []byte) ([]byte, error) {
	*r.n += size
	return r.Reader.PayloadAt(off, size, dst)
}

// TestCatReadsOneBlockTable: finding one file does not load the index.
// Opening a set for cat and finding a file reads every member's side index
// header, one copy's block table and the one block that holds the path,
// then the file's payload: not the other members' tables, which grow with
// the set like the table read.
func TestCatReadsOneBlockTable(t *testing.T) {
	t.Parallel()
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	src := tinyTree(t, n)
	base := filepath.Join(t.TempDir(), "c")
	mustRun(t, "create", "-q", "-w", "3", src, base)
	set := []string{base + "_0.h5", base + "_1.h5", base + "_2.h5"}
	path := "d5/f01000.dat"

	// What the one table and the one block of the first copy hold.
	off, size := sideAt(t, set[0])
	b, err := os.ReadFile(set[0])
	if err != nil {
		t.Fatal(err)
	}
	side := b[off : off+size]
	var read int64
	x, err := archive.OpenSideIndex(func(dst []byte, o int64) error {
		read += int64(len(dst))
		copy(dst, side[o:])
		return nil
	}, size, []int64{1 << 40, 1 << 40, 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	opened := read
	e, ok, err := x.Find(path)
	if !ok || err != nil {
		t.Fatalf("%s not in the side index: %v", path, err)
	}
	block := read - opened

	read = 0
	s, err := archiveset.OpenWith(context.Background(), set, func(p string) (archive.Reader, error) {
		r, err := archiveset.OpenFile(p)
		return byteCounter{r, &read}, err
	}, archiveset.OpenOptions{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Lookup(path)
	if err != nil || f == nil {
		t.Fatalf("lookup of %s: %v", path, err)
	}
	var out bytes.Buffer
	if err := s.WriteFile(context.Background(), f, &out); err != nil {
		t.Fatal(err)
	}
	if want, _ := os.ReadFile(filepath.Join(src, filepath.FromSlash(path))); !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("%s: read %d bytes that differ from the source", path, out.Len())
	}
	want := int64(len(set))*archive.SideHeaderLen + opened - archive.SideHeaderLen + block + e.Parts[0].Stored
	if read > want {
		t.Errorf("finding and reading one of %d files read %d bytes; want at most %d: %d headers, one %d-byte block table, one %d-byte block, the %d-byte payload",
			n, read, want, len(set), opened-archive.SideHeaderLen, block, e.Parts[0].Stored)
	}
	if whole := int64(len(set)) * size; read*20 > whole {
		t.Errorf("finding one file read %d of the %d bytes of the side index copies", read, whole)
	}
}
