package archiveset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

func TestOpenNumbersMembersFromRootAttributes(t *testing.T) {
	dir := t.TempDir()
	fs := buildSet(t, dir, "acq", sampleFiles(), buildOpts{members: 3, chunkSize: 100_000})
	// Members given out of order still land at their archive numbers.
	paths := []string{fs.paths[2], fs.paths[0], fs.paths[1]}
	s, err := Open(context.Background(), paths, fs.open)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for n, m := range s.Members {
		if m.Number != n || m.Path != fs.paths[n] {
			t.Errorf("member %d is %s (number %d), want %s", n, m.Path, m.Number, fs.paths[n])
		}
	}
	if s.Stem != "acq" {
		t.Errorf("stem %q, want acq", s.Stem)
	}
	if len(s.Files) != 4 {
		t.Fatalf("%d files, want 4", len(s.Files))
	}
	f, err := s.Lookup("Images/A01/f1.tif")
	if err != nil || f == nil || len(f.Parts) != 3 || f.Size != 250_000 {
		t.Fatalf("split file: %+v", f)
	}
	if got := f.Members(); len(got) != 3 {
		t.Errorf("parts spread over archives %v, want three", got)
	}
}

func TestOpenRefusesIncompleteOrMixedSets(t *testing.T) {
	dir := t.TempDir()
	a := buildSet(t, dir, "a", sampleFiles(), buildOpts{members: 2})
	b := buildSet(t, dir, "b", sampleFiles()[:2], buildOpts{members: 2})
	c := buildSet(t, dir, "c", sampleFiles(), buildOpts{members: 3})
	single := buildSet(t, dir, "s", sampleFiles(), buildOpts{})
	single2 := buildSet(t, dir, "t", sampleFiles(), buildOpts{})
	all := &fakeSet{readers: map[string]*fakeReader{}}
	for _, fs := range []*fakeSet{a, b, c, single, single2} {
		for p, r := range fs.readers {
			all.readers[p] = r
		}
	}
	copyOfA0 := filepath.Join(dir, "a_0_copy.h5")
	if err := os.WriteFile(copyOfA0, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	all.readers[copyOfA0] = a.readers[a.paths[0]]
	link := filepath.Join(dir, "link_to_a_0.h5")
	if err := os.Symlink(a.paths[0], link); err != nil {
		t.Fatal(err)
	}
	all.readers[link] = a.readers[a.paths[0]]

	cases := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"missing member", a.paths[:1], []string{"missing member", "a_1.h5"}},
		{"same file twice", []string{a.paths[0], a.paths[0], a.paths[1]}, []string{"given twice", "a_0.h5"}},
		{"same file through a link", []string{a.paths[0], link}, []string{"given twice", "link_to_a_0.h5"}},
		{"two copies of member 0", []string{a.paths[0], copyOfA0}, []string{"duplicate", "a_0_copy.h5"}},
		{"member of another set", []string{a.paths[0], b.paths[1]}, []string{"different index", "b_1.h5"}},
		{"different member count", []string{a.paths[0], c.paths[1]}, []string{"set of 3", "c_1.h5"}},
		{"two single-file archives", []string{single.paths[0], single2.paths[0]}, []string{"single-file archive", "s.h5"}},
		{"temporary name", []string{archive.TempName(a.paths[0], "123")}, []string{"temporary"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.paths, all.open)
			if err == nil {
				s.Close()
			}
			wantErr(t, err, tc.want...)
		})
	}
}

func TestOpenStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	fs := buildSet(t, dir, "acq", sampleFiles(), buildOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, fs.paths, fs.open); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestOpenRefusesUnusableStem: "...h5" would unpack into DEST/.., ".h5" into DEST itself.
func TestOpenRefusesUnusableStem(t *testing.T) {
	for _, name := range []string{"..", ".", ""} {
		dir := t.TempDir()
		fs := buildSet(t, dir, name, sampleFiles(), buildOpts{})
		_, err := Open(context.Background(), fs.paths, fs.open)
		wantErr(t, err, "unpack directory name")
	}
}
