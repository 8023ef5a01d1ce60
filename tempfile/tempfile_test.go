package tempfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func deadPid(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip(err)
	}
	return c.Process.Pid
}

func TestTokenRoundTrip(t *testing.T) {
	tok := Token()
	name := filepath.Base(archive.TempName("/d/set_1.h5", tok))
	host, pid, ok := Owner(name)
	if !ok || host != Host() || pid != os.Getpid() || TokenOf(name) != tok {
		t.Fatalf("Owner(%q) = %q %d %v", name, host, pid, ok)
	}
	if _, _, ok := Owner("set_1.h5"); ok {
		t.Error("a final name has an owner")
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	os.MkdirAll(sub, 0o755)
	dead := deadPid(t)
	stale := archive.TempName(filepath.Join(sub, "f.tif"), fmt.Sprintf("%s-%d-00", Host(), dead))
	top := archive.TempName(filepath.Join(dir, "x.h5"), fmt.Sprintf("%s-%d-00", Host(), dead))
	kept := archive.TempName(filepath.Join(dir, "y.h5"), fmt.Sprintf("%s-%d-00", Host(), dead))
	live := archive.TempName(filepath.Join(dir, "z.h5"), Token())
	foreign := archive.TempName(filepath.Join(dir, "w.h5"), fmt.Sprintf("otherhost-%d-00", dead))
	for _, p := range []string{stale, top, kept, live, foreign} {
		os.WriteFile(p, nil, 0o644)
	}
	var notes []string
	note := func(s string) { notes = append(notes, s) }
	if err := RemoveStale(dir, func(n string) bool { return n == filepath.Base(kept) }, note); err != nil {
		t.Fatal(err)
	}
	gone := func(p string) bool { _, err := os.Stat(p); return errors.Is(err, fs.ErrNotExist) }
	if !gone(top) || gone(kept) || gone(live) || gone(foreign) || gone(stale) {
		t.Fatalf("after RemoveStale: top gone %v, kept %v, live %v, foreign %v, nested %v", gone(top), !gone(kept), !gone(live), !gone(foreign), !gone(stale))
	}
	if err := RemoveStaleTree(dir, nil, note); err != nil {
		t.Fatal(err)
	}
	if !gone(stale) || !gone(kept) || gone(live) || gone(foreign) {
		t.Fatal("RemoveStaleTree removed the wrong files")
	}
	if len(notes) != 3 {
		t.Errorf("notes %q", notes)
	}
	if err := RemoveStaleTree(filepath.Join(dir, "missing"), nil, note); err != nil {
		t.Errorf("missing root: %v", err)
	}
}

func TestRenameNoReplace(t *testing.T) {
	for name, rename := range map[string]func(a, b string) error{"renameat2": RenameNoReplace, "link": linkRename} {
		t.Run(name, func(t *testing.T) { testRenameNoReplace(t, rename) })
	}
}

func testRenameNoReplace(t *testing.T, rename func(a, b string) error) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o644)
	os.WriteFile(b, []byte("b"), 0o644)
	if err := rename(a, b); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(b); string(got) != "b" {
		t.Fatal("replaced")
	}
	os.Remove(b)
	if err := rename(a, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(b); string(got) != "a" || fileThere(a) {
		t.Fatal("not renamed")
	}
}

func fileThere(p string) bool { _, err := os.Lstat(p); return err == nil }
