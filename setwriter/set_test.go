package setwriter

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/zipsink"
)

func openZip(p string) (archive.Writer, error) { return zipsink.Create(p) }

// fill stores one payload naming the run in every writer and finishes them.
func fill(run string) func(*Set, []archive.Writer) error {
	return func(_ *Set, ws []archive.Writer) error {
		for i, w := range ws {
			if _, err := w.Put("run", []byte(run), archive.DatasetAttrs{}); err != nil {
				return err
			}
			if err := w.Finish(archive.RootAttrs{FileNumber: i, NumFiles: len(ws)}); err != nil {
				return err
			}
		}
		return nil
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

func wantNames(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("directory holds %q, want %q", got, want)
	}
}

// runOf tells which run wrote an archive file (the payload is the run name).
func runOf(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"old", "new"} {
		if strings.Contains(string(b), r) { // the payload is stored raw
			return r
		}
	}
	return "?"
}

func write(t *testing.T, base string, w int, force bool, run string) (*Set, error) {
	t.Helper()
	return Write(Options{Base: base, Writers: w, Zip: true, Force: force}, openZip, fill(run))
}

func TestWriteCommits(t *testing.T) {
	dir := t.TempDir()
	s, err := write(t, filepath.Join(dir, "x"), 3, false, "old")
	if err != nil {
		t.Fatal(err)
	}
	wantNames(t, dir, "x_0.zip", "x_1.zip", "x_2.zip")
	if filepath.Base(s.Final[2]) != "x_2.zip" || !strings.HasPrefix(filepath.Base(s.Temp[2]), ".x_2.zip.") {
		t.Fatalf("names %q %q", s.Final, s.Temp)
	}
	// A second run is refused; --force replaces the set, members it does not rewrite included.
	if _, err := write(t, filepath.Join(dir, "x"), 2, false, "new"); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second run: %v", err)
	}
	s, err = write(t, filepath.Join(dir, "x"), 2, true, "new")
	if err != nil {
		t.Fatal(err)
	}
	wantNames(t, dir, "x_0.zip", "x_1.zip")
	for _, f := range s.Final {
		if runOf(t, f) != "new" {
			t.Errorf("%s is not the new run's", f)
		}
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x"), 2, false, "old")
	boom := errors.New("boom")
	_, err := Write(Options{Base: filepath.Join(dir, "x"), Writers: 4, Zip: true, Force: true}, openZip,
		func(*Set, []archive.Writer) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	wantNames(t, dir, "x_0.zip", "x_1.zip") // the old set, no temporary file, no lock
}

// TestCommitFailsHalfWay: a final name taken between the check and the
// renames makes the fourth rename fail after three new members are in (two
// of them replacing old members): everything goes back, the old set keeps
// its names and the intruder is untouched.
func TestCommitFailsHalfWay(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x"), 2, false, "old")
	s, err := Open(Options{Base: filepath.Join(dir, "x"), Writers: 4, Zip: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.Create(openZip)
	if err == nil {
		err = fill("new")(s, ws)
	}
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Final[3], []byte("someone else's"), 0o644)
	err = s.commit() // past Commit's check, as if the name appeared just after it
	if err == nil || !strings.Contains(err.Error(), "x_3.zip appeared during the run") {
		t.Fatalf("err = %v", err)
	}
	s.Abort()
	wantNames(t, dir, "x_0.zip", "x_1.zip", "x_3.zip")
	for _, f := range []string{"x_0.zip", "x_1.zip"} {
		if runOf(t, filepath.Join(dir, f)) != "old" {
			t.Errorf("%s is not the old set's", f)
		}
	}
	if b, _ := os.ReadFile(s.Final[3]); string(b) != "someone else's" {
		t.Error("the intruder was changed")
	}
}

// pendingCommit writes the set x (2 files, "old"), then a run replacing it
// with 3 new files up to its written journal, before any rename.
func pendingCommit(t *testing.T, dir string) (*Set, *journal) {
	t.Helper()
	if _, err := write(t, filepath.Join(dir, "x"), 2, false, "old"); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Base: filepath.Join(dir, "x"), Writers: 3, Zip: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.Create(openZip)
	if err == nil {
		err = fill("new")(s, ws)
	}
	j := &journal{Base: "x", Token: s.token, Old: s.old, New: []string{"x_0.zip", "x_1.zip", "x_2.zip"}, dir: dir}
	if err == nil {
		err = j.write()
	}
	if err != nil {
		t.Fatal(err)
	}
	return s, j
}

// TestSettleFinishesCommit: a commit stopped after moving the old members
// aside and renaming one new member is finished by the next reader.
func TestSettleFinishesCommit(t *testing.T) {
	for _, stop := range []int{0, 1, 2, 3} {
		dir := t.TempDir()
		s, j := pendingCommit(t, dir)
		// Killed after `stop` steps of forward: old members aside, then new ones in.
		steps := []func(){
			func() { os.Rename(j.path("x_0.zip"), j.aside("x_0.zip")) },
			func() { os.Rename(j.path("x_1.zip"), j.aside("x_1.zip")) },
			func() { os.Rename(j.temp("x_0.zip"), j.path("x_0.zip")) },
		}
		for _, f := range steps[:stop] {
			f()
		}
		s.release() // the run is gone
		var notes []string
		if err := Settle(dir, "x", func(n string) { notes = append(notes, n) }); err != nil {
			t.Fatalf("stop %d: %v", stop, err)
		}
		wantNames(t, dir, "x_0.zip", "x_1.zip", "x_2.zip")
		for _, f := range s.Final {
			if runOf(t, f) != "new" {
				t.Errorf("stop %d: %s is not the new run's", stop, f)
			}
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "finished the interrupted commit") {
			t.Errorf("stop %d: notes %q", stop, notes)
		}
	}
}

// TestSettleUndoesCommit: a commit whose new member is gone cannot finish;
// the old set gets its names back.
func TestSettleUndoesCommit(t *testing.T) {
	dir := t.TempDir()
	s, j := pendingCommit(t, dir)
	os.Rename(j.path("x_0.zip"), j.aside("x_0.zip"))
	os.Remove(j.temp("x_2.zip"))
	s.release()
	var notes []string
	if err := Settle(dir, "x", func(n string) { notes = append(notes, n) }); err != nil {
		t.Fatal(err)
	}
	if runOf(t, filepath.Join(dir, "x_0.zip")) != "old" || runOf(t, filepath.Join(dir, "x_1.zip")) != "old" {
		t.Error("the old set did not get its names back")
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "undid") {
		t.Errorf("notes %q", notes)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Base: filepath.Join(dir, "x"), Writers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Base: filepath.Join(dir, "x"), Writers: 1}); err == nil || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("second open: %v", err)
	}
	s.Abort()
	// Another host's lock is reported, never broken.
	os.WriteFile(lockPath(dir, "x"), []byte(`{"host":"elsewhere","pid":1,"since":"2026-01-01T00:00:00Z"}`), 0o644)
	if _, err := Open(Options{Base: filepath.Join(dir, "x"), Writers: 1}); err == nil || !strings.Contains(err.Error(), "host elsewhere, pid 1") {
		t.Fatalf("foreign lock: %v", err)
	}
	if _, err := os.Stat(lockPath(dir, "x")); err != nil {
		t.Fatal("a foreign lock was removed")
	}
}

func TestCheckNames(t *testing.T) {
	cases := []struct {
		existing []string
		base     string
		w        int
		force    bool
		want     string // "" ok
	}{
		{[]string{"plate_0.zip", "plate_1.zip"}, "plate_1", 1, true, "belongs to the set"},
		{[]string{"plate_1.zip"}, "plate", 1, false, "would not resolve"},
		{[]string{"plate.zip"}, "plate_1", 1, false, "would collide"},
		{[]string{"plate.zip"}, "plate", 1, true, ""},
		{[]string{"plate.zip"}, "plate", 2, true, ""},
		{[]string{"plate_1.zip", "plate_0.zip"}, "plate", 1, true, ""},
		{[]string{"plate_1.zip"}, "plate_1", 1, true, ""},
		{[]string{"other.zip", "plate_x.zip"}, "plate", 2, false, ""},
	}
	for _, c := range cases {
		dir := t.TempDir()
		for _, n := range c.existing {
			w, _ := zipsink.Create(filepath.Join(dir, n))
			w.Finish(archive.RootAttrs{})
		}
		s, err := Open(Options{Base: filepath.Join(dir, c.base), Writers: c.w, Zip: true, Force: c.force})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q then %s -w %d force=%v: %v, want %q", c.existing, c.base, c.w, c.force, err, c.want)
		}
		if s != nil {
			s.Abort()
		}
	}
}

func TestForceRefusesNonArchive(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.zip"), []byte("notes"), 0o644)
	if _, err := Open(Options{Base: filepath.Join(dir, "x"), Writers: 1, Zip: true, Force: true}); err == nil || !strings.Contains(err.Error(), "not an HDF5 or zip file") {
		t.Fatalf("err = %v", err)
	}
	src := t.TempDir()
	w, _ := zipsink.Create(filepath.Join(src, "x.zip"))
	w.Finish(archive.RootAttrs{})
	if _, err := Open(Options{Base: filepath.Join(src, "x"), Writers: 1, Zip: true, Force: true, Source: src}); err == nil || !strings.Contains(err.Error(), "inside the source") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseJournal(f *testing.F) {
	f.Add([]byte(`{"base":"x","token":"h-1-ab","new":["x_0.h5","x_1.h5"],"old":["x.h5"]}`))
	f.Add([]byte(`{"base":"../x","token":"h-1-ab","new":["../x.h5"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := parseJournal(b)
		if err != nil {
			return
		}
		j.dir = "/d"
		for _, n := range append(j.New, j.Old...) {
			for _, p := range []string{j.path(n), j.temp(n), j.aside(n)} {
				if filepath.Dir(p) != "/d" {
					t.Fatalf("journal %q names %s outside its directory", b, p)
				}
			}
		}
	})
}

func FuzzParseLock(f *testing.F) {
	f.Add([]byte(`{"host":"h","pid":12,"since":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLock(b)
		if err == nil && (l.Host == "" || l.PID <= 0) {
			t.Fatalf("accepted %q", b)
		}
	})
}
