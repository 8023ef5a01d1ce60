package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/bench"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// The binary is built once by TestMain in read_test.go (one TestMain per
// package); these tests share it.

const createFixtureTree = "../shared/fixtures/hdf5vault/tree"

// copyFixtureTree copies the read-only fixture tree into a writable temp dir.
func copyFixtureTree(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(createFixtureTree); err != nil {
		t.Skipf("reference tree %s absent: %v", createFixtureTree, err)
	}
	dst := filepath.Join(t.TempDir(), "src")
	err := filepath.WalkDir(createFixtureTree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(createFixtureTree, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

type runResult struct {
	code           int
	stdout, stderr string
}

func runBin(t *testing.T, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(readBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code, out.String(), errb.String()}
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// sourceFiles maps each regular file's slash path under dir to its bytes.
func sourceFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// h5Script dumps each archive's root attributes and datasets (type, layout,
// filters, attributes) as JSON and writes every payload under DUMP/<n>/<dataset>.
const h5Script = `
import h5py, json, os, sys
import numpy as np
def val(v):
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, np.integer): return int(v)
    return v if isinstance(v, str) else str(v)
dump, out = sys.argv[1], []
for n, fn in enumerate(sys.argv[2:]):
    with h5py.File(fn, "r") as f:
        ds = {}
        def visit(name, o):
            if isinstance(o, h5py.Dataset):
                pl = o.id.get_create_plist()
                ds[name] = {"dtype": str(o.dtype), "ndim": o.ndim,
                    "contiguous": pl.get_layout() == h5py.h5d.CONTIGUOUS,
                    "filters": pl.get_nfilters(),
                    "attrs": {k: val(v) for k, v in o.attrs.items()}}
                p = os.path.join(dump, str(n), name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as w:
                    w.write(o[()].tobytes())
        f.visititems(visit)
        out.append({"attrs": {k: val(v) for k, v in f.attrs.items()}, "datasets": ds})
json.dump(out, sys.stdout)
`

type h5Dataset struct {
	Dtype      string         `json:"dtype"`
	Ndim       int            `json:"ndim"`
	Contiguous bool           `json:"contiguous"`
	Filters    int            `json:"filters"`
	Attrs      map[string]any `json:"attrs"`
}

type h5Archive struct {
	Attrs    map[string]any       `json:"attrs"`
	Datasets map[string]h5Dataset `json:"datasets"`
}

// readWithH5py reads the archives with the original tooling's library.
func readWithH5py(t *testing.T, paths []string) ([]h5Archive, string) {
	t.Helper()
	dump := t.TempDir()
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", h5Script, dump}, paths...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, errb.String())
	}
	var set []h5Archive
	if err := json.Unmarshal(out, &set); err != nil {
		t.Fatal(err)
	}
	return set, dump
}

// verifySet checks an archive set against its source tree through h5py.
func verifySet(t *testing.T, src string, paths []string, compressed bool, chunk int64) *archive.Index {
	t.Helper()
	set, dump := readWithH5py(t, paths)
	w := len(paths)
	info, _ := set[0].Attrs[archive.AttrInfo].(string)
	ix, err := archive.ParseIndex([]byte(info), w)
	if err != nil {
		t.Fatalf("index: %v", err)
	}
	for n, a := range set {
		if a.Attrs[archive.AttrInfo] != info {
			t.Errorf("archive %d: index differs from archive 0's", n)
		}
		num, hasNum := a.Attrs[archive.AttrNumFiles]
		if w > 1 && (num != float64(w) || a.Attrs[archive.AttrFileNumber] != float64(n)) {
			t.Errorf("archive %d: number attributes %v %v", n, num, a.Attrs[archive.AttrFileNumber])
		}
		if a.Attrs[archive.AttrChunkSize] != float64(chunk) || a.Attrs[archive.AttrVersion] != archive.Version {
			t.Errorf("archive %d: chunk size %v, version %v", n, a.Attrs[archive.AttrChunkSize], a.Attrs[archive.AttrVersion])
		}
		if w == 1 && hasNum {
			t.Errorf("single archive carries %s", archive.AttrNumFiles)
		}
		for name, d := range a.Datasets {
			if d.Dtype != "int8" || d.Ndim != 1 || !d.Contiguous || d.Filters != 0 {
				t.Errorf("archive %d: dataset %s is %+v, want 1-D int8 contiguous without filters", n, name, d)
			}
		}
	}
	files := sourceFiles(t, src)
	if len(ix.Files) != len(files) {
		t.Errorf("index has %d files, source has %d", len(ix.Files), len(files))
	}
	dec := blosc.NewDecoder()
	listed := make([]int, w)
	sums := map[string][16]byte{}
	for _, f := range ix.Files {
		want, ok := files[f.Path]
		if !ok {
			t.Errorf("index lists %q, not in the source", f.Path)
			continue
		}
		var got []byte
		for _, p := range f.Parts {
			listed[p.ArchiveNumber]++
			d, ok := set[p.ArchiveNumber].Datasets[p.Dataset]
			if !ok {
				t.Fatalf("%s: dataset %s missing from archive %d", f.Path, p.Dataset, p.ArchiveNumber)
			}
			payload, err := os.ReadFile(filepath.Join(dump, fmt.Sprint(p.ArchiveNumber), p.Dataset))
			if err != nil {
				t.Fatal(err)
			}
			wantAttr := archive.MethodNone
			if p.Compressed() {
				wantAttr = archive.MethodBlosc2
				if !compressed {
					t.Errorf("%s: compressed with -m none", p.Dataset)
				}
				if payload, err = dec.DecodeAll(payload, nil); err != nil {
					t.Fatalf("%s: %v", p.Dataset, err)
				}
			}
			if len(f.Parts) > 1 && (d.Attrs[archive.DsetAttrChunk] != float64(p.Number()) || d.Attrs[archive.DsetAttrNumChunks] != float64(len(f.Parts))) {
				t.Errorf("%s: split attributes %v", p.Dataset, d.Attrs)
			}
			if d.Attrs[archive.DsetAttrCompression] != wantAttr {
				t.Errorf("%s: compression attribute %v", p.Dataset, d.Attrs[archive.DsetAttrCompression])
			}
			got = append(got, payload...)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: archived bytes differ from the source", f.Path)
		}
		sums[f.Path] = xxh3.Hash128(want).Bytes()
	}
	// One more object than the JSON lists: the side index, the same in every member.
	side0, err := os.ReadFile(filepath.Join(dump, "0", archive.SideIndexName))
	if err != nil {
		t.Fatalf("archive 0: side index: %v", err)
	}
	checkSideSums(t, side0, w, sums)
	for n, a := range set {
		if len(a.Datasets) != listed[n]+1 {
			t.Errorf("archive %d holds %d datasets, the index lists %d plus the side index", n, len(a.Datasets), listed[n])
		}
		side, err := os.ReadFile(filepath.Join(dump, fmt.Sprint(n), archive.SideIndexName))
		if err != nil || !bytes.Equal(side, side0) {
			t.Errorf("archive %d: side index missing or different from archive 0's (%v)", n, err)
		}
	}
	return ix
}

// checkSideSums checks that the side index lists exactly the files of
// sums, each with its checksum.
func checkSideSums(t *testing.T, side []byte, members int, sums map[string][16]byte) {
	t.Helper()
	sizes := make([]int64, members)
	for i := range sizes {
		sizes[i] = 1 << 40
	}
	x, err := archive.OpenSideIndex(func(dst []byte, off int64) error {
		copy(dst, side[off:])
		return nil
	}, int64(len(side)), sizes)
	if err != nil {
		t.Fatalf("side index: %v", err)
	}
	n := 0
	err = x.Each(func(e *archive.Entry) error {
		n++
		if want, ok := sums[e.Path]; !ok || e.Checksum != want {
			t.Errorf("side index: %s has checksum %x (listed by the JSON: %v)", e.Path, e.Checksum, ok)
		}
		return nil
	})
	if err != nil || n != len(sums) {
		t.Errorf("side index: %d files (JSON: %d), %v", n, len(sums), err)
	}
}

func TestCreateWriterCounts(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	for _, tc := range []struct {
		w     int
		names []string
	}{
		{1, []string{"set.h5"}},
		{2, []string{"set_0.h5", "set_1.h5"}},
		{4, []string{"set_0.h5", "set_1.h5", "set_2.h5", "set_3.h5"}},
		{10, []string{"set_00.h5", "set_01.h5", "set_02.h5", "set_03.h5", "set_04.h5", "set_05.h5", "set_06.h5", "set_07.h5", "set_08.h5", "set_09.h5"}},
	} {
		t.Run(fmt.Sprint("w", tc.w), func(t *testing.T) {
			out := t.TempDir()
			// The original's argument order: flags after the arguments; a small
			// split size so split files are exercised too.
			r := runBin(t, "create", src, filepath.Join(out, "set"), "-c", "5", "-w", fmt.Sprint(tc.w), "-s", "200000", "-q")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if got := listDir(t, out); !equalStrings(got, tc.names) {
				t.Fatalf("files %q, want %q (no temporary file may remain)", got, tc.names)
			}
			var paths []string
			for _, n := range tc.names {
				paths = append(paths, filepath.Join(out, n))
			}
			ix := verifySet(t, src, paths, true, 200000)
			split := false
			for _, f := range ix.Files {
				if f.Path == "Images/A01/field1_C01.tif" && len(f.Parts) == 4 && f.Parts[3].Dataset == "Images/A01/field1_C01.tif____part3.blosc2" {
					split = true
				}
			}
			if !split {
				t.Error("field1_C01.tif (620000 bytes) not split into 4 compressed parts at -s 200000")
			}
		})
	}
}

// TestCreateLargeFiles: fields of 1.5 MiB are mapped rather than read
// (pipeline.mapMin); split at a size that is no multiple of the page size,
// every part reads back exactly through h5py, and check passes.
func TestCreateLargeFiles(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "acq")
	if _, err := bench.Generate(src, bench.FieldSpec(6, 3<<19, 3)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	base := filepath.Join(out, "big")
	r := runBin(t, "create", src, base, "-s", "1100000", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	ix := verifySet(t, src, []string{base + "_0.h5", base + "_1.h5"}, true, 1100000)
	split := 0
	for _, f := range ix.Files {
		if len(f.Parts) == 2 {
			split++
		}
	}
	if split != 6 {
		t.Errorf("%d fields split in two at -s 1100000, want 6", split)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Fatalf("check: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

func TestCreateRawEqualsSource(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	out := t.TempDir()
	r := runBin(t, "create", "-m", "none", "-w", "2", "-q", src, filepath.Join(out, "raw"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	ix := verifySet(t, src, []string{filepath.Join(out, "raw_0.h5"), filepath.Join(out, "raw_1.h5")}, false, archive.DefaultChunkSize)
	for _, f := range ix.Files {
		if strings.HasSuffix(f.Parts[0].Dataset, ".blosc2") && f.Path != "odd/name.blosc2" {
			t.Errorf("%s: raw dataset named %s", f.Path, f.Parts[0].Dataset)
		}
	}
}

func TestCreateRefusesOverwriteAndForce(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	out := t.TempDir()
	base := filepath.Join(out, "set")
	if r := runBin(t, "create", "-q", src, base); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(filepath.Join(out, "set_0.h5"))
	r := runBin(t, "create", "-q", src, base)
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to overwrite") || !strings.Contains(r.stderr, "set_0.h5") {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	// A different writer count is the same set base: also refused.
	if r := runBin(t, "create", "-q", "-w", "1", src, base); r.code != 1 {
		t.Fatalf("-w 1 over a 2-file set: exit %d", r.code)
	}
	after, _ := os.ReadFile(filepath.Join(out, "set_0.h5"))
	if !bytes.Equal(before, after) {
		t.Fatal("a refused run changed the existing archive")
	}
	// --force with one writer replaces the 2-file set: no mixed set remains.
	if r := runBin(t, "create", "-q", "--force", "-w", "1", src, base); r.code != 0 {
		t.Fatalf("--force: exit %d: %s", r.code, r.stderr)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"set.h5"}) {
		t.Fatalf("after --force: %q", got)
	}
	verifySet(t, src, []string{filepath.Join(out, "set.h5")}, true, archive.DefaultChunkSize)
}

// unreadableFile makes a file in src that the run cannot store: chmod 000
// where permissions apply, else (root) a symlink to a /proc file, which
// claims size 0 but has bytes, so it fails the "changed while read" check.
func unreadableFile(t *testing.T, src string) (name string, extra []string) {
	if os.Geteuid() != 0 {
		p := filepath.Join(src, "secret.bin")
		os.WriteFile(p, []byte("x"), 0)
		return "secret.bin", nil
	}
	if err := os.Symlink("/proc/self/status", filepath.Join(src, "procfile")); err != nil {
		t.Fatal(err)
	}
	return "procfile", []string{"--follow-symlinks"}
}

func TestCreateFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	bad, extra := unreadableFile(t, src)
	out := t.TempDir()
	r := runBin(t, append([]string{"create", "-q", "-w", "3", src, filepath.Join(out, "set")}, extra...)...)
	if r.code != 1 || !strings.Contains(r.stderr, bad) {
		t.Fatalf("exit %d, want 1 naming %s: %s", r.code, bad, r.stderr)
	}
	if got := listDir(t, out); len(got) != 0 {
		t.Fatalf("files left after a failure: %q", got)
	}

	// --skip-unreadable: the set is written, the file listed, the exit status still 1.
	r = runBin(t, append([]string{"create", "-q", "--skip-unreadable", "--json", "-", src, filepath.Join(out, "set")}, extra...)...)
	if r.code != 1 || !strings.Contains(r.stderr, bad) {
		t.Fatalf("--skip-unreadable: exit %d: %s", r.code, r.stderr)
	}
	var sum struct {
		Files    int
		Failed   []struct{ Path, Reason string }
		Complete bool
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &sum); err != nil {
		t.Fatalf("--json -: %v\n%s", err, r.stdout)
	}
	if len(sum.Failed) != 1 || sum.Failed[0].Path != bad || sum.Complete {
		t.Fatalf("summary %+v", sum)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"set_0.h5", "set_1.h5"}) {
		t.Fatalf("files %q", got)
	}
	os.Remove(filepath.Join(src, bad))
	verifySet(t, src, []string{filepath.Join(out, "set_0.h5"), filepath.Join(out, "set_1.h5")}, true, archive.DefaultChunkSize)
}

func TestCreateJSONAndSpecialFiles(t *testing.T) {
	src := copyFixtureTree(t)
	os.Symlink("tiny.txt", filepath.Join(src, "link.txt"))
	syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644)
	out := t.TempDir()
	r := runBin(t, "create", src, filepath.Join(out, "j"), "-w", "1", "--json", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var sum struct {
		Files       int   `json:"files"`
		Parts       int   `json:"parts"`
		RawBytes    int64 `json:"raw_bytes"`
		StoredBytes int64 `json:"stored_bytes"`
		Walk        struct {
			Symlinks     int      `json:"symlinks_not_followed"`
			SymlinkPaths []string `json:"symlink_paths"`
			Skipped      []struct{ Path, Reason string }
		}
		Archives []struct {
			Path  string
			Bytes int64
		}
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &sum); err != nil {
		t.Fatalf("--json -: %v\n%s", err, r.stdout)
	}
	var raw int64
	for _, b := range sourceFiles(t, src) {
		raw += int64(len(b))
	}
	if sum.Files != 12 || sum.RawBytes != raw || sum.StoredBytes <= 0 || sum.StoredBytes >= raw {
		t.Errorf("summary %+v (source: 12 files, %d bytes)", sum, raw)
	}
	if sum.Walk.Symlinks != 1 || len(sum.Walk.SymlinkPaths) != 1 || sum.Walk.SymlinkPaths[0] != "link.txt" {
		t.Errorf("symlinks %d %q", sum.Walk.Symlinks, sum.Walk.SymlinkPaths)
	}
	if len(sum.Walk.Skipped) != 1 || sum.Walk.Skipped[0].Path != "pipe" {
		t.Errorf("skipped %+v", sum.Walk.Skipped)
	}
	fi, err := os.Stat(filepath.Join(out, "j.h5"))
	if err != nil || len(sum.Archives) != 1 || sum.Archives[0].Bytes != fi.Size() {
		t.Errorf("archives %+v", sum.Archives)
	}
	if !strings.Contains(r.stderr, "ratio") || !strings.Contains(r.stderr, "pipe") {
		t.Errorf("no summary or warning on stderr: %s", r.stderr)
	}
}

func TestCreateUsageErrors(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	out := filepath.Join(t.TempDir(), "x")
	for _, args := range [][]string{
		{"create", src},
		{"create", src, out, "-c", "0"},
		{"create", src, out, "-c", "10"},
		{"create", src, out, "-m", "lzma"},
		{"create", src, out, "--codec", "brotli"},
		{"create", src, out, "-s", "2147483601"},
		{"create", src, out, "--max-memory", "lots"},
		{"create", src, out, "-w", "0"},
		{"create", src, out, "--no-such-flag"},
	} {
		if r := runBin(t, args...); r.code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, r.code, r.stderr)
		}
	}
	if r := runBin(t, "create", filepath.Join(src, "missing"), out); r.code != 1 || !strings.Contains(r.stderr, "missing") {
		t.Errorf("missing source: exit %d: %s", r.code, r.stderr)
	}
}

// TestCreateArchiveInsideSource: the set's own files are never archived, and
// --force does not replace a file inside the source, not even an older set.
func TestCreateArchiveInsideSource(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	base := filepath.Join(src, "odd", "self")
	if r := runBin(t, "create", "-q", "-w", "2", src, base); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	before := treeState(t, src)
	r := runBin(t, "create", "-q", "--force", "-w", "2", src, base)
	if r.code != 1 || !strings.Contains(r.stderr, "inside the source") {
		t.Fatalf("--force inside the source: exit %d: %s", r.code, r.stderr)
	}
	sameState(t, before, treeState(t, src), "odd") // the directory's mtime: the lock came and went
	os.Rename(filepath.Join(src, "odd", "self_0.h5"), filepath.Join(t.TempDir(), "a.h5"))
	set, _ := readWithH5py(t, []string{filepath.Join(src, "odd", "self_1.h5")})
	info := set[0].Attrs[archive.AttrInfo].(string)
	if strings.Contains(info, "self_") || strings.Contains(info, archive.TempSuffix) || strings.Contains(info, "hdf5vault-lock") {
		t.Fatalf("the archive contains its own files: %s", info)
	}
}

// TestCreateStaleTempRemoved: a temporary file of a dead run is removed and reported.
func TestCreateStaleTempRemoved(t *testing.T) {
	src := copyFixtureTree(t)
	out := t.TempDir()
	dead := exec.Command("true")
	dead.Run()
	stale := archive.TempName(filepath.Join(out, "set.h5"), fmt.Sprintf("%s-%d-deadbeef", tempfile.Host(), dead.Process.Pid))
	os.WriteFile(stale, []byte("partial"), 0o644)
	r := runBin(t, "create", "-w", "1", src, filepath.Join(out, "set"))
	if r.code != 0 || !strings.Contains(r.stderr, "removed stale temporary file") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"set.h5"}) {
		t.Fatalf("files %q", got)
	}
}

// TestCreateInterrupted: SIGINT stops the run with 130 and leaves no file.
func TestCreateInterrupted(t *testing.T) {
	src := t.TempDir()
	block := make([]byte, 1<<20)
	x := uint32(1)
	for i := range block {
		x = x*1664525 + 1013904223
		block[i] = byte(x>>24) & 0x3f
	}
	for i := range 48 {
		block[0] = byte(i)
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d.bin", i)), block, 0o644)
	}
	out := t.TempDir()
	cmd := exec.Command(readBin, "create", "-q", "-c", "9", "-j", "1", "-w", "2", src, filepath.Join(out, "set"))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(listDir(t, out)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if err == nil {
		t.Skipf("create finished before the interrupt arrived (machine too fast for this test)\n%s", errb.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("err %v, want exit 130: %s", err, errb.String())
	}
	if got := listDir(t, out); len(got) != 0 {
		t.Fatalf("files left after SIGINT: %q", got)
	}
}

// TestCreateBalanced: 256 similar files over 4 writers: the largest archive
// file is at most 1.1x the smallest.
func TestCreateBalanced(t *testing.T) {
	src := t.TempDir()
	for i := range 256 {
		n := 30000 + (i*7919)%6000
		b := make([]byte, n)
		x := uint32(i + 1)
		for j := range b {
			x = x*1664525 + 1013904223
			b[j] = byte(x >> 24)
		}
		os.WriteFile(filepath.Join(src, fmt.Sprintf("w%03d.tif", i)), b, 0o644)
	}
	out := t.TempDir()
	r := runBin(t, "create", "-q", "-c", "1", "-w", "4", src, filepath.Join(out, "b"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var lo, hi int64
	for i := range 4 {
		fi, err := os.Stat(filepath.Join(out, fmt.Sprintf("b_%d.h5", i)))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 || fi.Size() < lo {
			lo = fi.Size()
		}
		hi = max(hi, fi.Size())
	}
	if float64(hi) > 1.1*float64(lo) {
		t.Fatalf("unbalanced: smallest %d, largest %d bytes", lo, hi)
	}
}

// zipScript writes every member of each zip under DUMP/<n>/ and prints the
// member names and their compression types.
const zipScript = `
import json, os, sys, zipfile
dump, out = sys.argv[1], []
for n, fn in enumerate(sys.argv[2:]):
    with zipfile.ZipFile(fn) as z:
        m = {}
        for i in z.infolist():
            m[i.filename] = i.compress_type
            p = os.path.join(dump, str(n), i.filename)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as w:
                w.write(z.read(i))
        out.append(m)
json.dump(out, sys.stdout)
`

// TestCreateZip: -z writes stored zip members named like the datasets, with
// the same index in every member of the set.
func TestCreateZip(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	out := t.TempDir()
	if r := runBin(t, "create", src, filepath.Join(out, "z"), "-z", "-w", "2", "-q"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := listDir(t, out); !equalStrings(got, []string{"z_0.zip", "z_1.zip"}) {
		t.Fatalf("files %q", got)
	}
	dump := t.TempDir()
	cmd := exec.Command("/usr/bin/python3", "-c", zipScript, dump, filepath.Join(out, "z_0.zip"), filepath.Join(out, "z_1.zip"))
	b, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var members []map[string]int
	if err := json.Unmarshal(b, &members); err != nil {
		t.Fatal(err)
	}
	read := func(n int, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dump, fmt.Sprint(n), name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	info := read(0, archive.AttrInfo)
	if !bytes.Equal(info, read(1, archive.AttrInfo)) {
		t.Fatal("index differs between the zip files")
	}
	ix, err := archive.ParseIndex(info, 2)
	if err != nil {
		t.Fatal(err)
	}
	files := sourceFiles(t, src)
	dec := blosc.NewDecoder()
	for _, f := range ix.Files {
		var got []byte
		for _, p := range f.Parts {
			if ct, ok := members[p.ArchiveNumber][p.Dataset]; !ok || ct != 0 {
				t.Fatalf("%s: member %s missing or zip-compressed (%d)", f.Path, p.Dataset, ct)
			}
			payload := read(p.ArchiveNumber, p.Dataset)
			if p.Compressed() {
				if payload, err = dec.DecodeAll(payload, nil); err != nil {
					t.Fatal(err)
				}
			}
			got = append(got, payload...)
		}
		if !bytes.Equal(got, files[f.Path]) {
			t.Errorf("%s: archived bytes differ from the source", f.Path)
		}
	}
	if len(ix.Files) != len(files) {
		t.Errorf("index has %d files, source %d", len(ix.Files), len(files))
	}
}

// TestCreateClampsFarMtime: a modification time past what int64 nanoseconds
// hold (year 2300) is stored as the latest one they hold, with a warning
// naming the file, instead of wrapping around to 1901.
func TestCreateClampsFarMtime(t *testing.T) {
	touch, err := exec.LookPath("touch")
	if err != nil {
		t.Skip("touch not available")
	}
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(src, 0o755)
	far := filepath.Join(src, "far.txt")
	os.WriteFile(far, []byte("from the future"), 0o644)
	os.WriteFile(filepath.Join(src, "now.txt"), []byte("from today"), 0o644)
	// touch, because os.Chtimes itself wraps such a time.
	if out, err := exec.Command(touch, "-d", "2300-01-01 00:00:00 UTC", far).CombinedOutput(); err != nil {
		t.Skipf("the file system does not take a year-2300 mtime: %v %s", err, out)
	}
	out := t.TempDir()
	r := runBin(t, "create", "-w", "1", src, filepath.Join(out, "far"))
	if r.code != 0 || !strings.Contains(r.stderr, "far.txt: modification time 2300-01-01T00:00:00Z is outside") {
		t.Fatalf("create: exit %d, want 0 with a warning naming far.txt\n%s", r.code, r.stderr)
	}
	dest := filepath.Join(t.TempDir(), "dest")
	r = runBin(t, "unpack", "-d", dest, filepath.Join(out, "far"))
	if r.code != 0 {
		t.Fatalf("unpack: exit %d\n%s", r.code, r.stderr)
	}
	st, err := os.Stat(filepath.Join(dest, "far", "far.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if y := st.ModTime().UTC().Year(); y != 2262 {
		t.Errorf("restored mtime %v, want the latest int64 nanoseconds hold (2262)", st.ModTime().UTC())
	}
}
