package main

// unpack --keep-going and --skip-existing, end to end.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// damagePayload flips a byte in the middle of a file's first payload,
// located with h5py (locateScript).
func damagePayload(t *testing.T, victim string, members []string) {
	t.Helper()
	b, err := exec.Command("/usr/bin/python3", append([]string{"-c", locateScript, victim}, members...)...).Output()
	if err != nil {
		t.Fatalf("locating %s: %v", victim, err)
	}
	var file string
	var off, size int64
	if _, err := fmt.Sscan(string(b), &file, &off, &size); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	flipAt(t, file, off+size/2)
}

// memberOf maps each file to the archive number of its first part, read
// from the index with h5py.
func memberOf(t *testing.T, member string) map[string]int {
	t.Helper()
	out := h5py(t, `import sys, json, h5py
ix = json.loads(h5py.File(sys.argv[1], "r").attrs["__HDF5Vault_info__"])
print(json.dumps({p: parts[0]["archive_number"] for p, parts in ix.items()}))`, nil, member)
	m := map[string]int{}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	return m
}

func plateTree(t *testing.T, n int) (string, map[string][]byte) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{}
	for i := range n {
		rel := fmt.Sprintf("w%d/f%02d.txt", i%4, i)
		files[rel] = []byte(strings.Repeat(fmt.Sprintf("field %d of the plate; ", i), 200+i))
		os.MkdirAll(filepath.Join(src, filepath.Dir(rel)), 0o755)
		if err := os.WriteFile(filepath.Join(src, rel), files[rel], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src, files
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && archive.IsTempName(fi.Name()) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestUnpackKeepGoing(t *testing.T) {
	t.Parallel()
	src, files := plateTree(t, 30)
	out := t.TempDir()
	base := filepath.Join(out, "kg")
	mustRun(t, "create", "-q", "-w", "2", src, base)
	members := []string{base + "_0.h5", base + "_1.h5"}
	bad := []string{"w1/f05.txt", "w2/f22.txt"}
	for _, v := range bad {
		damagePayload(t, v, members)
	}

	dest := filepath.Join(t.TempDir(), "dest")
	if o, code := run(t, "unpack", "-j", "1", "-d", dest, base); code != 3 {
		t.Errorf("unpack without --keep-going: exit %d, want 3\n%s", code, o)
	}
	dest = filepath.Join(t.TempDir(), "dest")
	o, code := run(t, "unpack", "--keep-going", "-d", dest, base)
	if code != 3 || strings.Count(o, "DAMAGED ") != len(bad) {
		t.Errorf("unpack --keep-going: exit %d, want 3 listing %d damaged files\n%s", code, len(bad), o)
	}
	for _, v := range bad {
		if !strings.Contains(o, "DAMAGED "+v) {
			t.Errorf("%s not listed as damaged:\n%s", v, o)
		}
		delete(files, v)
	}
	sameTree(t, sourceFiles(t, filepath.Join(dest, "kg")), files)
	noTemps(t, dest)

	// A member truncated to nothing, or missing: the files of the other
	// member are restored, those with a part in the lost one are listed.
	on := map[int][]string{}
	where := memberOf(t, members[0])
	for rel := range files {
		on[where[rel]] = append(on[where[rel]], rel)
	}
	whole, _ := os.ReadFile(members[1])
	for _, kind := range []string{"truncated", "missing"} {
		if kind == "truncated" {
			os.WriteFile(members[1], whole[:len(whole)/3], 0o644)
		} else {
			os.Remove(members[1])
		}
		dest = filepath.Join(t.TempDir(), "dest")
		o, code = run(t, "unpack", "-k", "-d", dest, base)
		if n := len(on[1]) + len(bad); code != 3 || strings.Count(o, "DAMAGED ") != n || !strings.Contains(o, "kg_1.h5") {
			t.Errorf("unpack -k with member 1 %s: exit %d, want 3 listing %d files\n%s", kind, code, n, o)
		}
		want := map[string][]byte{}
		for _, rel := range on[0] {
			want[rel] = files[rel]
		}
		sameTree(t, sourceFiles(t, filepath.Join(dest, "kg")), want)
		if _, code := run(t, "unpack", "-d", filepath.Join(t.TempDir(), "d"), base); code == 0 {
			t.Errorf("unpack without -k with member 1 %s: exit 0", kind)
		}
	}

	// A part refused by the layout check (its chunk header disagrees with
	// the dataset) does not stop the rest either.
	a := filepath.Join(t.TempDir(), "hostile.h5")
	good := []byte("an innocent file")
	makeArchive(t, a, map[string]any{"c.txt": part("c.txt.blosc2", true, nil), "good.txt": part("good.txt", false, nil)},
		map[string][]byte{"c.txt.blosc2": []byte("not a blosc chunk at all"), "good.txt": good})
	dest = filepath.Join(t.TempDir(), "dest")
	o, code = run(t, "unpack", "-k", "-d", dest, a)
	if code != 3 || !strings.Contains(o, "DAMAGED c.txt") {
		t.Errorf("unpack -k of a bad layout: exit %d, want 3 naming c.txt\n%s", code, o)
	}
	sameTree(t, sourceFiles(t, filepath.Join(dest, "hostile")), map[string][]byte{"good.txt": good})
}

func TestUnpackSkipExisting(t *testing.T) {
	t.Parallel()
	src, files := plateTree(t, 12)
	out := t.TempDir()
	base := filepath.Join(out, "se")
	mustRun(t, "create", "-q", "-w", "2", src, base)
	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-d", dest, base)
	got := filepath.Join(dest, "se")

	// An interrupted restore: some files missing, the temporary file of a
	// dead unpack, one of a live one (this test), and one file changed.
	os.Remove(filepath.Join(got, "w0/f04.txt"))
	os.Remove(filepath.Join(got, "w3/f11.txt"))
	token := func(pid int) string { return fmt.Sprintf("%s-%d-0a0b0c0d", tempfile.Host(), pid) }
	stale := filepath.Join(got, "w0", filepath.Base(archive.UnpackTempName("x", token(1<<30), 1)))
	live := filepath.Join(got, "w1", filepath.Base(archive.UnpackTempName("x", token(os.Getpid()), 2)))
	os.WriteFile(stale, []byte("half"), 0o644)
	os.WriteFile(live, []byte("busy"), 0o644)
	changed := filepath.Join(got, "w2/f06.txt")
	b := append([]byte(nil), files["w2/f06.txt"]...)
	b[3] ^= 1
	os.WriteFile(changed, b, 0o644)

	// Every unpack removes the stale temporary file, even one that refuses.
	if o, code := run(t, "unpack", "-d", dest, base); code != 1 || !strings.Contains(o, "--skip-existing") ||
		!strings.Contains(o, "removed stale temporary file "+stale) {
		t.Errorf("unpack into a partly restored DEST: exit %d, want 1 pointing at --skip-existing\n%s", code, o)
	}
	o, code := run(t, "unpack", "--skip-existing", "-d", dest, base)
	if code != 3 || !strings.Contains(o, "DIFFERS "+changed) || !strings.Contains(o, "unpacked 2 files") ||
		!strings.Contains(o, "9 already there") {
		t.Errorf("unpack --skip-existing: exit %d, want 3 listing the changed file\n%s", code, o)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temporary file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("the temporary file of a running unpack was removed")
	}
	os.Remove(live)
	if now, _ := os.ReadFile(changed); string(now) != string(b) {
		t.Error("the changed file was overwritten")
	}
	os.Remove(changed)
	o = mustRun(t, "unpack", "--skip-existing", "-d", dest, base)
	if !strings.Contains(o, "unpacked 1 files") || !strings.Contains(o, "11 already there") {
		t.Errorf("second resume: %s", o)
	}
	sameTree(t, sourceFiles(t, got), files)
}

// TestUnpackSkipExistingOriginal: archives of the original record no
// checksum; an existing file is compared with the archived bytes.
func TestUnpackSkipExistingOriginal(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	a := filepath.Join(fixtures, "archives", "single.h5")
	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-d", dest, a)
	tiny := filepath.Join(dest, "single", "tiny.txt")
	b, _ := os.ReadFile(tiny)
	b[0] ^= 1
	os.WriteFile(tiny, b, 0o644)
	o, code := run(t, "unpack", "--skip-existing", "-d", dest, a)
	if code != 3 || strings.Count(o, "DIFFERS") != 1 || !strings.Contains(o, "DIFFERS "+tiny) {
		t.Errorf("exit %d, want 3 naming only tiny.txt\n%s", code, o)
	}
}

// TestUnpackOpensEachDirectoryOnce: restoring a file is a few calls on a
// name in its directory, which is opened once for all its files, not once
// per call and path component (os.Root walks the path on every call): at
// 10^5 files that walking was most of unpack's system time.
func TestUnpackOpensEachDirectoryOnce(t *testing.T) {
	t.Parallel()
	strace := needStrace(t)
	src := filepath.Join(t.TempDir(), "src")
	const dirs, per = 4, 50
	for d := range dirs {
		dir := filepath.Join(src, "plate", fmt.Sprintf("w%d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range per {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.txt", f)), []byte(strings.Repeat("x", f)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := filepath.Join(t.TempDir(), "d")
	mustRun(t, "create", "-q", "-w", "1", src, base)
	dest := filepath.Join(t.TempDir(), "dest")
	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command(strace, "-f", "-qq", "-o", log, "-e", "trace=openat", readBin, "unpack", "-q", "-d", dest, base)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v\n%s", err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	opens := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "O_DIRECTORY") && (strings.Contains(l, `"plate"`) || strings.Contains(l, `"plate/w`) || strings.Contains(l, `"w`)) {
			opens++
		}
	}
	// makeDirs checks each directory, then each is opened for its files.
	if limit := 3 * (dirs + 1); opens > limit {
		t.Errorf("unpack of %d files in %d directories opened them %d times (at most %d)", dirs*per, dirs, opens, limit)
	}
	if r := runBin(t, "check", "-d", filepath.Join(dest, "d"), base); r.code != 0 {
		t.Errorf("check of the restored tree: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}
