package main

// create must never replace what is not this run's own: the --json path,
// a final name that appears during the run, another host's run, files that
// are not members of a set with this base, anything inside the source.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// smallTree writes n files of 8 KiB of varied bytes.
func smallTree(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	for i := range n {
		b := bytes.Repeat([]byte(fmt.Sprintf("file %d line\n", i)), 700)
		if err := os.WriteFile(filepath.Join(dir, "sub", fmt.Sprintf("f%02d.txt", i)), b[:8192], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fileIs(t *testing.T, p, want string) {
	t.Helper()
	if b, err := os.ReadFile(p); err != nil || string(b) != want {
		t.Errorf("%s = %q, %v; want %q (untouched)", p, b, err, want)
	}
}

// TestCreateJSONPathChecked: a bad --json path is refused before any work
// (no archive written), an existing file that is not a summary is not
// replaced without --force, and the summary never lands on an archive name.
func TestCreateJSONPathChecked(t *testing.T) {
	t.Parallel()
	src := smallTree(t, 3)
	os.WriteFile(filepath.Join(src, "notes.txt"), []byte("mine"), 0o644)
	out := t.TempDir()
	other := filepath.Join(out, "other.txt")
	os.WriteFile(other, []byte("not a summary"), 0o644)
	for _, c := range []struct{ json, want string }{
		{filepath.Join(out, "q.h5"), "archive's"},
		{filepath.Join(src, "notes.txt"), "inside the source"},
		{"/nonexistent/d/s.json", "/nonexistent/d"},
		{other, "not an hdf5vault summary"},
	} {
		r := runBin(t, "create", "-q", "-w", "1", src, filepath.Join(out, "q"), "--json", c.json)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("--json %s: exit %d, want 2 naming %q: %s", c.json, r.code, c.want, r.stderr)
		}
	}
	if got := listDir(t, out); !equalStrings(got, []string{"other.txt"}) {
		t.Fatalf("refused runs left %q", got)
	}
	fileIs(t, filepath.Join(src, "notes.txt"), "mine")
	fileIs(t, other, "not a summary")

	// Our own summary is replaced; another file only with --force.
	sum := filepath.Join(out, "run.json")
	for i := range 2 {
		if r := runBin(t, "create", "-q", "-w", "1", "--force", src, filepath.Join(out, "q"), "--json", sum); r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	if r := runBin(t, "create", "-q", "-w", "1", "--force", src, filepath.Join(out, "q"), "--json", other); r.code != 0 {
		t.Fatalf("--force over another file: exit %d: %s", r.code, r.stderr)
	}
	var s struct {
		Files    int
		Complete bool
		Archives []struct{ Path string }
	}
	b, _ := os.ReadFile(other)
	if err := json.Unmarshal(b, &s); err != nil || s.Files != 4 || !s.Complete || len(s.Archives) != 1 || s.Archives[0].Path != filepath.Join(out, "q.h5") {
		t.Fatalf("summary %+v, %v: %s", s, err, b)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"other.txt", "q.h5", "run.json"}) {
		t.Fatalf("files %q", got)
	}
}

// TestCreateJSONOnFailure: a failed run writes its summary too, saying it
// is not complete and why, and leaves no archive.
func TestCreateJSONOnFailure(t *testing.T) {
	src := smallTree(t, 3)
	bad, extra := unreadableFile(t, src)
	out := t.TempDir()
	sum := filepath.Join(out, "s.json")
	r := runBin(t, append([]string{"create", "-q", "-w", "2", src, filepath.Join(out, "x"), "--json", sum}, extra...)...)
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var s struct {
		Complete *bool
		Error    string
		Archives []any
	}
	b, err := os.ReadFile(sum)
	if err != nil || json.Unmarshal(b, &s) != nil || s.Complete == nil || *s.Complete || !strings.Contains(s.Error, bad) || len(s.Archives) != 0 {
		t.Fatalf("failed run's summary %+v (%v): %s", s, err, b)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"s.json"}) {
		t.Fatalf("files %q", got)
	}
}

// TestCreateNameAppearsDuringRun: a file written under a final name while
// create runs is never replaced: the run fails naming it and removes its
// own temporary files.
func TestCreateNameAppearsDuringRun(t *testing.T) {
	src := genTree(t, 60)
	out := t.TempDir()
	cmd, errb := startCreate(t, src, out, "acq", 1<<20)
	intruder := filepath.Join(out, "acq_1.h5")
	os.WriteFile(intruder, []byte("someone else's"), 0o644)
	if code := exitOf(cmd.Wait()); code != 1 || !strings.Contains(errb.String(), intruder+" appeared during the run") {
		t.Fatalf("exit %d, want 1 naming %s:\n%s", code, intruder, errb.String())
	}
	fileIs(t, intruder, "someone else's")
	if got := listDir(t, out); !equalStrings(got, []string{"acq_1.h5"}) {
		t.Fatalf("files %q, want only the intruder", got)
	}
}

// otherHost runs the binary under another host name (a new UTS namespace),
// as a second machine on a shared file system would; it skips when the
// namespace cannot be made here.
func otherHost(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if out, err := exec.Command("unshare", "-u", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare -u is not possible here (needs root or user namespaces), so no second host name: %v %s", err, out)
	}
	script := `hostname otherhost && exec "$0" "$@"`
	return exec.Command("unshare", append([]string{"-u", "sh", "-c", script, readBin}, args...)...)
}

// TestCreateLockAcrossHosts: a create of the same base from another host is
// refused naming it (host and pid), and its lock, once stale, is reported
// rather than broken: its pid cannot be checked from this host.
func TestCreateLockAcrossHosts(t *testing.T) {
	t.Parallel()
	src := genTree(t, 60)
	out := t.TempDir()
	base := filepath.Join(out, "acq")
	first := otherHost(t, "create", "-q", "-c", "9", "-j", "1", "-w", "2", "--max-memory", "2MiB", src, base)
	var errb bytes.Buffer
	first.Stderr = &errb
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(out, ".acq.hdf5vault-lock")
	deadline := time.Now().Add(20 * time.Second)
	for !fileExists(lock) && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	r := runBin(t, "create", "-q", "-w", "2", src, base)
	first.Process.Kill()
	first.Wait()
	want := fmt.Sprintf("host otherhost, pid %d", first.Process.Pid)
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("second create: exit %d, want 1 naming %q: %s\n(first: %s)", r.code, want, r.stderr, errb.String())
	}
	// The first run is gone now, but this host cannot know: reported, kept.
	r = runBin(t, "create", "-q", "-w", "2", src, base)
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "if that run is gone, remove the lock file") {
		t.Fatalf("stale foreign lock: exit %d: %s", r.code, r.stderr)
	}
	if !fileExists(lock) {
		t.Fatal("another host's lock was removed")
	}
	final, _ := finalNames(t, out, "acq")
	if len(final) > 0 {
		t.Fatalf("final names %q", final)
	}
	// Its temporary files are left too; the admin who removes the lock removes them.
	_, temp := finalNames(t, out, "acq")
	if len(temp) != 2 {
		t.Fatalf("another host's temporary files: %q", temp)
	}
	for _, n := range append(temp, ".acq.hdf5vault-lock") {
		os.Remove(filepath.Join(out, n))
	}
	cleanRun(t, src, out, "acq", "-w", "2")
}

func fileExists(p string) bool { _, err := os.Lstat(p); return err == nil }

// TestCreateForceProtects: --force replaces only members of a set with this
// base, never a file inside the source nor another set's member, and a
// create whose names would make a base ambiguous is refused naming both.
func TestCreateForceProtects(t *testing.T) {
	t.Parallel()
	src := smallTree(t, 4)
	os.WriteFile(filepath.Join(src, "plate.h5"), []byte("the user's own"), 0o644)
	r := runBin(t, "create", "-q", "-w", "1", "--force", src, filepath.Join(src, "plate"))
	if r.code != 1 || !strings.Contains(r.stderr, "inside the source") {
		t.Errorf("--force onto a source file: exit %d: %s", r.code, r.stderr)
	}
	fileIs(t, filepath.Join(src, "plate.h5"), "the user's own")

	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "notes.h5"), []byte("not an archive"), 0o644)
	if r := runBin(t, "create", "-q", "-w", "1", "--force", src, filepath.Join(out, "notes")); r.code != 1 || !strings.Contains(r.stderr, "not an HDF5 or zip file") {
		t.Errorf("--force onto a non-archive: exit %d: %s", r.code, r.stderr)
	}
	fileIs(t, filepath.Join(out, "notes.h5"), "not an archive")
	os.Remove(filepath.Join(out, "notes.h5"))

	mustRun(t, "create", "-q", "-w", "2", src, filepath.Join(out, "plate"))
	before := treeState(t, out)
	for _, c := range []struct {
		base string
		w    string
		want string
	}{
		{"plate_1", "1", "it belongs to the set " + filepath.Join(out, "plate")}, // would replace member 1
		{"plate_0", "2", "ambiguous, both plate_0.h5 and"},                       // plate_0 would name two sets
	} {
		r := runBin(t, "create", "-q", "-w", c.w, "--force", src, filepath.Join(out, c.base))
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("create %s -w %s --force: exit %d, want 1 naming %q: %s", c.base, c.w, r.code, c.want, r.stderr)
		}
	}
	sameState(t, before, treeState(t, out), ".")
	// A single-file set "solo_1" and then a set "solo" would make "solo" ambiguous.
	mustRun(t, "create", "-q", "-w", "1", src, filepath.Join(out, "solo_1"))
	if r := runBin(t, "create", "-q", "-w", "1", src, filepath.Join(out, "solo")); r.code != 1 || !strings.Contains(r.stderr, "solo_1.h5") {
		t.Errorf("create solo beside solo_1.h5: exit %d: %s", r.code, r.stderr)
	}
	mustRun(t, "create", "-q", "-w", "3", src, filepath.Join(out, "other"))
	// Every set in the directory resolves alone.
	for _, b := range []string{"plate", "solo_1", "other"} {
		mustRun(t, "verify", filepath.Join(out, b))
	}
	if got := listDir(t, out); !equalStrings(got, []string{"other_0.h5", "other_1.h5", "other_2.h5", "plate_0.h5", "plate_1.h5", "solo_1.h5"}) {
		t.Fatalf("files %q", got)
	}
}

// TestCreateBaseExtension: "out/a.h5" is taken as the base "out/a", saying
// so; the other container's extension is refused with the fix.
func TestCreateBaseExtension(t *testing.T) {
	src := smallTree(t, 2)
	out := t.TempDir()
	r := runBin(t, "create", "-w", "1", src, filepath.Join(out, "a.h5"))
	if r.code != 0 || !strings.Contains(r.stderr, "taken as the base "+filepath.Join(out, "a")) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = runBin(t, "create", "-w", "1", src, filepath.Join(out, "b.zip"))
	if r.code != 2 || !strings.Contains(r.stderr, "add -z") {
		t.Fatalf("b.zip without -z: exit %d: %s", r.code, r.stderr)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"a.h5"}) {
		t.Fatalf("files %q", got)
	}
}

// TestCreateWarnsEmptyMembers: an empty source and -w above the number of
// files warn that archive files hold no data.
func TestCreateWarnsEmptyMembers(t *testing.T) {
	out := t.TempDir()
	r := runBin(t, "create", "-w", "2", t.TempDir(), filepath.Join(out, "e"))
	if r.code != 0 || !strings.Contains(r.stderr, "holds no files") {
		t.Errorf("empty source: exit %d: %s", r.code, r.stderr)
	}
	r = runBin(t, "create", "-w", "5", smallTree(t, 3), filepath.Join(out, "w"))
	if r.code != 0 || !strings.Contains(r.stderr, "-w 5 but only 3 files") {
		t.Errorf("-w 5 for 3 files: exit %d: %s", r.code, r.stderr)
	}
}

// TestStaleTempsOfOtherRuns: create removes the temporary files of killed
// runs of any base in its directory, unpack those in its destination, once
// their pid is gone on this host.
func TestStaleTempsOfOtherRuns(t *testing.T) {
	dead := exec.Command("true")
	dead.Run()
	token := fmt.Sprintf("%s-%d-0badf00d", tempfile.Host(), dead.Process.Pid)
	src := smallTree(t, 2)
	out := t.TempDir()
	stale := archive.TempName(filepath.Join(out, "acq-2026-01-01_0.h5"), token)
	os.WriteFile(stale, []byte("partial"), 0o644)
	r := runBin(t, "create", "-w", "1", src, filepath.Join(out, "acq-2026-01-02"))
	if r.code != 0 || !strings.Contains(r.stderr, "removed stale temporary file "+stale) || fileExists(stale) {
		t.Fatalf("create: exit %d: %s", r.code, r.stderr)
	}
	dest := t.TempDir()
	staleFile := archive.TempName(filepath.Join(dest, "acq-2026-01-02", "sub", "f00.txt"), token)
	os.MkdirAll(filepath.Dir(staleFile), 0o755)
	os.WriteFile(staleFile, []byte("partial"), 0o644)
	r = runBin(t, "unpack", "-d", dest, filepath.Join(out, "acq-2026-01-02"))
	if r.code != 0 || !strings.Contains(r.stderr, "removed stale temporary file "+staleFile) || fileExists(staleFile) {
		t.Fatalf("unpack: exit %d: %s", r.code, r.stderr)
	}
	sameTree(t, sourceFiles(t, filepath.Join(dest, "acq-2026-01-02")), sourceFiles(t, src))
}
