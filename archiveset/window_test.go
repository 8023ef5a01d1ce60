package archiveset

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// countingReader counts the positioned reads of a member.
type countingReader struct {
	archive.Reader
	reads *atomic.Int64
}

func (r countingReader) PayloadAt(off, size int64, dst []byte) ([]byte, error) {
	r.reads.Add(1)
	return r.Reader.PayloadAt(off, size, dst)
}

// smallFiles are n files of 1 KiB in path order, each with its own bytes.
func smallFiles(n int) []testFile {
	files := make([]testFile, n)
	for i := range files {
		line := fmt.Sprintf("file %05d of a small-file acquisition\n", i)
		files[i] = testFile{path: fmt.Sprintf("d%02d/f%05d.dat", i/100, i), data: []byte(strings.Repeat(line, 1024/len(line)+1)[:1024]), mode: 0o644}
	}
	return files
}

// windowSet is a two-member set of n small files laid out in path order,
// opened with every positioned read counted.
func windowSet(t *testing.T, n int) (*fakeSet, *Set, *atomic.Int64) {
	t.Helper()
	fs := buildSet(t, t.TempDir(), "w", smallFiles(n), buildOpts{members: 2, extras: true, contig: true})
	reads := new(atomic.Int64)
	s, err := Open(context.Background(), fs.paths, func(p string) (archive.Reader, error) {
		r, err := fs.open(p)
		return countingReader{r, reads}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.LayoutError(); err != nil {
		t.Fatal(err)
	}
	return fs, s, reads
}

// TestVerifyReadsNeighboursTogether: verify reads the small payloads of
// neighbouring files with one read per window, not one per payload.
func TestVerifyReadsNeighboursTogether(t *testing.T) {
	const n = 2000
	_, s, reads := windowSet(t, n)
	reads.Store(0) // the layout check read every chunk header
	res, err := s.Verify(context.Background(), 2)
	if err != nil || len(res.Damaged) > 0 || res.Files != n || res.WithSum != n {
		t.Fatalf("verify: %v, %+v", err, res)
	}
	if got := reads.Load(); got > n/20 {
		t.Errorf("verify of %d small files made %d positioned reads, want at most %d", n, got, n/20)
	}
}

// TestWindowKeepsDamageItsOwn: a flipped byte in a payload read through a
// window with intact neighbours is that file's damage alone, and a payload
// running past the end of its (truncated) member is refused without
// failing the neighbours that share its window.
func TestWindowKeepsDamageItsOwn(t *testing.T) {
	const n = 600
	fs, s, _ := windowSet(t, n)
	victim := s.Files[n/2]
	p := victim.Parts[0]
	member := fs.paths[p.ArchiveNumber]
	b, err := os.ReadFile(member)
	if err != nil {
		t.Fatal(err)
	}
	b[p.At+p.Stored/2] ^= 0x10
	// Cut the member inside the payload of its last file.
	end := int64(len(b)) - 5
	if err := os.WriteFile(member, b[:end], 0o644); err != nil {
		t.Fatal(err)
	}
	var cut string
	for _, f := range s.Files {
		if q := f.Parts[0]; q.ArchiveNumber == p.ArchiveNumber && q.At+q.Stored > end {
			cut = f.Path
		}
	}
	s2, err := Open(context.Background(), fs.paths, fs.open)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	res, err := s2.Verify(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(res.Damaged, "\n")
	if len(res.Damaged) != 2 || !strings.Contains(got, victim.Path) || !strings.Contains(got, cut) || !strings.Contains(got, "truncated") {
		t.Errorf("damaged (want %s, flipped, and %s, cut off):\n%s", victim.Path, cut, got)
	}
	if res.Files != n {
		t.Errorf("verified %d files, want %d", res.Files, n)
	}
}
