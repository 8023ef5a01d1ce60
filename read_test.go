package main

// End-to-end tests of the read side (unpack, check, verify, ls, cat) through
// the built binary, against the original tool's fixtures in ../shared and
// hostile archives built here with h5py.

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/h5sink"
)

var readBin string // the hdf5vault binary built by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hdf5vault-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	readBin = filepath.Join(dir, "hdf5vault")
	if err := buildTestBinary(readBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const fixtures = "../shared/fixtures/hdf5vault"

func needFixtures(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(fixtures); err != nil {
		t.Skipf("reference fixtures %s not available: %v", fixtures, err)
	}
}

// run runs the binary (runBin, create_test.go) and returns stdout and
// stderr together with the exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r := runBin(t, args...)
	return r.stdout + r.stderr, r.code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := run(t, args...)
	if code != 0 {
		t.Fatalf("hdf5vault %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func sameTree(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	for p, b := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: missing", p)
		case !bytes.Equal(g, b):
			t.Errorf("%s: %d bytes differ from the original's %d", p, len(g), len(b))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: extra file", p)
		}
	}
}

type fixtureSet struct {
	name string
	args []string // as given on the command line
	stem string
}

// sampleOut skips case i of a table in -short, which runs every other case
// (.ci/run runs them all): the everyday run stays within its 3 minutes.
func sampleOut(t *testing.T, i int) {
	t.Helper()
	if testing.Short() && i%2 == 1 {
		t.Skip("-short runs every other case; .ci/run runs them all")
	}
}

func fixtureSets() []fixtureSet {
	a := func(n ...string) []string {
		for i := range n {
			n[i] = filepath.Join(fixtures, "archives", n[i])
		}
		return n
	}
	return []fixtureSet{
		{"set2 base", a("set2"), "set2"},
		{"set2 members", a("set2_1.h5", "set2_0.h5"), "set2"},
		{"single", a("single.h5"), "single"},
		{"zipset", a("zipset"), "zipset"},
		{"raw", a("raw.h5"), "raw"},
		{"dict", a("dict.h5"), "dict"},
	}
}

func TestUnpackFixtures(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	tree := sourceFiles(t, filepath.Join(fixtures, "tree"))
	for _, fx := range fixtureSets() {
		t.Run(fx.name, func(t *testing.T) {
			dest := t.TempDir()
			mustRun(t, append([]string{"unpack", "-d", dest, "-j", "3"}, fx.args...)...)
			entries, _ := os.ReadDir(dest)
			if len(entries) != 1 || entries[0].Name() != fx.stem {
				t.Fatalf("DEST holds %v, want only %s/", entries, fx.stem)
			}
			sameTree(t, sourceFiles(t, filepath.Join(dest, fx.stem)), tree)

			// A second unpack into the same place refuses to overwrite.
			out, code := run(t, append([]string{"unpack", "-d", dest}, fx.args...)...)
			if code != 1 || !strings.Contains(out, "refusing to overwrite") {
				t.Errorf("second unpack: exit %d\n%s", code, out)
			}
		})
	}
}

func TestCheckFixturesPass(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	for _, fx := range fixtureSets() {
		t.Run(fx.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"check", "-d", filepath.Join(fixtures, "tree")}, fx.args...)...)
			if !strings.Contains(out, "check passed: 12 files") {
				t.Errorf("output: %s", out)
			}
		})
	}
}

func TestCheckNamesFailingFiles(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	set2 := filepath.Join(fixtures, "archives", "set2")
	cases := []struct {
		name   string
		change func(dir string) error
		file   string
		cause  string
	}{
		{"one byte changed", func(dir string) error {
			p := filepath.Join(dir, "Images/A01/field1_C01.tif")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[450_000] ^= 0x01 // in part 2 of 4
			return os.WriteFile(p, b, 0o644)
		}, "Images/A01/field1_C01.tif", "MD5"},
		{"file missing", func(dir string) error {
			return os.Remove(filepath.Join(dir, "Images/A02/Zelle ü 1.txt"))
		}, "Images/A02/Zelle ü 1.txt", "missing on disk"},
		{"extra file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "deep/a/new (1).txt"), []byte("new"), 0o644)
		}, "deep/a/new (1).txt", "not in the archive"},
		{"empty file grew", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "empty.dat"), []byte{0}, 0o644)
		}, "empty.dat", "size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixtureTree(t)
			if err := tc.change(dir); err != nil {
				t.Fatal(err)
			}
			summary := filepath.Join(t.TempDir(), "summary.json")
			out, code := run(t, "check", "-d", dir, "-j", summary, set2)
			if code != 3 {
				t.Fatalf("exit %d, want 3\n%s", code, out)
			}
			if !strings.Contains(out, "FAIL") || !strings.Contains(out, tc.file) || !strings.Contains(out, tc.cause) {
				t.Errorf("output does not name %q (%s):\n%s", tc.file, tc.cause, out)
			}
			if n := strings.Count(out, "FAIL "); n != 1 {
				t.Errorf("%d files reported failing, want 1:\n%s", n, out)
			}
			checkSummary(t, summary, dir, tc.file)
		})
	}
}

// TestCheckArchiveInsideSource: create leaves its own set out of the
// archive when it lies inside the source; check counts those members as the
// archive, not as files on disk that are not archived, and still names a
// real extra file beside them.
func TestCheckArchiveInsideSource(t *testing.T) {
	t.Parallel()
	for _, w := range []string{"1", "3"} {
		t.Run("w="+w, func(t *testing.T) {
			src := copyFixtureTree(t)
			base := filepath.Join(src, "odd", "self")
			if r := runBin(t, "create", "-q", "-w", w, src, base); r.code != 0 {
				t.Fatalf("create: exit %d: %s", r.code, r.stderr)
			}
			out, code := run(t, "check", "-d", src, base)
			if code != 0 || !strings.Contains(out, "check passed") || !strings.Contains(out, "member(s) of the archive set") {
				t.Fatalf("check with the set inside the tree: exit %d, want 0 and a note\n%s", code, out)
			}
			extra := filepath.Join(src, "odd", "self_old.h5") // named like a member, but not one
			if err := os.WriteFile(extra, []byte("not an archive"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, code = run(t, "check", "-d", src, base)
			if code != 3 || !strings.Contains(out, "odd/self_old.h5: on disk but not in the archive") {
				t.Fatalf("an extra file beside the members: exit %d, want 3 naming it\n%s", code, out)
			}
		})
	}
}

// checkSummary compares the JSON summary with the directory, computed here.
func checkSummary(t *testing.T, summary, dir, failing string) {
	t.Helper()
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary is not JSON: %v", err)
	}
	for _, col := range []string{"size_orig", "size_arch", "md5_orig", "md5_arch", "chunks", "passed"} {
		if s[col] == nil {
			t.Errorf("summary lacks column %s", col)
		}
	}
	for p, data := range sourceFiles(t, dir) {
		if p == failing {
			continue
		}
		sum := md5.Sum(data)
		if s["md5_orig"][p] != hex.EncodeToString(sum[:]) || s["md5_arch"][p] != s["md5_orig"][p] ||
			s["size_orig"][p] != float64(len(data)) || s["passed"][p] != true {
			t.Errorf("summary row %s: md5 %v/%v size %v passed %v", p, s["md5_orig"][p], s["md5_arch"][p], s["size_orig"][p], s["passed"][p])
		}
	}
	if s["passed"][failing] != false {
		t.Errorf("summary: %s passed=%v, want false", failing, s["passed"][failing])
	}
	if s["chunks"]["Images/A01/field1_C01.tif"] != 4.0 && failing != "Images/A01/field1_C01.tif" {
		t.Errorf("summary: field1_C01.tif has %v chunks, the index lists 4", s["chunks"]["Images/A01/field1_C01.tif"])
	}
}

func TestVerifyFixtures(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	for _, fx := range fixtureSets() {
		t.Run(fx.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"verify"}, fx.args...)...)
			if !strings.Contains(out, "verified 12 files (1408988 bytes)") || !strings.Contains(out, "checksums not available") {
				t.Errorf("output: %s", out)
			}
		})
	}
}

// h5py runs a Python snippet with the system interpreter (the one with h5py),
// args in sys.argv[1:].
func h5py(t *testing.T, script string, stdin []byte, args ...string) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("/usr/bin/python3 (with h5py) not available")
	}
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", script}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

func TestVerifyNamesDamagedFixture(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	dir := t.TempDir()
	for _, n := range []string{"set2_0.h5", "set2_1.h5"} {
		b, err := os.ReadFile(filepath.Join(fixtures, "archives", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// h5py locates the payload; flip a byte in the middle of it.
	victim := filepath.Join(dir, "set2_0.h5")
	out := h5py(t, `import h5py,sys
f = h5py.File(sys.argv[1] if len(sys.argv) > 1 else "`+victim+`", "r")
d = f["Images/A02/field 2 (copy).tif.blosc2"]
print(d.id.get_offset(), d.shape[0])`, nil)
	var off, size int64
	if _, err := fmt.Sscan(out, &off, &size); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	fh, err := os.OpenFile(victim, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	fh.ReadAt(b, off+size/2)
	b[0] ^= 0x5a
	fh.WriteAt(b, off+size/2)
	fh.Close()
	out, code := run(t, "verify", filepath.Join(dir, "set2"))
	if code != 3 || !strings.Contains(out, "DAMAGED Images/A02/field 2 (copy).tif") {
		t.Errorf("exit %d, want 3 naming the file:\n%s", code, out)
	}
	if n := strings.Count(out, "DAMAGED"); n != 1 {
		t.Errorf("%d files reported damaged, want 1:\n%s", n, out)
	}
}

func TestLsFixture(t *testing.T) {
	needFixtures(t)
	tree := sourceFiles(t, filepath.Join(fixtures, "tree"))
	var want []string
	for p := range tree {
		want = append(want, p)
	}
	sort.Strings(want)
	set2 := filepath.Join(fixtures, "archives", "set2")
	got := strings.Split(strings.TrimSpace(mustRun(t, "ls", set2)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ls lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	long := strings.Split(strings.TrimSpace(mustRun(t, "ls", "-l", set2)), "\n")
	if len(long) != len(want)+2 {
		t.Fatalf("ls -l: %d lines, want header, %d files, totals:\n%s", len(long), len(want), strings.Join(long, "\n"))
	}
	var total int
	for i, p := range want {
		var size, stored, parts int
		var ratio, arch string
		if _, err := fmt.Sscan(long[i+1], &size, &stored, &ratio, &parts, &arch); err != nil {
			t.Fatalf("%q: %v", long[i+1], err)
		}
		if !strings.HasSuffix(long[i+1], "  "+p) || size != len(tree[p]) {
			t.Errorf("ls -l line %q: want path %s and size %d", long[i+1], p, len(tree[p]))
		}
		wantParts := map[string]int{"Images/A01/field1_C01.tif": 4, "odd/zeros.raw": 2}[p]
		if wantParts == 0 {
			wantParts = 1
		}
		if parts != wantParts {
			t.Errorf("%s: %d parts, the index lists %d", p, parts, wantParts)
		}
		total += size
	}
	if !strings.HasPrefix(strings.TrimSpace(long[len(long)-1]), fmt.Sprint(total)) {
		t.Errorf("totals line %q, want total %d", long[len(long)-1], total)
	}
}

func TestCatFixture(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	tree := sourceFiles(t, filepath.Join(fixtures, "tree"))
	set2 := filepath.Join(fixtures, "archives", "set2")
	for p, want := range tree {
		cmd := exec.Command(readBin, "cat", "--path", p, set2)
		got, err := cmd.Output()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("cat %s: %d bytes, err %v; want the tree's %d bytes", p, len(got), err, len(want))
		}
	}
	out, code := run(t, "cat", "-p", "Images/A01/nope.tif", set2)
	if code != 1 || !strings.Contains(out, `"Images/A01/nope.tif" is not in the archive set`) {
		t.Errorf("cat of an unknown path: exit %d\n%s", code, out)
	}
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	arch := filepath.Join(fixtures, "archives")
	dir := t.TempDir()
	// other_1.h5: set2_1.h5 with a different index, as if from another run.
	other := filepath.Join(dir, "other_1.h5")
	b, err := os.ReadFile(filepath.Join(arch, "set2_1.h5"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(other, b, 0o644)
	h5py(t, `import h5py, json
f = h5py.File("`+other+`", "r+")
ix = json.loads(f.attrs["__HDF5Vault_info__"])
del ix["tiny.txt"]
f.attrs["__HDF5Vault_info__"] = json.dumps(ix)
f.close()`, nil)
	copy0 := filepath.Join(dir, "copy_0.h5")
	b, _ = os.ReadFile(filepath.Join(arch, "set2_0.h5"))
	os.WriteFile(copy0, b, 0o644)

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing member", []string{filepath.Join(arch, "set2_0.h5")}, []string{"missing member", "set2_1.h5"}},
		{"duplicate", []string{filepath.Join(arch, "set2_0.h5"), filepath.Join(arch, "set2_0.h5"), filepath.Join(arch, "set2_1.h5")}, []string{"given twice", "set2_0.h5"}},
		{"copy of a member", []string{filepath.Join(arch, "set2_0.h5"), copy0}, []string{"duplicate", "copy_0.h5"}},
		{"member of another set", []string{filepath.Join(arch, "set2_0.h5"), other}, []string{"different index", "other_1.h5"}},
		{"another set's size", []string{filepath.Join(arch, "set2_0.h5"), filepath.Join(arch, "single.h5")}, []string{"set of 1", "single.h5"}},
		{"no such base", []string{filepath.Join(dir, "nothing")}, []string{"no archive", "nothing"}},
		{"zip member missing", []string{filepath.Join(arch, "zipset_0.zip")}, []string{"missing member", "zipset_1.zip"}},
		{"h5 and zip mixed", []string{filepath.Join(arch, "set2_0.h5"), filepath.Join(arch, "zipset_1.zip")}, []string{".h5 or .zip", "zipset_1.zip"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sampleOut(t, i)
			for _, cmd := range []string{"unpack", "check", "verify", "ls"} {
				dest := t.TempDir()
				args := []string{cmd}
				switch cmd {
				case "unpack":
					args = append(args, "-d", dest)
				case "check":
					args = append(args, "-d", filepath.Join(fixtures, "tree"))
				}
				out, code := run(t, append(args, tc.args...)...)
				if code != 1 {
					t.Errorf("%s: exit %d, want 1\n%s", cmd, code, out)
				}
				for _, w := range tc.want {
					if !strings.Contains(out, w) {
						t.Errorf("%s: message does not mention %q:\n%s", cmd, w, out)
					}
				}
				if entries, _ := os.ReadDir(dest); len(entries) != 0 {
					t.Errorf("%s wrote into DEST: %v", cmd, entries)
				}
			}
		})
	}
}

// makeArchive writes a one-file HDF5 archive with h5py: the given index,
// datasets and the original's root attributes.
func makeArchive(t *testing.T, path string, index any, datasets map[string][]byte) {
	t.Helper()
	makeArchives(t, []archiveSpec{{path, index, datasets}})
}

type archiveSpec struct {
	path     string
	index    any
	datasets map[string][]byte
}

// makeArchives writes each spec's archive as makeArchive does, all with one
// Python interpreter: starting one with h5py costs a third of a CPU second.
func makeArchives(t *testing.T, specs []archiveSpec) {
	t.Helper()
	var all []map[string]any
	for _, a := range specs {
		info, err := json.Marshal(a.index)
		if err != nil {
			t.Fatal(err)
		}
		enc := map[string]string{}
		for k, v := range a.datasets {
			enc[k] = base64.StdEncoding.EncodeToString(v)
		}
		all = append(all, map[string]any{"path": a.path, "info": string(info), "datasets": enc})
	}
	spec, _ := json.Marshal(all)
	h5py(t, `import sys, json, base64, h5py, numpy as np
for s in json.load(sys.stdin):
    with h5py.File(s["path"], "w", libver=("v108", "latest")) as f:  # 1.8: attributes over 64 KiB
        f.attrs["__Description__"] = "hostile test archive"
        f.attrs["__HDF5Vault_version__"] = "0.3.0"
        f.attrs["__HDF5Vault_chunksize__"] = 1000000
        f.attrs["__HDF5Vault_info__"] = s["info"]
        for name, b in s["datasets"].items():
            f.create_dataset(name, data=np.frombuffer(base64.b64decode(b), dtype=np.int8))
`, spec)
}

func part(dataset string, compressed bool, extra map[string]any) []map[string]any {
	p := map[string]any{"chunk": nil, "archive_number": 0, "dataset": dataset, "compression": nil}
	if compressed {
		p["compression"] = "blosc2"
	}
	for k, v := range extra {
		p[k] = v
	}
	return []map[string]any{p}
}

func TestHostileArchivesAreRefusedBeforeWriting(t *testing.T) {
	t.Parallel()
	enc, err := blosc.NewEncoder(blosc.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := enc.EncodeAll(bytes.Repeat([]byte("microscope "), 500), nil)
	if err != nil {
		t.Fatal(err)
	}
	good := []byte("an innocent file")
	cases := []struct {
		name  string
		index map[string]any
		data  map[string][]byte
		want  []string
	}{
		{"parent segment", map[string]any{"../evil": part("evil", false, nil)}, map[string][]byte{"evil": good}, []string{"../evil", "unsafe"}},
		{"deep parent segment", map[string]any{"a/../../evil": part("evil", false, nil)}, map[string][]byte{"evil": good}, []string{"a/../../evil"}},
		{"absolute path", map[string]any{"/tmp/abs": part("abs", false, nil)}, map[string][]byte{"abs": good}, []string{"/tmp/abs", "absolute"}},
		{"empty path", map[string]any{"": part("e", false, nil)}, map[string][]byte{"e": good}, []string{"empty path"}},
		{"NUL in path", map[string]any{"a\x00b": part("e", false, nil)}, map[string][]byte{"e": good}, []string{"NUL"}},
		{"collision", map[string]any{"a": part("x", false, nil), "a/b": part("y", false, nil)}, map[string][]byte{"x": good, "y": good}, []string{`"a" is both a file and a directory`}},
		{"collision apart", map[string]any{"a": part("x", false, nil), "a.txt": part("z", false, nil), "a/b": part("y", false, nil)}, map[string][]byte{"x": good, "y": good, "z": good}, []string{`"a" is both a file and a directory`}},
		{"missing dataset", map[string]any{"lost.txt": part("lost.txt", false, nil)}, nil, []string{"lost.txt", "dataset"}},
		{"lying stored size", map[string]any{"f.txt": part("f.txt", false, map[string]any{"stored_size": 10})}, map[string][]byte{"f.txt": good}, []string{"f.txt", "records 10 stored bytes"}},
		{"lying raw size", map[string]any{"f.txt": part("f.txt", false, map[string]any{"size": 99})}, map[string][]byte{"f.txt": good}, []string{"f.txt", "records 99 bytes"}},
		{"chunk header disagrees", map[string]any{"c.txt": part("c.txt.blosc2", true, nil)}, map[string][]byte{"c.txt.blosc2": append(bytes.Clone(chunk), 1, 2, 3)}, []string{"c.txt", "header says"}},
		{"truncated chunk", map[string]any{"c.txt": part("c.txt.blosc2", true, nil)}, map[string][]byte{"c.txt.blosc2": chunk[:len(chunk)-5]}, []string{"c.txt", "header says"}},
		{"not a chunk", map[string]any{"c.txt": part("c.txt.blosc2", true, nil)}, map[string][]byte{"c.txt.blosc2": good}, []string{"c.txt", "blosc"}},
		{"100,000-byte name", map[string]any{"z/" + strings.Repeat("n", 100_000): part("n", false, nil)}, map[string][]byte{"n": good}, []string{"100004 JSON bytes", "longer than any path can be"}},
		{"256-byte name", map[string]any{"z/" + strings.Repeat("n", 256): part("n", false, nil)}, map[string][]byte{"n": good}, []string{"a name of 256 bytes", "longer than any file system allows"}},
		{"padding key", map[string]any{"f.txt": part("f.txt", false, map[string]any{"pad": strings.Repeat(" ", 1<<20)})}, map[string][]byte{"f.txt": good}, []string{"more than any part needs"}},
	}
	// Every case's archive first, with one h5py run (the cases -short
	// samples out too: they are cheap beside a Python start).
	archives := t.TempDir()
	var specs []archiveSpec
	for i, tc := range cases {
		tc.index["good.txt"] = part("good.txt", false, nil)
		if tc.data == nil {
			tc.data = map[string][]byte{}
		}
		tc.data["good.txt"] = good
		specs = append(specs, archiveSpec{filepath.Join(archives, fmt.Sprintf("hostile%d.h5", i)), tc.index, tc.data})
	}
	makeArchives(t, specs)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sampleOut(t, i)
			dir := t.TempDir()
			a := specs[i].path
			dest := filepath.Join(dir, "dest")
			os.Mkdir(dest, 0o755)
			out, code := run(t, "unpack", "-d", dest, a)
			if code != 3 {
				t.Errorf("exit %d, want 3 (damage)\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("message does not mention %q:\n%s", w, out)
				}
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Errorf("DEST is not empty after refusal: %v", entries)
			}
			if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
				t.Error("a file was written outside DEST")
			}
		})
	}
}

func TestTruncatedArchiveIsRefused(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(fixtures, "archives", "raw.h5"))
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []int{len(b) / 2, len(b) - 100, 1000} {
		a := filepath.Join(dir, fmt.Sprintf("cut%d.h5", keep))
		os.WriteFile(a, b[:keep], 0o644)
		dest := filepath.Join(dir, fmt.Sprintf("dest%d", keep))
		out, code := run(t, "unpack", "-d", dest, a)
		if code != 3 || !strings.Contains(out, filepath.Base(a)) {
			t.Errorf("truncated to %d bytes: exit %d, want 3 (damage) naming the file\n%s", keep, code, out)
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 0 {
			t.Errorf("truncated to %d bytes: DEST holds %v", keep, entries)
		}
	}
}

// writeArchive writes files (path -> content) as a one-file HDF5 archive
// with Blosc2 payloads, through the project's own writer and encoder.
func writeArchive(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	enc, err := blosc.NewEncoder(blosc.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	w, err := h5sink.Create(path, h5sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix := &archive.Index{}
	var payload []byte
	for rel, data := range files {
		if payload, err = enc.EncodeAll(data, payload[:0]); err != nil {
			t.Fatal(err)
		}
		ds := archive.DatasetName(rel, 0, 1, true)
		if _, err := w.Put(ds, payload, archive.DatasetAttrs{Compression: archive.MethodBlosc2}); err != nil {
			w.Abort()
			t.Fatal(err)
		}
		ix.Files = append(ix.Files, archive.File{Path: rel, Parts: []archive.Part{{Dataset: ds, Compression: archive.Blosc2Method()}}})
	}
	info, err := ix.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(archive.RootAttrs{Version: archive.Version, ChunkSize: archive.DefaultChunkSize, NumFiles: 1, Info: string(info)}); err != nil {
		t.Fatal(err)
	}
}

// TestUnpackInterrupted: SIGINT during unpack exits 130, removes the
// temporary files, and every file left under its real name is complete.
func TestUnpackInterrupted(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for i := range 3000 {
		b := make([]byte, 32<<10)
		for j := range b {
			b[j] = byte((i*31 + j*j) >> 5)
		}
		files[fmt.Sprintf("d%02d/f%04d.bin", i%50, i)] = b
	}
	a := filepath.Join(dir, "big.h5")
	writeArchive(t, a, files)
	dest := filepath.Join(dir, "dest")
	cmd := exec.Command(readBin, "unpack", "-j", "1", "-d", dest, a)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the first files are done (temporary names start with
	// a dot, so the glob sees only files under their real names).
	var done []string
	for deadline := time.Now().Add(60 * time.Second); len(done) == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		done, _ = filepath.Glob(filepath.Join(dest, "big", "d00", "f*.bin"))
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err == nil {
		t.Skipf("unpack finished before the interrupt arrived (machine too fast for this test)\n%s", out.String())
	}
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, out.String())
	}
	if len(done) == 0 {
		t.Fatalf("no file was unpacked within 60 s before the interrupt\n%s", out.String())
	}
	got := sourceFiles(t, filepath.Join(dest, "big"))
	// Files complete before the signal stay; the rest never appear.
	if len(got) < len(done) || len(got) == len(files) {
		t.Errorf("%d of %d files under real names after the interrupt, %d seen before it", len(got), len(files), len(done))
	}
	for p, b := range got {
		if archive.IsTempName(filepath.Base(p)) {
			t.Errorf("temporary file left behind: %s", p)
		} else if !bytes.Equal(b, files[p]) {
			t.Errorf("%s: incomplete or wrong under its real name (%d bytes)", p, len(b))
		}
	}
}

// TestRoundTripOwnArchives: archives written by create record sizes,
// checksums, modes and mtimes; unpack restores all of them, verify and
// check compare the checksums, and damage is caught.
func TestRoundTripOwnArchives(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	src := copyFixtureTree(t)
	modes := map[string]os.FileMode{"tiny.txt": 0o600, "README.txt": 0o755, "odd/zeros.raw": 0o640}
	for p, m := range modes {
		if err := os.Chmod(filepath.Join(src, p), m); err != nil {
			t.Fatal(err)
		}
	}
	mtime := time.Unix(981173106, 123456789)
	if err := os.Chtimes(filepath.Join(src, "random.bin"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "own")
	mustRun(t, "create", "-q", "-w", "3", "-s", "100000", src, base)

	out := mustRun(t, "verify", base)
	if !strings.Contains(out, "12 of 12 match their stored checksum") {
		t.Errorf("verify: %s", out)
	}
	mustRun(t, "check", "-d", src, base)
	dest := filepath.Join(dir, "dest")
	mustRun(t, "unpack", "-d", dest, base)
	got := filepath.Join(dest, "own")
	sameTree(t, sourceFiles(t, got), sourceFiles(t, src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		a, _ := os.Stat(p)
		b, err := os.Stat(filepath.Join(got, rel))
		if err != nil {
			return err
		}
		if a.Mode().Perm() != b.Mode().Perm() || !a.ModTime().Equal(b.ModTime()) {
			t.Errorf("%s: mode %v mtime %v, source has %v %v", rel, b.Mode().Perm(), b.ModTime(), a.Mode().Perm(), a.ModTime())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Damage one payload byte of a file (located with h5py), then verify,
	// check and unpack must all name it.
	members, _ := filepath.Glob(base + "_*.h5")
	var victim string
	var off, size int64
	for _, m := range members {
		out := h5py(t, `import h5py, sys
f = h5py.File("`+m+`", "r")
if "Images/A02/Zelle ü 1.txt.blosc2" in f:
    d = f["Images/A02/Zelle ü 1.txt.blosc2"]
    print(d.id.get_offset(), d.shape[0])`, nil)
		if strings.TrimSpace(out) != "" {
			victim = m
			fmt.Sscan(out, &off, &size)
		}
	}
	if victim == "" {
		t.Fatal("h5py found no payload of Images/A02/Zelle ü 1.txt")
	}
	fh, err := os.OpenFile(victim, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte{0}
	fh.ReadAt(b, off+size-1)
	b[0] ^= 0x01
	fh.WriteAt(b, off+size-1)
	fh.Close()
	out, code := run(t, "verify", base)
	if code != 3 || !strings.Contains(out, "DAMAGED Images/A02/Zelle ü 1.txt") {
		t.Errorf("verify of a damaged archive: exit %d\n%s", code, out)
	}
	out, code = run(t, "check", "-d", src, base)
	if code != 3 || !strings.Contains(out, "Zelle ü 1.txt") {
		t.Errorf("check of a damaged archive: exit %d\n%s", code, out)
	}
	dest2 := filepath.Join(dir, "dest2")
	out, code = run(t, "unpack", "-j", "1", "-d", dest2, base)
	if code != 3 || !strings.Contains(out, "Zelle ü 1.txt") {
		t.Errorf("unpack of a damaged archive: exit %d, want 3\n%s", code, out)
	}
	for p := range sourceFiles(t, dest2) {
		if strings.HasSuffix(p, "Zelle ü 1.txt") || archive.IsTempName(filepath.Base(p)) {
			t.Errorf("unpack left %s", p)
		}
	}
}

func TestReadUsageErrors(t *testing.T) {
	t.Parallel()
	raw := filepath.Join(fixtures, "archives", "raw.h5")
	for _, args := range [][]string{
		{"unpack"},
		{"unpack", "-j", "0", raw},
		{"check", raw},
		{"check", "-d", "."},
		{"verify"},
		{"ls", "--bogus", raw},
		{"cat", raw},
		{"cat", "--path", "tiny.txt"},
	} {
		if out, code := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, code, out)
		}
	}
}

// TestRoundTripOwnZip: a zip set written by create unpacks to its source
// with modes and mtimes, and verify compares its checksums.
func TestRoundTripOwnZip(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	src := copyFixtureTree(t)
	mtime := time.Unix(1_234_567_890, 987_654_321)
	if err := os.Chtimes(filepath.Join(src, "odd/name.blosc2"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "tiny.txt"), 0o604); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "z")
	mustRun(t, "create", "-q", "-z", "-w", "2", "-s", "150000", src, base)
	if out := mustRun(t, "verify", base); !strings.Contains(out, "12 of 12 match their stored checksum") {
		t.Errorf("verify: %s", out)
	}
	dest := filepath.Join(dir, "dest")
	mustRun(t, "unpack", "-d", dest, base+"_1.zip", base+"_0.zip")
	sameTree(t, sourceFiles(t, filepath.Join(dest, "z")), sourceFiles(t, src))
	st, err := os.Stat(filepath.Join(dest, "z", "odd/name.blosc2"))
	if err != nil || !st.ModTime().Equal(mtime) {
		t.Errorf("mtime not restored: %v %v", st.ModTime(), err)
	}
	st, err = os.Stat(filepath.Join(dest, "z", "tiny.txt"))
	if err != nil || st.Mode().Perm() != 0o604 {
		t.Errorf("mode not restored: %v %v", st.Mode(), err)
	}
}

// TestOriginalStyleNames: an archive written the original's way (h5py, no
// extra index keys) with a backslash in a name and a 255-byte name is read by
// every command, and unpack restores both names exactly.
func TestOriginalStyleNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	long := strings.Repeat("x", 251) + ".tif"
	files := map[string][]byte{
		`back\slash.txt`:         []byte("a backslash is an ordinary byte"),
		"plate/" + long:          []byte("the longest name the file system allows"),
		`win\style\path/file.tx`: []byte("still one directory level"),
	}
	index := map[string]any{}
	for p := range files {
		index[p] = part(p, false, nil)
	}
	a := filepath.Join(dir, "orig.h5")
	makeArchive(t, a, index, files)
	for p, b := range files {
		if out := mustRun(t, "cat", "-p", p, a); out != string(b) {
			t.Errorf("cat %q = %q", p, out)
		}
	}
	if out := mustRun(t, "ls", a); !strings.Contains(out, `back\slash.txt`) || !strings.Contains(out, long) {
		t.Errorf("ls:\n%s", out)
	}
	mustRun(t, "verify", a)
	dest := filepath.Join(dir, "dest")
	mustRun(t, "unpack", "-d", dest, a)
	got := sourceFiles(t, filepath.Join(dest, "orig"))
	sameTree(t, got, files)
	mustRun(t, "check", "-d", filepath.Join(dest, "orig"), a)
}

// TestLsHostileNames: names that would retitle a terminal or fake a line are
// quoted on a terminal, and come out exactly through -0 and --json.
func TestLsHostileNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	evil := "x\x1b]0;owned\a\nfake line.txt"
	files := map[string][]byte{evil: []byte("e"), "plain.txt": []byte("p")}
	index := map[string]any{}
	for p := range files {
		index[p] = part(fmt.Sprintf("d%d", len(index)), false, nil)
	}
	datasets := map[string][]byte{}
	for p, v := range index {
		datasets[v.([]map[string]any)[0]["dataset"].(string)] = files[p]
	}
	a := filepath.Join(dir, "evil.h5")
	makeArchive(t, a, index, datasets)
	quoted := `'x'$'\033'']0;owned'$'\a'$'\n''fake line.txt'`

	out := mustRun(t, "ls", "--quote", a)
	if out != "plain.txt\n"+quoted+"\n" {
		t.Errorf("ls --quote = %q", out)
	}
	out = mustRun(t, "ls", "-l", "--quote", a)
	if strings.ContainsAny(out, "\x1b\a") || !strings.Contains(out, quoted) {
		t.Errorf("ls -l --quote = %q", out)
	}
	if out := mustRun(t, "ls", "-0", a); out != "plain.txt\x00"+evil+"\x00" {
		t.Errorf("ls -0 = %q", out)
	}
	r := runBin(t, "ls", "--json", a)
	out = r.stdout
	lines, _ := jsonLines(t, r, "ls")
	// A status line comes first when the listing takes over a second (load).
	lines = slices.DeleteFunc(lines, func(m map[string]any) bool { return m["message_type"] == "status" })
	if len(lines) != 3 || lines[1]["path"] != evil || lines[1]["size_bytes"] != 1.0 {
		t.Errorf("ls --json = %q", out)
	}
	if strings.ContainsAny(out, "\x1b\a") {
		t.Errorf("ls --json passes control characters: %q", out)
	}
	if _, code := run(t, "ls", "-0", "--json", a); code != 2 {
		t.Errorf("ls -0 --json: exit %d, want 2", code)
	}
	// On a real terminal (a pty) names are quoted without asking.
	tty := h5py(t, `import os, pty, sys
out = b""
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.write(repr(out))`+"\n", nil, readBin, "ls", a)
	if strings.Contains(tty, `\x1b`) || !strings.Contains(tty, "]0;owned") {
		t.Errorf("ls on a terminal wrote %s", tty)
	}
}

// TestMissingIndexAndEmptySet: an HDF5 file without the index says so, and
// verify of an empty set says it is empty (not that checksums are missing).
func TestMissingIndexAndEmptySet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "noindex.h5")
	h5py(t, `import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["__HDF5Vault_version__"] = "0.3.0"
    f.create_dataset("x", data=np.zeros(4, dtype=np.int8))`, nil, a)
	for _, cmd := range []string{"verify", "ls"} {
		out, code := run(t, cmd, a)
		if code != 3 || !strings.Contains(out, "index: missing") || !strings.Contains(out, "noindex.h5") {
			t.Errorf("%s of an archive without an index: exit %d, want 3 saying the index is missing\n%s", cmd, code, out)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	mustRun(t, "create", "-q", "-w", "1", empty, filepath.Join(dir, "e"))
	out := mustRun(t, "verify", filepath.Join(dir, "e"))
	if strings.Contains(out, "not available") || !strings.Contains(out, "empty") {
		t.Errorf("verify of an empty set: %s", out)
	}
}
